"""PDF reports: a Django template and its context rendered to PDF bytes with WeasyPrint.

The report templates extend `pdf/base.html`, which inlines the print stylesheet (A4, no
navigation), so rendering fetches nothing: the URL fetcher refuses every URL, and charts are
inline SVG. Views read through their app's selectors and audit before calling here.
"""

from __future__ import annotations

import logging
import re
from typing import Any, NoReturn

from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

# The pages' inline charts (sessions/_chart.html, measures/_plot.html) are styled by the
# pages' stylesheets; WeasyPrint's SVG renderer reads only a <style> inside the <svg>, so the
# print colours are put there (matplotlib's SVGs carry their own styles and are left alone).
SVG_STYLE = (
    "text { font-size: 9px; fill: #333; } "
    ".grid { stroke: #ddd; stroke-width: 0.5; } "
    ".limit { stroke: #c60; stroke-dasharray: 4 3; stroke-width: 0.8; } "
    ".limit.act { stroke: #b00; } "
    ".dose { stroke: #555; stroke-dasharray: 2 2; } "
    ".series { fill: none; stroke-width: 1.5; } "
    ".series.sys, .dot.sys { stroke: #b00; fill: #b00; } "
    ".series.dia, .dot.dia { stroke: #06c; fill: #06c; } "
    ".series.hr, .dot.hr { stroke: #070; fill: #070; } "
    "polyline.series { fill: none; } "
    "polygon.spread { stroke: none; fill-opacity: 0.3; } "
    "polygon.spread.sys { fill: #b00; } polygon.spread.dia { fill: #06c; } "
    "polygon.spread.hr { fill: #070; } "
    ".band { stroke: #bbb; stroke-dasharray: 3 3; } "
    ".session { stroke: #888; stroke-width: 1; } "
    ".line { fill: none; stroke: #234; stroke-width: 1.5; } "
    ".dot { fill: #234; } "
)
# WeasyPrint warns about every SVG presentation property it meets in inline SVG as HTML CSS
# (then draws them as SVG) and about matplotlib's repeated element ids: noise, not faults.
logging.getLogger("weasyprint").setLevel(logging.ERROR)

_OUR_SVG = re.compile(r"(<svg viewBox=[^>]*>)")


def _with_svg_style(html: str) -> str:
    return _OUR_SVG.sub(lambda m: f"{m.group(1)}<style>{SVG_STYLE}</style>", html)


def _no_fetch(url: str, *args: Any, **kwargs: Any) -> NoReturn:
    # A report never loads anything from outside: a stray <img src> or @import must not reach
    # the network or the file system.
    raise ValueError("PDF reports do not fetch resources")


def render_html(template: str, context: dict[str, Any], request: HttpRequest | None) -> str:
    return render_to_string(template, context, request=request)


def render_pdf(template: str, context: dict[str, Any], request: HttpRequest | None = None) -> bytes:
    import weasyprint  # imported here: it loads pango, which the rest of the app never needs

    html = _with_svg_style(render_html(template, context, request))
    pdf = weasyprint.HTML(string=html, base_url="about:blank", url_fetcher=_no_fetch).write_pdf()
    assert pdf is not None  # noqa: S101  (write_pdf without a target returns the bytes)
    return pdf


def pdf_response(
    template: str, context: dict[str, Any], request: HttpRequest, filename: str
) -> HttpResponse:
    response = HttpResponse(render_pdf(template, context, request), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "no-store"  # clinical data: never kept by a proxy or browser cache
    return response


def refused(form: BaseForm) -> JsonResponse:
    """A report asked for with bad parameters: the one error shape, naming each field."""
    errors = {field: [str(e) for e in errs] for field, errs in form.errors.items()}
    return JsonResponse({"detail": "Invalid input.", "errors": errors}, status=422)
