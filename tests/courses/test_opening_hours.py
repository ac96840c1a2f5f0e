"""Issue 12: the schedule respects the clinic's opening hours and closed days, and spreads
phone check-ins over the care team so two courses accepted the same week do not collide."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from holdspace.courses import services
from holdspace.courses.hours import OpeningHours
from holdspace.courses.models import CourseSettings, VisitKind
from holdspace.courses.protocols import builtin_protocols
from holdspace.courses.schedule import schedule_propose
from holdspace.people.actors import Actor

from ..conftest import signed_in
from ..factories import ClientFactory
from .conftest import on_team, start_course

PHASE3 = "mdma-at-ptsd-phase3"


def _first_session(visits):  # type: ignore[no-untyped-def]
    return next(v for v in visits if v.kind == VisitKind.MEDICINE_SESSION)


def test_a_session_on_a_closed_day_moves_to_the_next_open_day_and_says_why() -> None:
    protocol = builtin_protocols()[PHASE3]
    start = dt.date(2027, 3, 1)
    plain = _first_session(schedule_propose(protocol=protocol, start_date=start, washout_date=None))
    day = timezone.localtime(plain.starts_at).date()
    hours = OpeningHours(closed=frozenset({day}))
    moved_visits = schedule_propose(
        protocol=protocol, start_date=start, washout_date=None, hours=hours
    )
    moved = _first_session(moved_visits)
    assert timezone.localtime(moved.starts_at).date() == day + dt.timedelta(days=1)
    assert "the clinic is closed on " + day.isoformat() in moved.why.in_english()
    # The morning-after visit is counted from where the session landed.
    morning_after = next(
        v for v in moved_visits if v.kind == VisitKind.INTEGRATION and v.follows == 1
    )
    assert timezone.localtime(morning_after.starts_at).date() == day + dt.timedelta(days=2)


def test_a_visit_before_opening_starts_at_opening_and_weekends_can_be_closed() -> None:
    protocol = builtin_protocols()[PHASE3]
    hours = OpeningHours(opens=dt.time(9, 30), weekdays=frozenset(range(5)))
    visits = schedule_propose(
        protocol=protocol, start_date=dt.date(2027, 3, 1), washout_date=None, hours=hours
    )
    for visit in visits:
        local = timezone.localtime(visit.starts_at)
        assert local.time() >= dt.time(9, 30), visit.label.in_english()
        if visit.kind != VisitKind.CHECK_IN:  # phone calls keep the protocol's daily rhythm
            assert local.weekday() < 5, visit.label.in_english()
    session = _first_session(visits)
    assert "outside opening hours (09:30-18:00)" in session.why.in_english()


def test_a_course_follows_the_clinic_s_settings(clinics, screening, therapist, co_therapist, lead):
    protocol = builtin_protocols()[PHASE3]
    start = timezone.localdate() + dt.timedelta(days=1)
    proposal = schedule_propose(protocol=protocol, start_date=start, washout_date=None)
    planned = _first_session(proposal)
    closed = timezone.localtime(planned.starts_at).date()
    CourseSettings.objects.create(clinic=clinics.north, closed_dates=[closed.isoformat()])
    course = start_course(
        by=therapist, clients=[clinics.client], therapists=[therapist, co_therapist], lead=lead
    )
    session = course.visits.get(kind=VisitKind.MEDICINE_SESSION, number=1)
    assert timezone.localtime(session.starts_at).date() == closed + dt.timedelta(days=1)
    assert "the clinic is closed on" in str(session.why)


@pytest.mark.parametrize("where", ["late", "closed"])
def test_a_manual_move_outside_hours_or_to_a_closed_day_is_refused(
    where, course, clinics, therapist
):
    session = course.visits.get(kind=VisitKind.MEDICINE_SESSION, number=1)
    local = timezone.localtime(session.starts_at)
    if where == "late":
        target = local.replace(hour=21, minute=30)
        expected = "outside the clinic's opening hours"
    else:
        target = local + dt.timedelta(days=2)
        CourseSettings.objects.create(
            clinic=clinics.north, closed_dates=[target.date().isoformat()]
        )
        expected = "The clinic is closed on"
    with pytest.raises(ValidationError) as refused:
        services.visit_reschedule(
            by=Actor.command_line(therapist),
            course=course,
            client=clinics.client,
            visit=session,
            starts_at=target,
            reason="Family matter",
        )
    assert "starts_at" in refused.value.message_dict
    assert any(expected in m for m in refused.value.message_dict["starts_at"])
    session.refresh_from_db()
    assert session.starts_at == local


def test_check_ins_are_spread_over_the_team_and_two_courses_do_not_collide(
    course, clinics, therapist, co_therapist, lead
):
    first = list(course.visits.filter(kind=VisitKind.CHECK_IN).prefetch_related("therapists"))
    callers = {t.pk for v in first for t in v.therapists.all()}
    assert callers == {therapist.pk, co_therapist.pk}, "calls go to both therapists"
    courses = [course]
    for client in (clinics.other_client, ClientFactory(clinic=clinics.north)):
        on_team(client, therapist, co_therapist)
        courses.append(
            start_course(
                by=therapist,
                clients=[client],
                therapists=[therapist, co_therapist],
                lead=lead,
                start=course.start_date,
            )
        )
    for each in courses[1:]:
        conflicts = services.course_conflicts(each)
        calls = [c.message for c in conflicts if "Check-in" in c.label]
        assert not calls, calls
    # The third course's calls found both therapists busy at 12:00 and moved on.
    third = courses[2].visits.filter(kind=VisitKind.CHECK_IN).order_by("starts_at").first()
    assert third is not None
    assert timezone.localtime(third.starts_at).time() == dt.time(12, 15)
    assert "staggered" in str(third.why)


def test_the_admin_sees_and_changes_opening_hours(clinics, clinic_admin):
    page = signed_in(clinic_admin).get(reverse("clinic:clinic_settings")).content.decode()
    assert "08:00\u201318:00" in page  # an en dash between the hours
    assert reverse("courses:course_settings") in page
    url = reverse("courses:course_settings")
    good = {
        "opens_at": "08:30",
        "closes_at": "16:00",
        "open_weekdays": ["0", "1", "2", "3", "4"],
        "closed_dates": "2027-12-24\n2027-12-25",
        "emergency_number": "113",
    }
    assert signed_in(clinic_admin).post(url, good).status_code == 302
    saved = CourseSettings.objects.get(clinic=clinics.north)
    assert saved.open_weekdays == [0, 1, 2, 3, 4]
    assert saved.closed_dates == ["2027-12-24", "2027-12-25"]
    assert saved.opening_hours().closes == dt.time(16, 0)
    bad = {**good, "closes_at": "07:00", "closed_dates": "24.12.2027"}
    refused = signed_in(clinic_admin).post(url, bad)
    assert refused.status_code == 422
    body = refused.content.decode()
    assert "The clinic must close after it opens." in body
    assert "24.12.2027 is not a date" in body
    saved.refresh_from_db()
    assert saved.closes_at == dt.time(16, 0)
