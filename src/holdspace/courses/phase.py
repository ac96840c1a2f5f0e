"""A client's phase on the arc of care, derived from the record, never set by a person.

    screening    no accepted course yet (intake and screening)
    preparation  an accepted course whose first medicine session has not begun
    medicine_sessions  a medicine session is open or running, or more are planned
    integration  every planned medicine session has ended; integration visits remain
    follow_up    integration visits are over; follow-up visits (outcome assessments) remain
    closed       the course is closed, or every visit of it lies in the past

`Client.phase` keeps the derived value so the client list can filter and sort on an index.
It is refreshed by every service that changes what it is derived from (course accepted, visit
moved, session opened, started or ended) and, for the passing of time, by
`holdspace courses phases` (run with the reminders, hourly).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import QuerySet
from django.utils import timezone

from holdspace.people.models import Client, Phase

from .models import Course, CourseStatus, Visit, VisitKind


def phase_derive(client: Client, *, now: dt.datetime | None = None) -> str:
    now = now or timezone.now()
    # A session running (or opened) counts whatever the calendar says: a session begun in the
    # evening is still the medicine session the next morning until it is ended.
    if client.medicine_sessions.exclude(status="ended").exists():
        return Phase.MEDICINE_SESSIONS
    courses = Course.objects.filter(clients=client).exclude(status=CourseStatus.PROPOSED)
    course = courses.filter(status=CourseStatus.ACTIVE).order_by("-start_date", "-pk").first()
    if course is None:
        return Phase.CLOSED if courses.exists() else Phase.SCREENING
    visits = list(
        Visit.objects.filter(course=course, cancelled=False).values_list(
            "pk", "kind", "starts_at", "duration_minutes"
        )
    )
    sessions = [
        (pk, starts) for pk, kind, starts, _m in visits if kind == VisitKind.MEDICINE_SESSION
    ]
    ended = set(
        client.medicine_sessions.filter(status="ended", visit__course=course).values_list(
            "visit_id", flat=True
        )
    )
    if sessions and not ended and all(starts > now for _pk, starts in sessions):
        return Phase.PREPARATION
    # A planned session not yet ended holds the phase; one a day past with no record does not
    # (it was missed or not recorded, and the course moves on).
    if any(pk not in ended and starts > now - _GRACE for pk, starts in sessions):
        return Phase.MEDICINE_SESSIONS
    last_session = max((starts for _pk, starts in sessions), default=None)

    def ahead(*kinds: str) -> bool:
        return any(
            kind in kinds
            and starts + dt.timedelta(minutes=minutes) > now
            and (last_session is None or starts > last_session)
            for _pk, kind, starts, minutes in visits
        )

    if ahead(VisitKind.INTEGRATION, VisitKind.CHECK_IN):
        return Phase.INTEGRATION
    if ahead(VisitKind.OUTCOME_ASSESSMENT):
        return Phase.FOLLOW_UP
    return Phase.CLOSED


_GRACE = dt.timedelta(days=1)


def phase_refresh(clients: Iterable[Client], *, now: dt.datetime | None = None) -> int:
    """Store the derived phase where it changed. Returns how many changed. A derived value, not
    a person's write, so no audit row: the changes it follows are audited where they happen."""
    changed = 0
    for client in clients:
        phase = phase_derive(client, now=now)
        if phase != client.phase:
            Client.objects.filter(pk=client.pk).update(phase=phase)
            client.phase = phase
            changed += 1
    return changed


def phase_refresh_all(*, now: dt.datetime | None = None) -> int:
    clients: QuerySet[Client] = Client.objects.all().only("pk", "phase")
    return phase_refresh(clients.iterator(chunk_size=500), now=now)
