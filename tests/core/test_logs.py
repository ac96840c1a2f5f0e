"""The server log: secrets in paths redacted, one line per refusal, no clinical text."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from holdspace.core.logs import redact

from ..conftest import signed_in


@pytest.fixture
def server_log() -> Iterator[io.StringIO]:
    """The console handler the settings configure, writing into a buffer for the test."""
    handler = logging.getLogger("holdspace.access").handlers[0]
    assert handler is logging.getLogger("django").handlers[0]  # one console for both
    buffer = io.StringIO()
    old = handler.setStream(buffer)  # type: ignore[attr-defined]
    try:
        yield buffer
    finally:
        handler.setStream(old)  # type: ignore[attr-defined]


SECRETS = {
    "/measures/r/QsEcReT-OnE-tImE-LiNk/": "QsEcReT-OnE-tImE-LiNk",
    "/courses/feed/FeEdSeCrEt-ToKeN-123/calendar.ics": "FeEdSeCrEt-ToKeN-123",
    "/accounts/password/reset/key/1b-rEsEtKeY-abcdef/": "rEsEtKeY-abcdef",
    "/api/v1/clients?token=hs_QuErYtOkEnSeCrEt1234": "hs_QuErYtOkEnSeCrEt1234",
}


def test_tokens_never_reach_the_log(db, server_log):
    anonymous = HttpClient()
    for url in SECRETS:
        anonymous.get(url)
    anonymous.get("/api/v1/clients", headers={"Authorization": "Bearer hs_HeAdErSeCrEt99999"})
    anonymous.get("/api/v1/hs_PaThSeCrEt123456789/clients")
    text = server_log.getvalue()
    assert "[redacted]" in text
    assert "/measures/r/[redacted]/" in text
    assert "/courses/feed/[redacted]/calendar.ics" in text
    for secret in [*SECRETS.values(), "hs_HeAdErSeCrEt99999", "hs_PaThSeCrEt123456789"]:
        assert secret not in text


def test_a_refused_request_is_one_line_without_a_traceback(clinics, therapist, server_log):
    response = signed_in(therapist).get(reverse("audit:audit_log"))
    assert response.status_code == 403
    signed_in(therapist).get(reverse("people:client_detail", args=["HS-NOSUCH1"]))
    text = server_log.getvalue()
    assert "Traceback" not in text
    forbidden = [line for line in text.splitlines() if "Forbidden" in line]
    assert len(forbidden) == 1, text
    assert '"GET /audit/' in text and " 403 " in text


def test_no_clinical_text_or_search_terms_in_the_log(clinics, coordinator, server_log):
    browser = signed_in(coordinator)
    browser.get(reverse("people:client_list"), {"q": "Zebulonsdottir"})
    browser.post(
        reverse("people:client_create"),
        {"given_name": "Ingrid", "family_name": "Zebulonsdottir", "phase": "intake"},
    )
    text = server_log.getvalue()
    assert '"GET /clients/"' in text
    assert "Zebulonsdottir" not in text and "Ingrid" not in text


def test_redaction_of_a_django_not_found_line():
    assert redact("Not Found: /measures/r/abc123/") == "Not Found: /measures/r/[redacted]/"
    assert redact("Authorization: Bearer abc.def") == "Authorization: Bearer [redacted]"
