"""The therapist's Today: their own visits and check-ins of the day, each with its course's
clients, in one query compiled once per member and day, whose rows are read on every visit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from holdspace.courses import today
from holdspace.courses.models import Course, CourseStatus, Room, Visit, VisitKind

from ..conftest import signed_in
from ..factories import ClientFactory

pytestmark = pytest.mark.django_db


def _course(clinic, therapist, clients, status=CourseStatus.ACTIVE):  # type: ignore[no-untyped-def]
    course = Course.objects.create(
        clinic=clinic,
        template_key="mapp",
        template_name="Phase 3 trial design",
        protocol={},
        status=status,
        start_date=timezone.localdate(),
        created_by=therapist,
    )
    course.clients.add(*clients)
    return course


def _visit(course, therapist, kind, hour, label, room=None, cancelled=False):  # type: ignore[no-untyped-def]
    start = timezone.localtime().replace(hour=hour, minute=0, second=0, microsecond=0)
    visit = Visit.objects.create(
        course=course,
        kind=kind,
        number=1,
        label_stored=label,
        starts_at=start,
        duration_minutes=60,
        room=room,
        why_stored="test",
        cancelled=cancelled,
    )
    if therapist is not None:
        visit.therapists.add(therapist)
    return visit


def _panel(browser, heading: str) -> str:  # type: ignore[no-untyped-def]
    html = browser.get(reverse("today")).content.decode()
    return html.split(heading, 1)[1].split("</ul>", 1)[0]


def test_the_therapist_sees_their_visits_and_check_ins_of_today_with_every_client(
    clinics, therapist, lead, monkeypatch
):
    today._visits_today.clear()
    built = []
    real = today._therapist_visits_query
    monkeypatch.setattr(
        today, "_therapist_visits_query", lambda member: built.append(member) or real(member)
    )
    couple = [ClientFactory(clinic=clinics.north, code=code) for code in ("HS-ZZ0002", "HS-AA0001")]
    single = ClientFactory(clinic=clinics.north, code="HS-MM0003")
    room = Room.objects.create(clinic=clinics.north, name="Linden")
    couples = _course(clinics.north, therapist, couple)
    alone = _course(clinics.north, therapist, [single])
    proposed = _course(clinics.north, therapist, [single], status=CourseStatus.PROPOSED)
    _visit(couples, therapist, VisitKind.PREPARATION, 14, "Preparation 2", room)
    _visit(alone, therapist, VisitKind.PREPARATION, 9, "Preparation 1")
    _visit(alone, therapist, VisitKind.CHECK_IN, 11, "Check-in 1", room)
    # Not theirs, not today's kind of row, cancelled, or of a course not running: not shown.
    _visit(alone, lead, VisitKind.INTEGRATION, 10, "Someone else's integration")
    _visit(alone, therapist, VisitKind.MEDICINE_SESSION, 12, "Medicine session 1")
    _visit(alone, therapist, VisitKind.INTEGRATION, 13, "Cancelled integration", cancelled=True)
    _visit(proposed, therapist, VisitKind.PREPARATION, 15, "Proposed preparation")

    browser = signed_in(therapist)
    visits = _panel(browser, "Your visits")
    assert visits.count("<li>") == 2
    first, second = visits.index("Preparation 1"), visits.index("Preparation 2 · Linden")
    assert first < second  # by time
    course_link = reverse("courses:course_detail", args=["HS-AA0001", couples.pk])
    # The couple's codes in order, each linked to its course.
    assert f'<a class="client-code" href="{course_link}">HS-AA0001</a>, <a' in visits
    assert visits.index("HS-AA0001") < visits.index("HS-ZZ0002")
    assert reverse("courses:course_detail", args=["HS-MM0003", alone.pk]) in visits
    for hidden in ("Someone else", "Medicine session", "Cancelled", "Proposed"):
        assert hidden not in visits
    check_ins = _panel(browser, "Check-ins due today")
    assert "Check-in 1</span>" in check_ins  # a check-in shows no room
    assert reverse("integration:integration", args=["HS-MM0003"]) in check_ins

    # The kept query reads fresh rows: a visit added (or cancelled) shows on the next visit.
    added = _visit(alone, therapist, VisitKind.INTEGRATION, 16, "Integration 1")
    assert "Integration 1" in _panel(browser, "Your visits")
    Visit.objects.filter(pk=added.pk).update(cancelled=True)
    assert "Integration 1" not in _panel(browser, "Your visits")
    assert len(built) == 1  # one member, one day: compiled once


def test_another_day_gets_its_own_query(clinics, therapist, monkeypatch):
    today._visits_today.clear()
    course = _course(clinics.north, therapist, [ClientFactory(clinic=clinics.north)])
    _visit(course, therapist, VisitKind.PREPARATION, 9, "Preparation 1")
    browser = signed_in(therapist)
    assert "Preparation 1" in _panel(browser, "Your visits")
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: tomorrow)
    assert "No visits for you today." in browser.get(reverse("today")).content.decode()
