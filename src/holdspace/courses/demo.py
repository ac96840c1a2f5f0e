"""`holdspace demo`: courses at every phase, one couple, through the same services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.core.exceptions import ValidationError

from holdspace.core.extensions import DemoContext
from holdspace.people import services as people_services
from holdspace.people.actors import Actor
from holdspace.people.models import CareTeamRole, Client

from . import services
from .models import Course
from .phase import phase_refresh
from .protocols import builtin_protocols

PHASE3 = "mdma-at-ptsd-phase3"
COUPLES = "couples-cbct-mdma"
# Days before today that each demo course started: upcoming, in preparation, between
# medicine sessions, in integration after the last session, and at follow-up.
STARTS = [-7, 10, 45, 85, 120]


# What the parts of the arc built on courses add to each demo course as it is made
# (preparation, integration), in order. They register in their AppConfig.ready(), so courses
# never imports them; the order keeps the demo's random draws, and so its data, the same.
CourseStep = Callable[[DemoContext, Course, list[Client], int], None]
_course_steps: list[tuple[int, CourseStep]] = []


def register_demo_course_step(order: int, step: CourseStep) -> None:
    """`step(context, course, clients, days_ago)` runs for each demo course once accepted."""
    if all(existing is not step for _order, existing in _course_steps):
        _course_steps.append((order, step))
        _course_steps.sort(key=lambda pair: pair[0])


def demo_phases(context: DemoContext) -> None:
    phase_refresh(context.clients)


def _second_therapist(context: DemoContext, client: Client) -> None:
    coordinator = Actor.command_line(context.members["coordinator"])
    for login in ("therapist", "therapist2"):
        member = context.members[login]
        if not client.care_team.filter(membership=member).exists():
            people_services.care_team_add(
                by=coordinator, client=client, member=member, role=CareTeamRole.CO_THERAPIST
            )


def demo_courses(context: DemoContext) -> None:
    lead = Actor.command_line(context.members["lead"])
    therapists = [context.members["therapist"], context.members["therapist2"]]
    rooms = [services.room_create(by=lead, name=name) for name in ("Linden", "Birch")]
    # The demo clinic is open around the clock: its medicine session "in progress" began three
    # hours before the demo is built, whatever the hour (sessions/demo.py), and a clinic's real
    # opening hours would refuse that move before 11:00 or after 21:00.
    services.course_settings_update(by=lead, opens_at=dt.time(0, 0), closes_at=dt.time.max)
    eligible = [c for c in context.clients if services.client_eligibility(c).eligible]
    protocols = builtin_protocols()
    plans: list[tuple[str, list[Client], int]] = []
    starts = STARTS
    if context.clinic.slug == "north" and len(eligible) >= 2:
        # The first demo clinic has the couple, between its two medicine sessions, and its
        # other courses from the far end of the arc, so the two clinics together cover it.
        plans.append((COUPLES, eligible[:2], 20))
        eligible, starts = eligible[2:], STARTS[::-1]
    for client, days_ago in zip(eligible, starts, strict=False):
        plans.append((PHASE3, [client], days_ago))
    for index, (key, clients, days_ago) in enumerate(plans):
        for client in clients:
            _second_therapist(context, client)
        start = context.today - dt.timedelta(days=days_ago) + dt.timedelta(days=index % 3)
        try:
            course = services.course_create(
                by=lead,
                clients=clients,
                template_key=key,
                protocol=protocols[key],
                start_date=start,
                # Alternate who leads, so check-in calls spread over both therapists.
                therapists=therapists if index % 2 == 0 else therapists[::-1],
                medical_lead=context.members["lead"],
                room=rooms[index % 2],
                already_under_way=start < context.today,
            )
        except ValidationError:
            continue
        services.course_accept(by=lead, course=course, client=clients[0], accept_conflicts=True)
        _demo_untangle(lead, course, clients[0])
        for _order, step in _course_steps:
            step(context, course, clients, days_ago)
    # Queue the reminders due now, as the hourly `holdspace courses remind` would.
    from .tasks import reminders_enqueue

    reminders_enqueue()


def _demo_untangle(by: Actor, course, client: Client) -> None:  # type: ignore[no-untyped-def]
    """Move the demo course's future visits off clashes with the other demo courses, the way a
    coordinator would (each move through visit_reschedule, with its reason)."""
    from django.utils import timezone

    from .constraints import Slot, conflicts_for

    tries = [dt.timedelta(hours=h) for h in (2, 4, -2, 24, 48, 72)]
    for visit in list(course.visits.filter(starts_at__gt=timezone.now()).order_by("starts_at")):
        visit.refresh_from_db()
        if not conflicts_for([Slot.of(visit)], clinic_id=course.clinic_id):
            continue
        for shift in tries:
            try:
                services.visit_reschedule(
                    by=by,
                    course=course,
                    client=client,
                    visit=visit,
                    starts_at=visit.starts_at + shift,
                    reason="Demo: moved off a clash with another course",
                )
            except ValidationError:
                continue
            break
