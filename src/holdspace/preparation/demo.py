"""`holdspace demo`: each demo course's preparation, through the same services as the pages."""

from __future__ import annotations

from holdspace.core.extensions import DemoContext
from holdspace.courses.models import Course, VisitKind
from holdspace.people.actors import Actor
from holdspace.people.models import Client

from . import services


def demo_preparation(
    context: DemoContext, course: Course, clients: list[Client], days_ago: int
) -> None:
    """Each demo course's preparation; complete for the courses under way for three weeks."""
    done = days_ago > 20
    therapist = Actor.command_line(context.members["therapist"])
    for client in clients:
        values = {
            "intentions": context.fake.sentence(nb_words=12),
            "music_playlist": "Clinic playlist A (8 h)",
            "eyeshades": True,
            "ride_home": context.fake.first_name() + " (friend)",
        }
        if done:
            first_room = course.visits.filter(kind=VisitKind.MEDICINE_SESSION).first()
            values.update(
                {
                    "room": first_room.room if first_room else None,
                    "overnight_plan": "Stays in the clinic's overnight room",
                    "overnight_attendant": "Night attendant on duty",
                    "supportive_touch": "yes",
                    "agrees_to_stay": True,
                }
            )
        services.preparation_update(by=therapist, course=course, client=client, **values)
