from __future__ import annotations

import datetime as dt

from django.utils import timezone

from holdspace.measures import services
from holdspace.people.actors import Actor


def actor(member):  # type: ignore[no-untyped-def]
    return Actor(user=member.user, membership=member)


def phq9(total_first_eight: int = 0, item9: int = 0) -> dict[str, int]:
    answers, left = {}, total_first_eight
    for i in range(1, 9):
        answers[str(i)] = min(3, left)
        left -= answers[str(i)]
    return answers | {"9": item9}


def assign(member, client, code="PHQ-9", days=7):  # type: ignore[no-untyped-def]
    return services.assignment_create(
        by=actor(member),
        client=client,
        instrument_code=code,
        due_on=timezone.localdate() + dt.timedelta(days=days),
    )
