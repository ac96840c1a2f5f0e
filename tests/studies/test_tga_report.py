"""The TGA six-monthly counts: new patients (first dose in the period) and all patients treated
(a dose in the period), by product, 0 when none; for medical leads only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from holdspace.sessions.models import Dose, MedicineSession
from holdspace.studies.regulatory_reports import tga_six_monthly

from ..conftest import signed_in
from ..factories import ClientFactory
from ..sessions.conftest import make_visit


def _dosed(clinics, therapist, client, when):  # type: ignore[no-untyped-def]
    visit = make_visit(clinics, therapist)
    session = MedicineSession.objects.create(clinic=clinics.north, client=client, visit=visit)
    Dose.objects.create(session=session, kind="initial", substance="MDMA HCl", mg=120,
                        given_at=when, recorded_by=therapist)  # fmt: skip


@pytest.mark.django_db
def test_new_and_total_patients_per_half_year(clinics, therapist, lead, researcher):
    tz = timezone.get_current_timezone()
    at = lambda y, m: dt.datetime(y, m, 10, 10, tzinfo=tz)  # noqa: E731
    first, second = clinics.client, ClientFactory(clinic=clinics.north)
    _dosed(clinics, therapist, first, at(2025, 11))  # first treated in the second half of 2025
    _dosed(clinics, therapist, first, at(2026, 2))
    _dosed(clinics, therapist, second, at(2026, 3))
    report = tga_six_monthly(lead, year=2026, half=1)
    assert (report["new_patients"], report["total_patients"]) == (1, 2)
    assert report["products"] == [{"product": "MDMA HCl", "total_patients": 2, "new_patients": 1}]
    assert report["due"] == dt.date(2026, 7, 31)
    empty = tga_six_monthly(lead, year=2024, half=2)
    assert (empty["new_patients"], empty["total_patients"], empty["due"]) == (
        0, 0, dt.date(2025, 1, 31)
    )  # fmt: skip
    page = signed_in(lead).get("/studies/reports/tga/", {"year": "2026", "half": "1"})
    assert page.status_code == 200 and "MDMA HCl" in page.content.decode()
    assert (
        signed_in(lead).get("/studies/reports/tga/", {"year": "1999", "half": "1"}).status_code
        == 200
    )
    assert signed_in(researcher).get("/studies/reports/tga/").status_code == 403
