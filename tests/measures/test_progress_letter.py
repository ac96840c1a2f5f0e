"""The progress letter to the client's GP: scores and their trajectory per instrument, as a
PDF in the language chosen on the client's page, for the care team and the medical leads."""

from __future__ import annotations

import pytest

from holdspace.audit.models import AuditEvent
from holdspace.people.models import ClientIdentity
from tests.conftest import signed_in
from tests.outcomes.helpers import record
from tests.pdf_helpers import assert_pdf, captured_html

pytestmark = pytest.mark.django_db


def _url(client, lang="nb") -> str:  # type: ignore[no-untyped-def]
    return f"/measures/clients/{client.code}/progress-letter.pdf?lang={lang}"


@pytest.fixture
def scored(clinics, therapist):  # type: ignore[no-untyped-def]
    record(therapist, clinics.client, 52, 1)
    record(therapist, clinics.client, 20, 120)
    ClientIdentity.objects.update_or_create(
        client=clinics.client, defaults={"given_name": "Kari", "family_name": "Nordmann"}
    )
    return clinics.client


def test_the_care_team_writes_the_letter_in_norwegian_or_english(scored, therapist, monkeypatch):
    browser = signed_in(therapist)
    overview = browser.get(f"/clients/{scored.code}/").content.decode()
    assert f"/measures/clients/{scored.code}/progress-letter.pdf" in overview
    with captured_html(monkeypatch) as html:
        assert_pdf(browser.get(_url(scored, "nb")))
        assert_pdf(browser.get(_url(scored, "en")))
    norwegian, english = html
    assert "Statusbrev" in norwegian and "Kjære kollega" in norwegian
    assert "Progress letter" in english and "Dear colleague" in english
    for text in (norwegian, english):
        assert "PCL-5" in text and "<svg" in text and "Nordmann" in text
    assert "-32" in english  # the change since baseline
    rows = AuditEvent.objects.filter(action="measures.progress_letter.view")
    assert rows.count() == 2 and rows.first().client_code == scored.code


def test_others_are_refused_and_a_bad_language_is_named(scored, lead, coordinator, outsider):
    refused = signed_in(lead).get(_url(scored, "de"))
    assert refused.status_code == 422 and "lang" in refused.json()["errors"]
    assert signed_in(coordinator).get(_url(scored)).status_code == 403
    assert signed_in(outsider).get(_url(scored)).status_code == 404
    assert not AuditEvent.objects.filter(action="measures.progress_letter.view").exists()
