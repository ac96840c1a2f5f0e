"""Issue 12's findings on the session monitor: forms keep their heading on refusal, discharge
warns about ongoing serious adverse events and offers the companion from preparation, and no
two elements on the page share an id."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

from django.urls import reverse
from django.utils import timezone

from holdspace.preparation.models import Preparation
from holdspace.sessions import services
from holdspace.sessions.models import MedicineSession

from ..conftest import signed_in
from .conftest import act, give_initial


def _monitor(session: MedicineSession) -> str:
    return reverse("sessions:monitor", args=[session.client.code, session.pk])


def _act(session: MedicineSession, action: str) -> str:
    return reverse("sessions:act", args=[session.client.code, session.pk, action])


def test_a_refused_supplemental_dose_keeps_its_own_heading(running, therapist):
    MedicineSession.objects.filter(pk=running.pk).update(
        started_at=timezone.now() - dt.timedelta(hours=4)
    )
    running.refresh_from_db()
    give_initial(running, therapist, minutes_ago=200)
    response = signed_in(therapist).post(
        _act(running, "dose"),
        {"kind": "supplemental", "substance": "MDMA HCl", "mg": "40", "lot_number": "L2"},
    )
    body = response.content.decode()
    assert "outside its window" in body
    assert "<h3>Supplemental dose</h3>" in body
    assert "<h3>Initial dose</h3>" not in body


def test_discharge_warns_about_an_ongoing_serious_adverse_event(running, therapist):
    services.adverse_event_report(
        by=act(therapist),
        session=running,
        term="Syncope",
        onset_at=timezone.now() - dt.timedelta(minutes=10),
        severity="severe",
        valence="unpleasant",
        relatedness="possible",
        outcome="ongoing",
        serious_criteria=["hospitalisation"],
    )
    body = signed_in(therapist).get(_monitor(running)).content.decode()
    assert "A serious adverse event is still ongoing:" in body
    assert "Syncope" in body


def test_no_warning_without_an_ongoing_serious_event(running, therapist):
    body = signed_in(therapist).get(_monitor(running)).content.decode()
    assert "A serious adverse event is still ongoing" not in body


def test_discharge_offers_the_overnight_attendant_from_preparation(running, therapist, clinics):
    Preparation.objects.create(
        course=running.visit.course, client=clinics.client, overnight_attendant="Kari Nordmann"
    )
    body = signed_in(therapist).get(_monitor(running)).content.decode()
    assert 'value="Kari Nordmann"' in body


def test_no_two_elements_of_the_monitor_share_an_id(running, therapist):
    give_initial(running, therapist)
    body = signed_in(therapist).get(_monitor(running)).content.decode()
    ids = Counter(re.findall(r'\sid="([^"]+)"', body))
    assert [name for name, n in ids.items() if n > 1] == []
