"""Long-term follow-ups of a study's clients: 6 and 12 calendar months after the last medicine
session held (hand-checked at month ends), made by an idempotent job, moved by a later session,
reminded once, listed on the coordinator's Today page and counted per arm on the study page."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from holdspace.audit.models import AuditEvent
from holdspace.core.dates import months_after
from holdspace.courses.models import Course, Visit, VisitKind
from holdspace.measures.models import Assignment, AssignmentState
from holdspace.measures.tasks import assignments_to_remind, measure_reminder_send
from holdspace.people.actors import Actor
from holdspace.sessions.models import MedicineSession
from holdspace.studies import follow_up, services
from holdspace.studies.models import EnrolmentStatus

from ..conftest import signed_in
from ..factories import MembershipFactory

JOB = Actor.command_line()  # the operator's daily job: command line, no membership


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (dt.date(2026, 8, 31), 6, dt.date(2027, 2, 28)),  # February is short
        (dt.date(2027, 8, 31), 6, dt.date(2028, 2, 29)),  # a leap year
        (dt.date(2026, 3, 31), 6, dt.date(2026, 9, 30)),  # 30-day September
        (dt.date(2026, 6, 30), 6, dt.date(2026, 12, 30)),  # the same day, not the month's last
        (dt.date(2026, 12, 31), 6, dt.date(2027, 6, 30)),  # across the year
        (dt.date(2026, 7, 31), 12, dt.date(2027, 7, 31)),
        (dt.date(2028, 2, 29), 12, dt.date(2029, 2, 28)),
        (dt.date(2026, 1, 15), 12, dt.date(2027, 1, 15)),
    ],
)
@pytest.mark.requirement("REQ-STU-103")
def test_months_after_counts_calendar_months_and_stops_at_the_months_end(day, months, expected):
    assert months_after(day, months) == expected


def test_the_plan_reads_6_and_12_months_with_sources_and_review_marks():
    plan = follow_up.plan()
    assert [(f.timepoint, f.months) for f in plan.follow_ups] == [
        ("follow_up_6m", 6),
        ("follow_up_12m", 12),
    ]
    assert all(f.unconfirmed for f in plan.follow_ups)  # the project's reading, for review
    assert {"fda-crl-2024", "outcomes-f5"} <= {s.id for s in plan.sources}


@pytest.fixture
def study(clinics, lead):
    return services.study_create(
        by=Actor.command_line(lead),
        code="durable",
        title="Durability trial",
        arms=[("mdma", "ARM-MDMA", 1), ("placebo", "ARM-PLACEBO", 1)],
        sites=[],
        strata=["severe"],
        block_sizes=[2],
        seed="seed-f",
        per_stratum=4,
    )


@pytest.fixture
def enrolled(study, clinics, coordinator):
    enrolment = services.enrol(
        by=Actor.command_line(coordinator), study=study, client=clinics.client, stratum="severe"
    )
    return services.randomise(by=Actor.command_line(coordinator), enrolment=enrolment)


def _course(client, therapist):  # type: ignore[no-untyped-def]
    course = Course.objects.create(
        clinic=client.clinic,
        template_key="mdma-at-ptsd-phase3",
        template_name="MDMA-AT for PTSD",
        protocol={},
        start_date=dt.date(2026, 5, 1),
        created_by=therapist,
        status="active",
    )
    course.clients.add(client)
    return course


def _visit(course, number, when):  # type: ignore[no-untyped-def]
    return Visit.objects.create(
        course=course,
        kind=VisitKind.MEDICINE_SESSION,
        number=number,
        label=f"Medicine session {number}",
        starts_at=when,
        duration_minutes=480,
        why="test",
    )


def _held(course, client, number, when):  # type: ignore[no-untyped-def]
    visit = _visit(course, number, when)
    return MedicineSession.objects.create(
        clinic=client.clinic, client=client, visit=visit, started_at=when
    )


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 9, 30, tzinfo=timezone.get_current_timezone())


def _due(client) -> dict[str, dt.date]:  # type: ignore[no-untyped-def]
    return dict(
        Assignment.objects.filter(client=client, instrument_code="PCL-5").values_list(
            "timepoint", "due_on"
        )
    )


@pytest.mark.django_db
@pytest.mark.requirement("REQ-STU-103")
def test_follow_ups_are_due_from_the_last_session_held_idempotent_and_moved_by_a_later_one(
    enrolled, clinics, therapist
):
    client = clinics.client
    course = _course(client, therapist)
    _held(course, client, 1, _at(dt.date(2026, 7, 31)))
    planned = _visit(course, 2, _at(dt.date(2026, 8, 31)))
    # A second session is still planned: the last one is not known yet, nothing is asked.
    assert follow_up.follow_ups_schedule(by=JOB).made == 0
    MedicineSession.objects.create(
        clinic=client.clinic, client=client, visit=planned, started_at=_at(dt.date(2026, 8, 31))
    )
    first = follow_up.follow_ups_schedule(by=JOB)
    assert (first.clients, first.made, first.moved) == (1, 2, 0)
    assert _due(client) == {
        "follow_up_6m": dt.date(2027, 2, 28),  # 31 August + 6 months
        "follow_up_12m": dt.date(2027, 8, 31),
    }
    again = follow_up.follow_ups_schedule(by=JOB)
    assert (again.made, again.moved) == (0, 0)
    assert Assignment.objects.filter(client=client).count() == 2
    # A third session, held later: the open follow-ups move with it; a done one stays.
    Assignment.objects.filter(client=client, timepoint="follow_up_12m").update(
        state=AssignmentState.COMPLETED
    )
    _held(course, client, 3, _at(dt.date(2026, 9, 30)))
    moved = follow_up.follow_ups_schedule(by=JOB)
    assert (moved.made, moved.moved) == (0, 1)
    assert _due(client) == {
        "follow_up_6m": dt.date(2027, 3, 30),
        "follow_up_12m": dt.date(2027, 8, 31),
    }
    actions = list(
        AuditEvent.objects.filter(action__startswith="measures.assignment").values_list(
            "action", "actor_label"
        )
    )
    assert actions.count(("measures.assignment.create", "command line job")) == 2
    assert actions.count(("measures.assignment.reschedule", "command line job")) == 1


@pytest.mark.django_db
@pytest.mark.requirement("REQ-STU-103")
def test_withdrawn_clients_and_clients_without_a_session_get_no_follow_up(
    enrolled, clinics, therapist
):
    assert follow_up.follow_ups_schedule(by=JOB).clients == 0  # no session held yet
    _held(_course(clinics.client, therapist), clinics.client, 1, _at(dt.date(2026, 1, 31)))
    enrolled.status = EnrolmentStatus.WITHDRAWN
    enrolled.save(update_fields=["status"])
    assert follow_up.follow_ups_schedule(by=JOB).clients == 0
    assert not Assignment.objects.exists()


@pytest.mark.django_db
@pytest.mark.requirement("REQ-STU-103")
def test_reminders_go_once_per_window_and_the_coordinator_sees_them_on_today(
    enrolled, clinics, therapist, coordinator, lead, mailoutbox
):
    last = timezone.localdate() - dt.timedelta(days=200)  # the 6-month follow-up is overdue
    _held(_course(clinics.client, therapist), clinics.client, 1, _at(last))
    out = StringIO()
    call_command("studies", "follow-ups", stdout=out)
    assert "1 client(s): 2 asked, 0 moved" in out.getvalue()
    call_command("studies", "follow-ups", stdout=out)  # idempotent
    assert Assignment.objects.filter(client=clinics.client).count() == 2
    six = Assignment.objects.get(client=clinics.client, timepoint="follow_up_6m")
    today = timezone.localdate()
    assert assignments_to_remind(today) == [six.pk]  # the 12-month one is not due yet
    assert measure_reminder_send.call(six.pk) is True
    assert len(mailoutbox) == 1 and "overdue" in mailoutbox[0].subject
    assert "PCL" not in mailoutbox[0].body  # says nothing clinical
    assert assignments_to_remind(today) == []  # reminded: not again within the window
    browser = signed_in(coordinator)
    page = browser.get("/today/").content.decode()
    assert "Study follow-ups" in page and clinics.client.code in page and "durable" in page
    assert f'href="/studies/{six.client.enrolment.study_id}/">durable</a>' in page
    # The panel's query is kept compiled; what it reads is not: done, it leaves the panel.
    Assignment.objects.filter(client=clinics.client).update(state=AssignmentState.COMPLETED)
    assert "Study follow-ups" not in browser.get("/today/").content.decode()
    # The south lead (another clinic) sees nothing of it.
    south = signed_in(MembershipFactory(clinic=clinics.south, role="coordinator"))
    assert clinics.client.code not in south.get("/today/").content.decode()


@pytest.mark.django_db
def test_retention_counts_follow_ups_per_arm_for_report_roles_only(
    study, enrolled, clinics, therapist, lead, coordinator
):
    _held(_course(clinics.client, therapist), clinics.client, 1, _at(dt.date(2026, 1, 31)))
    follow_up.follow_ups_schedule(by=JOB)
    Assignment.objects.filter(timepoint="follow_up_6m").update(state=AssignmentState.COMPLETED)
    arm = enrolled.slot.arm.name
    report = follow_up.retention(lead, study, today=dt.date(2027, 2, 1))
    rows = {(r["arm"], r["months"]): r for r in report["rows"]}
    assert (rows[(arm, 6)]["scheduled"], rows[(arm, 6)]["done"]) == (1, 1)
    twelve = rows[(arm, 12)]  # due 31 January 2027, open on 1 February: overdue
    assert (twelve["scheduled"], twelve["overdue"], twelve["upcoming"]) == (1, 1, 0)
    other = next(a.name for a in study.arms.all() if a.name != arm)
    assert rows[(other, 12)]["scheduled"] == 0
    before = follow_up.retention(lead, study, today=dt.date(2027, 1, 31))
    assert {(r["arm"], r["months"]): r for r in before["rows"]}[(arm, 12)]["upcoming"] == 1
    page = signed_in(lead).get(f"/studies/{study.pk}/").content.decode()
    assert "Retention: long-term follow-ups" in page
    # A therapist sees the study (their own clients) but not its reports.
    assert "Retention" not in signed_in(therapist).get(f"/studies/{study.pk}/").content.decode()


@pytest.mark.django_db
def test_a_site_runs_the_job_for_its_own_clients_only_from_the_study_page(
    study, enrolled, clinics, therapist, coordinator, lead
):
    _held(_course(clinics.client, therapist), clinics.client, 1, _at(dt.date(2026, 1, 31)))
    url = f"/studies/{study.pk}/follow-ups/"
    assert signed_in(therapist).post(url).status_code == 403  # sees the study, may not
    assert not Assignment.objects.exists()
    assert signed_in(coordinator).post(url).status_code == 302
    assert Assignment.objects.filter(client=clinics.client).count() == 2
    outsider = MembershipFactory(clinic=clinics.south, role="coordinator")
    assert signed_in(outsider).post(url).status_code == 404
