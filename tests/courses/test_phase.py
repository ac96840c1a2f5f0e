"""The phase follows the record: the course, its calendar and its medicine sessions."""

from __future__ import annotations

import datetime as dt

from django.core.management import call_command
from django.urls import reverse

from holdspace.courses import services
from holdspace.courses.models import VisitKind
from holdspace.courses.phase import phase_derive
from holdspace.people.actors import Actor
from holdspace.people.models import Client, Phase

from ..conftest import signed_in


def _visits(course, kind):  # type: ignore[no-untyped-def]
    return list(course.visits.filter(kind=kind, cancelled=False).order_by("starts_at"))


def test_a_client_without_an_accepted_course_is_in_screening(course, clinics):
    assert phase_derive(clinics.client) == Phase.SCREENING


def test_accepting_the_course_moves_the_client_to_preparation_on_pages_filter_and_api(
    course, clinics, therapist
):
    services.course_accept(by=Actor.command_line(therapist), course=course, client=clinics.client)
    clinics.client.refresh_from_db()
    assert clinics.client.phase == Phase.PREPARATION
    browser = signed_in(therapist)
    listed = browser.get(reverse("people:client_list"), {"phase": "preparation"}).content.decode()
    assert clinics.client.code in listed
    page = browser.get(reverse("people:client_detail", args=[clinics.client.code]))
    assert '<span class="phase">Preparation</span>' in page.content.decode()
    api = browser.get(f"/api/v1/clients/{clinics.client.code}")
    assert api.json()["phase"] == "preparation"


def test_the_phase_follows_the_calendar_through_the_course(course, clinics, therapist):
    services.course_accept(by=Actor.command_line(therapist), course=course, client=clinics.client)
    sessions = _visits(course, VisitKind.MEDICINE_SESSION)
    integration = _visits(course, VisitKind.INTEGRATION)
    outcomes = _visits(course, VisitKind.OUTCOME_ASSESSMENT)
    hour = dt.timedelta(hours=1)
    client = clinics.client
    assert phase_derive(client, now=sessions[0].starts_at - hour) == Phase.PREPARATION
    assert phase_derive(client, now=sessions[0].starts_at + hour) == Phase.MEDICINE_SESSIONS
    # Between sessions the course is still in its medicine-session part.
    assert phase_derive(client, now=sessions[1].starts_at - hour) == Phase.MEDICINE_SESSIONS
    after_last = sessions[-1].starts_at + dt.timedelta(days=2)
    later_integration = [v for v in integration if v.starts_at > after_last]
    assert later_integration, "the template has integration visits after the last session"
    assert phase_derive(client, now=after_last) == Phase.INTEGRATION
    last_integration = max(v.starts_at for v in integration) + dt.timedelta(days=1)
    if outcomes and max(v.starts_at for v in outcomes) > last_integration:
        assert phase_derive(client, now=last_integration) == Phase.FOLLOW_UP
    the_end = max(v.starts_at for v in course.visits.all()) + dt.timedelta(days=1)
    assert phase_derive(client, now=the_end) == Phase.CLOSED


def test_the_hourly_command_brings_stored_phases_up_to_date(course, clinics):
    Client.objects.filter(pk=clinics.client.pk).update(phase=Phase.CLOSED)
    call_command("courses", "phases")
    clinics.client.refresh_from_db()
    assert clinics.client.phase == Phase.SCREENING
