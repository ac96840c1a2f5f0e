"""For the PDF report tests: the HTML a report was rendered from, and the PDF's basic shape.

The PDF's text is compressed font-subset glyphs (reading it back needs a PDF parser the
project does not ship), so the tests check the HTML WeasyPrint received and that the answer
is a real PDF."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from holdspace.core import pdf


@contextmanager
def captured_html(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    seen: list[str] = []
    real = pdf.render_html

    def spy(*args: Any, **kwargs: Any) -> str:
        html = real(*args, **kwargs)
        seen.append(html)
        return html

    monkeypatch.setattr(pdf, "render_html", spy)
    yield seen


def assert_pdf(response: Any) -> bytes:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    body = bytes(response.content)
    assert body.startswith(b"%PDF")
    assert body.rstrip().endswith(b"%%EOF")
    return body
