"""`holdspace demo` (after courses): completed medicine sessions, and at north one in progress
"now", so a newcomer opens Sessions and sees the live monitor at once. Everything goes through
the services, on a demo clock that is moved back to the session's hours."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

from django.core.exceptions import ValidationError
from django.utils import timezone

from holdspace.core.extensions import DemoContext
from holdspace.courses import services as course_services
from holdspace.courses.models import Course, Visit, VisitKind
from holdspace.people.actors import Actor
from holdspace.people.models import Client

from . import selectors, services
from .models import MedicineSession
from .rules import checklist_labels


class _Clock:
    def __init__(self, at: dt.datetime) -> None:
        self.at = at

    def __call__(self) -> dt.datetime:
        return self.at

    def go(self, at: dt.datetime) -> None:
        self.at = at


@contextmanager
def _clock(at: dt.datetime) -> Iterator[_Clock]:
    clock = _Clock(at)
    with mock.patch("django.utils.timezone.now", clock):
        yield clock


def demo_sessions(context: DemoContext) -> None:
    lead = Actor.command_line(context.members["lead"])
    defaults = selectors.settings_defaults()
    services.settings_confirm(by=lead, values=defaults)
    now = timezone.now()
    if context.clinic.slug == "north":
        _in_progress(context, now)
    courses = Course.objects.filter(clinic=context.clinic).prefetch_related("clients")
    for course in courses:
        for client in course.clients.all():
            for visit in course.visits.filter(kind=VisitKind.MEDICINE_SESSION, starts_at__lt=now):
                _completed(context, visit, client)


def _ready(context: DemoContext, client: Client, visit: Visit, at: dt.datetime) -> MedicineSession:
    t1 = Actor.command_line(context.members["therapist"])
    t2 = Actor.command_line(context.members["therapist2"])
    lead = Actor.command_line(context.members["lead"])
    session = services.session_open(by=t1, visit=visit, client=client)
    services.team_attest(by=t1, session=session)
    services.team_attest(by=t2, session=session)
    services.checklist_set(by=t1, session=session, items=dict.fromkeys(checklist_labels(), True))
    services.vital_record(
        by=t1,
        session=session,
        systolic=122,
        diastolic=78,
        heart_rate=68,
        temperature="36.7",
        suds=3,
        taken_at=at,
    )
    for blocker in selectors.start_blockers(session):
        if blocker.overridable:
            services.start_override(
                by=lead,
                session=session,
                item=blocker.item,
                reason="Demo: reviewed with the client by phone the day before.",
            )
    return services.session_start(by=t1, session=session)


def _completed(context: DemoContext, visit: Visit, client: Client) -> None:
    t1 = Actor.command_line(context.members["therapist"])
    t2 = Actor.command_line(context.members["therapist2"])
    start = visit.starts_at
    plan = course_services.dose_for_client(visit, client) or {}
    if MedicineSession.objects.filter(visit=visit, client=client).exists():
        return  # the one in progress
    with _clock(start) as clock:
        try:
            session = _ready(context, client, visit, start - dt.timedelta(minutes=10))
        except ValidationError:
            return
        clock.go(start + dt.timedelta(minutes=5))
        services.dose_give(
            by=t1,
            session=session,
            kind="initial",
            substance="MDMA HCl",
            mg=plan.get("initial_mg", 80),
            lot_number="DEMO-LOT-01",
        )
        readings = [
            (132, 84, 82, "36.9", 4),
            (148, 92, 96, "37.2", 5),
            (151, 93, 99, "37.4", 4),
            (139, 88, 90, "37.3", 3),
            (128, 80, 78, "37.0", 2),
            (124, 79, 72, "36.8", 2),
        ]
        for step, (sys_v, dia_v, hr, temp, suds) in enumerate(readings, start=1):
            clock.go(start + dt.timedelta(minutes=5 + 60 * step))
            services.vital_record(
                by=t2,
                session=session,
                systolic=sys_v,
                diastolic=dia_v,
                heart_rate=hr,
                temperature=temp,
                suds=suds,
            )
            if step == 2:
                services.dose_give(
                    by=t1,
                    session=session,
                    kind="supplemental",
                    substance="MDMA HCl",
                    mg=plan.get("supplemental_mg", 40),
                    lot_number="DEMO-LOT-01",
                )
        clock.go(start + dt.timedelta(minutes=100))
        services.event_note(by=t1, session=session, kind="crying")
        services.adverse_event_report(
            by=t1,
            session=session,
            term="Euphoria",
            onset_at=start + dt.timedelta(minutes=70),
            severity="mild",
            valence="pleasant",
            relatedness="probable",
            outcome="resolved",
            special_interest=["abuse_potential"],
        )
        clock.go(start + dt.timedelta(hours=7, minutes=40))
        session = services.session_end(
            by=t1,
            session=session,
            oriented_stable=True,
            therapists_agree=True,
            disposition="overnight_attendant",
            companion_name="Night attendant on duty",
        )
        services.note_write(
            by=t1,
            session=session,
            text="Synthetic demo note: a calm session; supplemental dose given; no concerns.",
        )
        services.note_sign(by=t1, session=session)
        services.note_sign(by=t2, session=session)


def _session_visit_today(
    context: DemoContext, now: dt.datetime
) -> tuple[Visit, list[Client]] | None:
    """A medicine session that began this morning: the latest one of a demo course, moved to
    today the way a coordinator would (with its reason), on a clock set to before it began."""
    lead = Actor.command_line(context.members["lead"])
    visits = Visit.objects.filter(
        course__clinic=context.clinic, kind=VisitKind.MEDICINE_SESSION
    ).order_by("-starts_at")
    earlier = now - dt.timedelta(hours=3)
    for visit in visits:
        course = visit.course
        clients = list(course.clients.all())
        if not clients:
            continue
        # The session's integration visits and check-ins move with it by the same time, so at
        # some hours of the day they would land on another demo course's check-ins: a slot
        # a slot half an hour or more to either side then serves (the demo must not depend on
        # when it runs).
        for minutes in (15, 45, -15, 75, -45, 105):
            with _clock(earlier):
                try:
                    course_services.visit_reschedule(
                        by=lead,
                        course=course,
                        client=clients[0],
                        visit=visit,
                        starts_at=earlier + dt.timedelta(minutes=minutes),
                        reason="Demo: a medicine session in progress today",
                    )
                except ValidationError:
                    continue
            visit.refresh_from_db()
            return visit, clients
    return None


def _in_progress(context: DemoContext, now: dt.datetime) -> None:
    found = _session_visit_today(context, now)
    if found is None:
        return
    visit, clients = found
    for client in clients:
        _running(context, visit, client, now)


def _running(context: DemoContext, visit: Visit, client: Client, now: dt.datetime) -> None:
    t1 = Actor.command_line(context.members["therapist"])
    t2 = Actor.command_line(context.members["therapist2"])
    plan = course_services.dose_for_client(visit, client) or {}
    start = now - dt.timedelta(minutes=150)
    with _clock(start) as clock:
        session = _ready(context, client, visit, start - dt.timedelta(minutes=10))
        clock.go(start + dt.timedelta(minutes=5))
        services.dose_give(
            by=t1,
            session=session,
            kind="initial",
            substance="MDMA HCl",
            mg=plan.get("initial_mg", 80),
            lot_number="DEMO-LOT-02",
        )
        steps = [
            (35, (128, 82, 80, "36.9", 4), "music_changed"),
            (65, (146, 90, 104, "37.3", 5), "eyeshades_off"),
            (95, (150, 92, 98, "37.6", 5), "crying"),
            (125, (158, 94, 101, "38.2", 4), "talking"),
        ]
        for minutes, (sys_v, dia_v, hr, temp, suds), quick in steps:
            clock.go(start + dt.timedelta(minutes=minutes))
            reading = services.vital_record(
                by=t2,
                session=session,
                systolic=sys_v,
                diastolic=dia_v,
                heart_rate=hr,
                temperature=temp,
                suds=suds,
            )
            services.event_note(by=t1, session=session, kind=quick)
            if minutes == 65:
                clock.go(start + dt.timedelta(minutes=68))
                for alert in reading.alerts.all():
                    services.alert_acknowledge(
                        by=t1, alert=alert, action_taken="Rechecked after 3 min rest: 98/min."
                    )
        clock.go(start + dt.timedelta(minutes=110))
        services.event_note(
            by=t1,
            session=session,
            kind="note",
            text="Synthetic demo note: speaking about the accident; settled with breathing.",
        )
