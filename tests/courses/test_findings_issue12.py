"""Issue 12's findings in courses, integration and measures: comments shown to the care team,
no edit offered on a signed note, human labels where codes showed."""

from __future__ import annotations

from django.urls import reverse

from holdspace.courses import services
from holdspace.integration import services as integration
from holdspace.measures.models import SafetyAlert, timepoint_label
from holdspace.people.actors import Actor

from ..conftest import signed_in


def test_the_care_team_reads_the_check_in_comment_and_a_human_alert_reason(
    course, clinics, therapist
):
    integration.check_in_record(
        by=Actor.command_line(therapist),
        course=course,
        client=clinics.client,
        mood=3,
        sleep=4,
        distress=6,
        self_harm_thoughts=True,
        comment="passive thoughts, no plan",
    )
    page = signed_in(therapist).get(reverse("integration:integration", args=[clinics.client.code]))
    assert "passive thoughts, no plan" in page.content.decode()
    alert = SafetyAlert.objects.get(client=clinics.client)
    assert alert.reason_label() == "Check-in: the client reported thoughts of self-harm"
    assert alert.source_label() == "a check-in"
    overview = signed_in(therapist).get(reverse("people:client_detail", args=[clinics.client.code]))
    body = overview.content.decode()
    assert "checkin.self_harm" not in body
    assert "source: " not in body


def test_a_signed_note_offers_no_edit(course, clinics, therapist):
    by = Actor.command_line(therapist)
    note = integration.note_create(by=by, course=course, client=clinics.client, text="Draft")
    url = reverse("integration:note", args=[clinics.client.code, note.pk])
    assert "Save changes" in signed_in(therapist).get(url).content.decode()
    integration.note_sign(by=by, note=note)
    body = signed_in(therapist).get(url).content.decode()
    assert "Edit the text" not in body and "Save changes" not in body
    assert "Add the addendum" in body


def test_timepoints_read_as_words():
    assert timepoint_label("before_medicine_session_1") == "Before medicine session 1"
    assert timepoint_label("after_medicine_session_3") == "Day after medicine session 3"
    assert timepoint_label("end") == "End of the course"
    assert timepoint_label("monthly") == "Monthly"
    assert timepoint_label("baseline") == "Baseline"


def test_the_course_s_questionnaires_show_timepoints_in_words(course, clinics, therapist):
    body = (
        signed_in(therapist)
        .get(reverse("people:client_detail", args=[clinics.client.code]))
        .content.decode()
    )
    assert "before_medicine_session_" not in body


def test_a_schedule_with_conflicts_needs_a_confirmation_naming_them(
    course, clinics, therapist, co_therapist, lead, room, coordinator
):
    from holdspace.courses.models import Course, CourseStatus

    from .conftest import on_team, start_course

    on_team(clinics.other_client, therapist, co_therapist)
    clash = start_course(
        by=coordinator,
        clients=[clinics.other_client],
        therapists=[therapist, co_therapist],
        lead=lead,
        room=room,
        start=course.start_date,
    )
    url = reverse("courses:course_detail", args=[clinics.other_client.code, clash.pk])
    page = signed_in(coordinator).get(url).content.decode()
    assert 'name="accept_conflicts"' in page
    accept = reverse("courses:course_accept", args=[clinics.other_client.code, clash.pk])
    refused = signed_in(coordinator).post(accept, follow=True).content.decode()
    assert "confirm that you accept it with them" in refused
    assert Course.objects.get(pk=clash.pk).status == CourseStatus.PROPOSED
    signed_in(coordinator).post(accept, {"accept_conflicts": "on"})
    assert Course.objects.get(pk=clash.pk).status == CourseStatus.ACTIVE


def test_a_schedule_without_conflicts_is_accepted_without_the_box(course, clinics, therapist):
    from holdspace.courses.models import CourseStatus

    accept = reverse("courses:course_accept", args=[clinics.client.code, course.pk])
    signed_in(therapist).post(accept)
    course.refresh_from_db()
    assert course.status == CourseStatus.ACTIVE


def test_moving_a_session_moves_its_questionnaires(course, clinics, therapist):
    import datetime as dt

    from django.utils import timezone

    from holdspace.courses.models import VisitKind
    from holdspace.measures.models import Assignment

    before = Assignment.objects.filter(client=clinics.client, timepoint="before_medicine_session_1")
    after = Assignment.objects.filter(client=clinics.client, timepoint="after_medicine_session_1")
    assert before.exists() and after.exists(), "the template has questionnaires around session 1"
    session = course.visits.get(kind=VisitKind.MEDICINE_SESSION, number=1)
    services.visit_reschedule(
        by=Actor.command_line(therapist),
        course=course,
        client=clinics.client,
        visit=session,
        starts_at=session.starts_at + dt.timedelta(days=2),
        reason="Room repainted",
    )
    new_day = timezone.localtime(session.starts_at).date()
    assert {a.due_on for a in before} == {new_day - dt.timedelta(days=1)}
    assert {a.due_on for a in after} == {new_day + dt.timedelta(days=1)}
