"""`holdspace demo`: notes and check-ins after the medicine sessions, through the services."""

from __future__ import annotations

from holdspace.core.extensions import DemoContext
from holdspace.courses.models import Course, VisitKind
from holdspace.people.actors import Actor
from holdspace.people.models import Client

from . import services


def demo_integration(
    context: DemoContext, course: Course, clients: list[Client], days_ago: int
) -> None:
    """A signed note and three check-in calls for the demo courses past their sessions."""
    if days_ago <= 40:
        return
    client = clients[0]
    therapist = Actor.command_line(context.members["therapist"])
    visit = course.visits.filter(kind=VisitKind.INTEGRATION).order_by("starts_at").first()
    note = services.note_create(
        by=therapist,
        course=course,
        client=client,
        visit=visit,
        text="Synthetic demo note: talked through the session; sleeping well; plans a walk daily.",
    )
    services.note_sign(by=therapist, note=note)
    session = course.visits.filter(kind=VisitKind.MEDICINE_SESSION).order_by("starts_at").first()
    for day in range(1, 4):
        services.check_in_record(
            by=therapist,
            course=course,
            client=client,
            visit=session,
            mood=context.rng.randint(4, 8),
            sleep=context.rng.randint(4, 8),
            distress=context.rng.randint(1, 5),
            self_harm_thoughts=False,
            comment=f"Day {day} phone call (synthetic)",
        )
