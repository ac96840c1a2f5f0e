"""Starting a course, its team, moving visits and the constraint check."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from holdspace.audit.models import AuditEvent
from holdspace.courses import services
from holdspace.courses.models import Course, CourseStatus, VisitKind, VisitMove
from holdspace.people.actors import Actor

from ..conftest import signed_in
from .conftest import on_team, start_course


def _session(course, n=1):  # type: ignore[no-untyped-def]
    return course.visits.get(kind=VisitKind.MEDICINE_SESSION, number=n)


def test_a_course_proposes_the_whole_schedule(course, therapist, co_therapist):
    assert course.status == CourseStatus.PROPOSED
    assert course.visits.count() == 3 + 3 + 9 + 21 + 1
    session = _session(course)
    assert set(session.therapists.all()) == {therapist, co_therapist}
    assert session.room.name == "Linden"
    assert session.followers.count() == 3 + 7
    assert AuditEvent.objects.filter(
        action="course.create", client_code=course.clients.get().code
    ).exists()


def test_a_client_not_signed_eligible_is_refused_with_the_reason(
    clinics, screening, therapist, co_therapist, lead
):
    screening.eligible, screening.reason = False, "Awaiting a medical lead's decision."
    with pytest.raises(ValidationError) as error:
        start_course(
            by=therapist, clients=[clinics.client], therapists=[therapist, co_therapist], lead=lead
        )
    text = " ".join(error.value.message_dict["client"])
    assert "Awaiting a medical lead's decision." in text
    assert f"/screening/{clinics.client.code}/" in text
    assert not Course.objects.exists()


def test_the_page_links_to_screening_when_not_eligible(
    clinics, screening, therapist, co_therapist, lead
):
    screening.eligible, screening.reason = False, "No intake recorded yet."
    response = signed_in(therapist).post(
        reverse("courses:course_create", args=[clinics.client.code]),
        {
            "template": "mdma-at-ptsd-phase3",
            "start_date": (timezone.localdate() + dt.timedelta(days=2)).isoformat(),
            "therapists": [therapist.pk, co_therapist.pk],
            "medical_lead": lead.pk,
        },
    )
    assert response.status_code == 422
    assert f'href="/screening/{clinics.client.code}/"' in response.content.decode()
    assert "No intake recorded yet." in response.content.decode()


def test_a_care_team_of_one_is_refused_for_medicine_sessions(clinics, screening, therapist, lead):
    with pytest.raises(ValidationError) as error:
        start_course(by=therapist, clients=[clinics.client], therapists=[therapist], lead=lead)
    assert "at least 2 therapists" in " ".join(error.value.message_dict["therapists"])


def test_a_course_without_a_medical_lead_is_refused(clinics, screening, therapist, co_therapist):
    with pytest.raises(ValidationError) as error:
        start_course(
            by=therapist, clients=[clinics.client], therapists=[therapist, co_therapist], lead=None
        )
    assert "medical_lead" in error.value.message_dict


def test_a_course_cannot_start_in_the_past(clinics, screening, therapist, co_therapist, lead):
    with pytest.raises(ValidationError) as error:
        start_course(
            by=therapist,
            clients=[clinics.client],
            therapists=[therapist, co_therapist],
            lead=lead,
            start=timezone.localdate() - dt.timedelta(days=3),
        )
    assert "start_date" in error.value.message_dict


def test_couples_need_two_clients(clinics, screening, therapist, co_therapist, lead):
    with pytest.raises(ValidationError) as error:
        start_course(
            by=therapist,
            clients=[clinics.client],
            therapists=[therapist, co_therapist],
            lead=lead,
            key="couples-cbct-mdma",
        )
    assert "partner" in error.value.message_dict


def test_a_couple_shares_one_course(clinics, screening, coordinator, therapist, co_therapist, lead):
    on_team(clinics.other_client, therapist, co_therapist)
    course = start_course(
        by=coordinator,
        clients=[clinics.client, clinics.other_client],
        therapists=[therapist, co_therapist],
        lead=lead,
        key="couples-cbct-mdma",
    )
    assert set(course.clients.all()) == {clinics.client, clinics.other_client}
    assert course.visits.filter(kind=VisitKind.MEDICINE_SESSION).count() == 2


def test_the_washout_from_screening_sets_the_first_session(
    clinics, screening, therapist, co_therapist, lead
):
    screening.washout = timezone.localdate() + dt.timedelta(days=60)
    course = start_course(
        by=therapist, clients=[clinics.client], therapists=[therapist, co_therapist], lead=lead
    )
    first = _session(course)
    assert timezone.localdate(first.starts_at) == screening.washout
    assert screening.washout.isoformat() in first.why


def test_moving_a_medicine_session_moves_its_integration_visits_and_check_ins(
    course, therapist, clinics
):
    session = _session(course)
    followers = {v.pk: v.starts_at for v in session.followers.all()}
    later = session.starts_at + dt.timedelta(days=3)
    moved = services.visit_reschedule(
        by=Actor.command_line(therapist),
        course=course,
        client=clinics.client,
        visit=session,
        starts_at=later,
        reason="Client has a fever",
    )
    assert len(moved) == 1 + len(followers)
    for visit in course.visits.filter(pk__in=followers):
        assert visit.starts_at == followers[visit.pk] + dt.timedelta(days=3)
    assert VisitMove.objects.filter(visit=session, reason="Client has a fever").exists()
    assert AuditEvent.objects.filter(action="visit.reschedule", target_id=str(session.pk)).exists()


def test_a_move_needs_a_reason(course, therapist, clinics):
    session = _session(course)
    with pytest.raises(ValidationError) as error:
        services.visit_reschedule(
            by=Actor.command_line(therapist),
            course=course,
            client=clinics.client,
            visit=session,
            starts_at=session.starts_at + dt.timedelta(days=1),
            reason="  ",
        )
    assert "reason" in error.value.message_dict


def test_a_visit_cannot_move_into_the_past(course, therapist, clinics):
    visit = course.visits.filter(kind=VisitKind.PREPARATION).first()
    with pytest.raises(ValidationError, match="in the past"):
        services.visit_reschedule(
            by=Actor.command_line(therapist),
            course=course,
            client=clinics.client,
            visit=visit,
            starts_at=timezone.now() - dt.timedelta(days=1),
            reason="typo",
        )


def test_a_medicine_session_too_soon_after_the_previous_is_refused(course, therapist, clinics):
    second = _session(course, 2)
    first = _session(course, 1)
    with pytest.raises(ValidationError, match="only 10 days after"):
        services.visit_reschedule(
            by=Actor.command_line(therapist),
            course=course,
            client=clinics.client,
            visit=second,
            starts_at=first.starts_at + dt.timedelta(days=10),
            reason="room free",
        )


def test_a_medicine_session_before_the_washout_is_refused(course, therapist, clinics, screening):
    first = _session(course)
    screening.washout = timezone.localdate(first.starts_at) + dt.timedelta(days=2)
    with pytest.raises(ValidationError, match="washout"):
        services.visit_reschedule(
            by=Actor.command_line(therapist),
            course=course,
            client=clinics.client,
            visit=first,
            starts_at=first.starts_at + dt.timedelta(days=1),
            reason="earlier",
        )


def test_double_booked_therapists_and_a_taken_room_are_refused(
    course, clinics, screening, therapist, co_therapist, lead, room, coordinator
):
    on_team(clinics.other_client, therapist, co_therapist)
    other = start_course(
        by=coordinator,
        clients=[clinics.other_client],
        therapists=[therapist, co_therapist],
        lead=lead,
        room=room,
        start=timezone.localdate() + dt.timedelta(days=3),
    )
    # The other course's first preparation visit, moved onto this course's first session day:
    mine = _session(course)
    prep = other.visits.filter(kind=VisitKind.PREPARATION).first()
    with pytest.raises(ValidationError) as error:
        services.visit_reschedule(
            by=Actor.command_line(coordinator),
            course=other,
            client=clinics.other_client,
            visit=prep,
            starts_at=mine.starts_at + dt.timedelta(hours=4),
            reason="only day free",
        )
    text = " ".join(error.value.message_dict["starts_at"])
    # Each conflict names who and what: the therapist, the room, the other visit and its client.
    who = therapist.user.get_full_name() or therapist.user.email
    assert f"{who} is double-booked" in text
    assert f"Room {room.name} is taken" in text
    assert f"{mine.label} of {clinics.client.code}" in text
    prep.refresh_from_db()
    assert prep.starts_at.date() != mine.starts_at.date()


def test_the_course_page_shows_why_each_date_is_where_it_is(course, therapist, clinics):
    response = signed_in(therapist).get(
        reverse("courses:course_detail", args=[clinics.client.code, course.pk])
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "the morning after medicine session 1" in body
    assert "Accept the schedule" in body


def test_accepting_the_schedule(course, therapist, clinics):
    browser = signed_in(therapist)
    browser.post(reverse("courses:course_accept", args=[clinics.client.code, course.pk]))
    course.refresh_from_db()
    assert course.status == CourseStatus.ACTIVE


def test_the_move_page_keeps_what_was_typed_on_a_bad_date(course, therapist, clinics):
    session = _session(course)
    response = signed_in(therapist).post(
        reverse("courses:visit_move", args=[clinics.client.code, course.pk, session.pk]),
        {"starts_at": "2001-01-01T09:00", "reason": "Keep this reason"},
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "in the past" in body and "Keep this reason" in body


def test_therapist_off_the_team_gets_404_and_researcher_may_not_start(
    clinics, screening, therapist_off_team, researcher
):
    assert (
        signed_in(therapist_off_team)
        .get(reverse("courses:course_list", args=[clinics.client.code]))
        .status_code
        == 404
    )
    assert (
        signed_in(researcher)
        .get(reverse("courses:course_create", args=[clinics.client.code]))
        .status_code
        == 403
    )


def test_calendar_week_and_day_per_therapist_and_room(course, therapist, room):
    browser = signed_in(therapist)
    session = _session(course)
    day = timezone.localdate(session.starts_at).isoformat()
    week = browser.get(reverse("courses:calendar_therapist", args=[therapist.pk]) + f"?date={day}")
    assert week.status_code == 200 and "Medicine session 1" in week.content.decode()
    one = browser.get(reverse("courses:calendar_room", args=[room.pk]) + f"?view=day&date={day}")
    assert one.status_code == 200 and "Medicine session 1" in one.content.decode()


def test_a_clinic_clones_a_template_and_a_broken_edit_is_refused(lead):
    browser = signed_in(lead)
    response = browser.post(reverse("courses:template_clone"), {"template": "mdma-at-ptsd-phase3"})
    assert response.status_code == 302
    edit_url = response["Location"]
    text = browser.get(edit_url).context["form"].initial["definition_yaml"]
    assert "key: mdma-at-ptsd-phase3-copy-1" in text
    bad = browser.post(edit_url, {"definition_yaml": text.replace("count: 3", "count: three")})
    assert bad.status_code == 422
    assert "preparation.count" in bad.content.decode()
    good = browser.post(edit_url, {"definition_yaml": text.replace("count: 3", "count: 4")})
    assert good.status_code == 302


def test_real_screening_refuses_a_client_without_intake(clinics, therapist, co_therapist, lead):
    """The screening feature's real functions, unpatched."""
    with pytest.raises(ValidationError) as error:
        start_course(
            by=therapist, clients=[clinics.client], therapists=[therapist, co_therapist], lead=lead
        )
    assert "client" in error.value.message_dict


