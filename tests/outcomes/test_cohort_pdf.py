"""The cohort outcomes report as a PDF: the page's filters, codes only, for medical leads and
researchers."""

from __future__ import annotations

import pytest

from holdspace.audit.models import AuditEvent
from tests.conftest import signed_in
from tests.factories import ClientFactory
from tests.pdf_helpers import assert_pdf, captured_html

from .helpers import record

pytestmark = pytest.mark.django_db

URL = "/outcomes/report.pdf?instrument=PCL-5&group_by=sex"


@pytest.fixture
def cohort(clinics, lead):  # type: ignore[no-untyped-def]
    clients = [clinics.client, *(ClientFactory(clinic=clinics.north) for _ in range(3))]
    for i, client in enumerate(clients):
        record(lead, client, 50 + i, 1, "baseline")
        record(lead, client, 30 - 3 * i, 120, "end")
    return clients


def test_a_researcher_prints_the_cohort_by_code(cohort, researcher, monkeypatch):
    from holdspace.people.models import ClientIdentity

    ClientIdentity.objects.update_or_create(
        client=cohort[0], defaults={"given_name": "Ingrid", "family_name": "Qwertyson"}
    )
    page = signed_in(researcher).get("/outcomes/?instrument=PCL-5&group_by=sex")
    assert "/outcomes/report.pdf?instrument=PCL-5&amp;group_by=sex" in page.content.decode()
    with captured_html(monkeypatch) as html:
        assert_pdf(signed_in(researcher).get(URL))
    text = html[0]
    assert "Cohort outcomes report" in text and "PCL-5" in text
    assert cohort[0].code in text and "Qwertyson" not in text
    assert "<svg" in text and "<form" not in text
    assert AuditEvent.objects.filter(action="outcomes.cohort_pdf.list").count() == 1


def test_bad_filters_are_named_and_other_roles_refused(cohort, lead, therapist, coordinator):
    refused = signed_in(lead).get("/outcomes/report.pdf?instrument=NOPE")
    assert refused.status_code == 422
    assert "instrument" in refused.json()["errors"]
    assert signed_in(therapist).get(URL).status_code == 403
    assert signed_in(coordinator).get(URL).status_code == 403
    assert not AuditEvent.objects.filter(action="outcomes.cohort_pdf.list").exists()
