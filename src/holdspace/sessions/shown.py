"""The readings the monitor shows, read in rows bounded by what is shown, not by the readings
stored: a session with 2,000 readings renders as fast as one with 20.

The monitor lists the newest readings one by one (RECENT_STEP below: at least 30, fewer than
60; the rule is described in timeline.py) and, before them, every out-of-range or baseline
reading in full; the in-range ones in between are summarised by the database
(timeline.split_shown), and the chart draws the lowest and highest values of each slice of
time (charts.vitals_chart). So only these rows become
Python objects. The queries are the same whatever the length of the session (those that find
nothing in a short one still run): see tests/core/test_constant_queries.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Max, Min, Q, QuerySet

from .models import MedicineSession, VitalReading

# The line between the recent and the older timeline moves this many readings at a time (why:
# timeline.py, above SplitTimeline).
RECENT_STEP = 30


@dataclass(frozen=True)
class ShownReadings:
    count: int  # every reading of the session
    first_at: dt.datetime | None
    last_at: dt.datetime | None
    # Oldest first: every reading from the split between the recent and the older timeline on
    # (all of them while the session has fewer than 2 x RECENT_STEP).
    recent: list[VitalReading]
    # Oldest first: the readings before the split that are out of range or a baseline.
    older_flagged: list[VitalReading]

    @property
    def split(self) -> VitalReading | None:
        """The first recent reading when older ones are summarised, else None."""
        return self.recent[0] if self.recent and len(self.recent) < self.count else None

    def before_split(self) -> Q:
        """Readings before the split, by the timeline's order (time, then id)."""
        first = self.split or (self.recent[0] if self.recent else None)
        if first is None:
            return Q(pk__lt=0)  # no readings: nothing is older
        return Q(taken_at__lt=first.taken_at) | Q(taken_at=first.taken_at, pk__lt=first.pk)


def readings_of(session: MedicineSession) -> QuerySet[VitalReading]:
    return VitalReading.objects.filter(session_id=session.pk).order_by("taken_at", "pk")


def shown_readings(session: MedicineSession, *, step: int = RECENT_STEP) -> ShownReadings:
    """Three queries whatever the number of readings: their count and span, the newest ones
    (the recent part is never more than 2 x step - 1), and the flagged ones before those."""
    rows = readings_of(session)
    span = rows.aggregate(count=Count("pk"), first=Min("taken_at"), last=Max("taken_at"))
    count = int(span["count"])
    # The split moves `step` readings at a time, so the older part does not change with each
    # new reading (timeline.split_shown).
    at = (count // step - 1) * step if count >= 2 * step else 0
    newest = rows.reverse().select_related("recorded_by__user")[: 2 * step - 1]
    recent = list(reversed(newest))[-(count - at) :] if count > at else []
    shown = ShownReadings(count, span["first"], span["last"], recent, [])
    flagged = (
        rows.filter(shown.before_split())
        .filter(~Q(tier="") | Q(is_baseline=True))
        .select_related("recorded_by__user")
    )
    return ShownReadings(count, span["first"], span["last"], recent, list(flagged))