def test_measures_at_timepoints_become_real_assignments(course, clinics):
    """The measures feature's real assignment_create. An instrument measures marks "not
    usable yet" (structure only) is left out rather than failing the course."""
    from holdspace.measures.models import Assignment

    rows = Assignment.objects.filter(client=clinics.client)
    # baseline, before 3 sessions, end, and the 6- and 12-month follow-ups
    assert rows.filter(instrument_code="PCL-5").count() == 7
    assert (
        rows.filter(instrument_code="PCL-5", timepoint="baseline").get().due_on == course.start_date
    )
    assert rows.filter(instrument_code="EBI").count() == 3
    assert rows.count() >= 14


def test_a_medicine_session_keeps_two_therapists_and_a_free_room(
    course, clinics, therapist, co_therapist, room
):
    session = _session(course)
    url = reverse("courses:visit_assign", args=[clinics.client.code, course.pk, session.pk])
    browser = signed_in(therapist)
    refused = browser.post(url, {"therapists": [therapist.pk], "room": room.pk})
    assert refused.status_code == 422
    assert "at least 2 therapists" in refused.content.decode()
    assert session.therapists.count() == 2
    prep = course.visits.filter(kind=VisitKind.PREPARATION).first()
    ok = browser.post(
        reverse("courses:visit_assign", args=[clinics.client.code, course.pk, prep.pk]),
        {"therapists": [co_therapist.pk]},
    )
    assert ok.status_code == 302
    prep.refresh_from_db()
    assert list(prep.therapists.all()) == [co_therapist]
    assert prep.room is None


