"""Closing a course with a reason, and the CONSORT-style flow that counts it."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from holdspace.audit.models import AuditEvent
from holdspace.courses import services as courses
from holdspace.courses.models import CourseStatus
from holdspace.outcomes import selectors
from holdspace.outcomes.selectors import CohortFilter
from tests.conftest import signed_in
from tests.factories import ClientFactory

from .helpers import actor, dose, past_course, record, sign

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(therapist, therapist_off_team):  # type: ignore[no-untyped-def]
    return [therapist, therapist_off_team]


def test_close_course_with_reason(clinics, lead, team):
    sign(lead, clinics.client)
    course = past_course(lead, team, clinics.client)
    closed = courses.course_close(
        by=actor(lead), course=course, client=clinics.client, reason="withdrew"
    )
    assert closed.status == CourseStatus.CLOSED and closed.closed_reason == "withdrew"
    event = AuditEvent.objects.filter(action="course.close").get()
    assert event.client_code == clinics.client.code
    with pytest.raises(ValidationError):
        courses.course_close(
            by=actor(lead), course=course, client=clinics.client, reason="completed"
        )


def test_only_a_medical_lead_excludes(clinics, lead, therapist, team):
    sign(lead, clinics.client)
    course = past_course(lead, team, clinics.client)
    with pytest.raises(PermissionDenied):
        courses.course_close(
            by=actor(therapist), course=course, client=clinics.client, reason="excluded"
        )
    with pytest.raises(ValidationError):
        courses.course_close(
            by=actor(therapist), course=course, client=clinics.client, reason="bored"
        )
    course.refresh_from_db()
    assert course.status != CourseStatus.CLOSED
    courses.course_close(by=actor(lead), course=course, client=clinics.client, reason="excluded")


def test_close_through_the_form(clinics, lead, therapist, team):
    sign(lead, clinics.client)
    course = past_course(lead, team, clinics.client)
    url = f"/courses/client/{clinics.client.code}/{course.pk}/close/"
    signed_in(therapist).post(url, {"reason": "nonsense"})
    course.refresh_from_db()
    assert course.status != CourseStatus.CLOSED
    signed_in(therapist).post(url, {"reason": "lost_to_follow_up"})
    course.refresh_from_db()
    assert course.closed_reason == "lost_to_follow_up"
    page = signed_in(therapist).get(f"/courses/client/{clinics.client.code}/{course.pk}/")
    assert "Lost to follow-up" in page.content.decode()


def test_flow_counts_each_step_and_why_people_left(clinics, lead, researcher, team):
    finished, withdrew = clinics.client, clinics.other_client
    refused = ClientFactory(clinic=clinics.north)
    for client in (finished, withdrew):
        sign(lead, client)
    sign(lead, refused, "not_eligible")
    full = past_course(lead, team, finished)
    dose(full, finished, 3)
    record(lead, finished, 50, 1, "baseline")
    record(lead, finished, 25, 120, "end")
    short = past_course(lead, team, withdrew)
    dose(short, withdrew, 1)
    courses.course_close(by=actor(lead), course=short, client=withdrew, reason="withdrew")

    flt = CohortFilter(instrument="PCL-5")
    rows = selectors.cohort_rows(researcher, flt)
    flow = selectors.cohort_flow(selectors.cohort_clients(researcher, flt), rows)
    steps = {s["step"]: s for s in flow["steps"]}
    assert [s["n"] for s in flow["steps"]] == [3, 2, 2, 2, 1, 1, 1, 1]
    assert steps["screened"]["left"] == {"not_eligible": 1}
    assert steps["dosed_1"]["left"] == {"withdrew": 1}
    assert steps["endpoint_measured"]["left"] == {}


def test_flow_is_in_the_summary_api_and_page(clinics, lead, team):
    sign(lead, clinics.client)
    past_course(lead, team, clinics.client)
    # The flow is in the page's plots region (fetched after the page paints).
    html = signed_in(lead).get("/outcomes/plots/?instrument=PCL-5").content.decode()
    assert "Flow from screening to endpoint" in html and "Started preparation" in html


def test_phase3_course_schedules_6_and_12_month_follow_ups(clinics, lead, team):
    from holdspace.core.dates import months_after
    from holdspace.courses.models import VisitKind

    sign(lead, clinics.client)
    course = past_course(lead, team, clinics.client)
    last = course.visits.filter(kind=VisitKind.MEDICINE_SESSION).order_by("starts_at").last()
    due = dict(
        clinics.client.assignments.filter(timepoint__startswith="follow_up").values_list(
            "timepoint", "due_on"
        )
    )
    # Calendar months (core.dates.months_after), the same day of the month or its last day.
    assert due["follow_up_6m"] == months_after(last.starts_at.date(), 6)
    assert due["follow_up_12m"] == months_after(last.starts_at.date(), 12)


def test_adverse_events_per_group_count_pleasant_abuse_and_serious(clinics, lead, researcher, team):
    from django.utils import timezone

    from holdspace.outcomes.summary import summarise
    from holdspace.sessions.models import AdverseEvent, MedicineSession

    sign(lead, clinics.client)
    course = past_course(lead, team, clinics.client)
    dose(course, clinics.client, 1)
    record(lead, clinics.client, 50, 1, "baseline")
    session = MedicineSession.objects.get(client=clinics.client)
    for valence, special, serious in (
        ("pleasant", ["abuse_potential"], []),
        ("unpleasant", [], ["hospitalisation"]),
    ):
        AdverseEvent.objects.create(
            session=session, term="t", onset_at=timezone.now(), severity="mild",
            valence=valence, serious_criteria=serious, relatedness="possible",
            outcome="resolved", special_interest=special, reported_by=lead,
        )  # fmt: skip
    rows = selectors.cohort_rows(researcher, CohortFilter(instrument="PCL-5"))
    events = summarise(rows, instrument="PCL-5", group_by="")["groups"][0]["adverse_events"]
    assert events == {
        "clients_with_any": 1, "all": 2, "pleasant": 1, "abuse_potential": 1, "serious": 1,
    }  # fmt: skip