def test_overlapping_visits_are_marked_in_the_calendar(
    course, clinics, screening, coordinator, therapist, co_therapist, lead
):
    on_team(clinics.other_client, therapist, co_therapist)
    other = start_course(
        by=coordinator,
        clients=[clinics.other_client],
        therapists=[therapist, co_therapist],
        lead=lead,
    )
    mine = course.visits.filter(kind=VisitKind.PREPARATION).first()
    theirs = other.visits.filter(kind=VisitKind.PREPARATION).first()
    assert mine.starts_at == theirs.starts_at  # both proposed for the same morning
    assert any(c.kind == "therapist_double_booked" for c in services.course_conflicts(course))
    day = timezone.localdate(mine.starts_at).isoformat()
    body = (
        signed_in(therapist)
        .get(reverse("courses:calendar_therapist", args=[therapist.pk]) + f"?view=day&date={day}")
        .content.decode()
    )
    assert body.count("Overlaps another visit") == 2


def test_the_client_page_shows_the_course_panel_and_the_portal_invitation(
    course, clinics, therapist
):
    body = (
        signed_in(therapist)
        .get(reverse("people:client_detail", args=[clinics.client.code]))
        .content.decode()
    )
    assert "MDMA-AT for PTSD (phase 3 design)" in body
    assert "Invite the client to the portal" in body
    response = signed_in(therapist).post(
        reverse("portal:invite", args=[clinics.client.code]), {"email": "client@example.org"}
    )
    assert response.status_code == 302
    from holdspace.portal.models import PortalAccount

    account = PortalAccount.objects.get(client=clinics.client)
    assert not account.user.memberships.exists()
    again = signed_in(therapist).get(reverse("people:client_detail", args=[clinics.client.code]))
    assert "Invite the client to the portal" not in again.content.decode()


def test_a_planned_dose_is_adjusted_for_one_partner_only(
    clinics, screening, coordinator, therapist, co_therapist, lead
):
    on_team(clinics.other_client, therapist, co_therapist)
    course = start_course(
        by=coordinator,
        clients=[clinics.client, clinics.other_client],
        therapists=[therapist, co_therapist],
        lead=lead,
        key="couples-cbct-mdma",
    )
    session = _session(course, 2)
    response = signed_in(coordinator).post(
        reverse("courses:visit_dose", args=[clinics.client.code, course.pk, session.pk]),
        {"initial_mg": "75", "supplemental_mg": "37.5"},
    )
    assert response.status_code == 302
    session.refresh_from_db()
    assert services.dose_for_client(session, clinics.client)["initial_mg"] == 75
    assert services.dose_for_client(session, clinics.other_client)["initial_mg"] == 100
    page = signed_in(coordinator).get(
        reverse("courses:course_detail", args=[clinics.other_client.code, course.pk])
    )
    assert (
        "100.0 mg + 50.0 mg" in page.content.decode() or "100 mg + 50 mg" in page.content.decode()
    )
    bad = signed_in(coordinator).post(
        reverse("courses:visit_dose", args=[clinics.client.code, course.pk, session.pk]),
        {"initial_mg": "-5"},
    )
    assert bad.status_code == 302
    session.refresh_from_db()
    assert services.dose_for_client(session, clinics.client)["initial_mg"] == 75


def test_therapists_off_the_care_team_are_refused(
    clinics, screening, therapist, therapist_off_team, lead
):
    with pytest.raises(ValidationError) as error:
        start_course(
            by=therapist,
            clients=[clinics.client],
            therapists=[therapist, therapist_off_team],
            lead=lead,
        )
    assert "not on the care team" in " ".join(error.value.message_dict["therapists"])


@pytest.mark.django_db
def test_the_calendars_therapists_and_leads_come_by_name(clinics):
    """The calendar's lists and the visit form's choices: by surname, then given name, in
    whatever order the memberships were written."""
    from holdspace.courses import selectors as course_selectors
    from holdspace.people.models import Role

    from ..factories import MembershipFactory, UserFactory

    for first, last in (("Zoe", "Berg"), ("Ada", "Aasen"), ("Ola", "Berg")):
        for role in (Role.THERAPIST, Role.MEDICAL_LEAD):
            MembershipFactory(
                clinic=clinics.north, role=role, user=UserFactory(first_name=first, last_name=last)
            )
    member = clinics.north.memberships.filter(role=Role.THERAPIST).first()
    for found in (
        course_selectors.therapists_of_clinic(member),
        course_selectors.medical_leads_of_clinic(member),
    ):
        ours = {("Aasen", "Ada"), ("Berg", "Ola"), ("Berg", "Zoe")}
        names = [(m.user.last_name, m.user.first_name) for m in found]
        assert [name for name in names if name in ours] == sorted(ours)
