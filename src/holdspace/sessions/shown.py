"""The readings the monitor shows, read in rows bounded by what is shown, not by the readings
stored: a session with 2,000 readings renders as fast as one with 20.

The monitor lists the newest SHOWN readings one by one and, before them, every out-of-range or
baseline reading in full; the in-range ones in between are summarised by the database
(timeline.split_shown), and the chart draws the lowest and highest values of each slice of
time (charts.vitals_chart). So only these rows become Python objects, the same number at any
length of session. The queries are the same whatever the length of the session (those that
find nothing in a short one still run): see tests/core/test_constant_queries.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Max, Min, Q, QuerySet

from holdspace.core.compiled import CompiledQueries

from .models import MedicineSession, VitalReading

# The newest readings listed one by one on the monitor (and drawn one by one in the chart):
# a session of up to SHOWN readings looks as it always did, every reading in full. Twenty
# readings every 15 to 30 minutes are five to ten hours, a whole dosing day at most cadences.
SHOWN = 20
# The line between the recent and the older part of the live region moves this many readings
# at a time (why: timeline.py, above SplitTimeline), so the older part does not change with
# each new reading and the live poll need not send it again.
RECENT_STEP = 30

# Where a reading falls in the timeline's order: its time, then its id.
ReadingKey = tuple[dt.datetime, int]


@dataclass(frozen=True)
class ShownReadings:
    count: int  # every reading of the session
    first_at: dt.datetime | None
    last_at: dt.datetime | None
    # Oldest first: the newest SHOWN readings (all of them while the session has no more).
    recent: list[VitalReading]
    # Oldest first: the readings before those that are out of range or a baseline.
    older_flagged: list[VitalReading]
    # The first reading of the live region's recent part (time, id) when the session has an
    # older part (2 x RECENT_STEP readings or more), else None.
    line: ReadingKey | None = None

    def before_recent(self) -> Q:
        """Readings before the newest SHOWN, by the timeline's order (time, then id)."""
        first = self.recent[0] if self.recent else None
        if first is None:
            return Q(pk__lt=0)  # no readings: nothing is older
        # The range first (an index range on the session's readings by time), then the tie.
        return Q(taken_at__lte=first.taken_at) & (
            Q(taken_at__lt=first.taken_at) | Q(taken_at=first.taken_at, pk__lt=first.pk)
        )


def readings_of(session: MedicineSession) -> QuerySet[VitalReading]:
    return VitalReading.objects.filter(session_id=session.pk).order_by("taken_at", "pk")


def _span(session_id: int) -> QuerySet[VitalReading, tuple[int, dt.datetime, dt.datetime]]:
    """The session's reading count, first and last time, as one row (none without readings)."""
    return (
        readings_of(MedicineSession(pk=session_id))
        .order_by()
        .values("session_id")
        .annotate(count=Count("pk"), first=Min("taken_at"), last=Max("taken_at"))
        .values_list("count", "first", "last")
    )


_shown_sql = CompiledQueries()


def line_index(count: int, step: int = RECENT_STEP) -> int:
    """The place (0 = oldest) of the first reading of the recent part: 0 while the session has
    fewer than 2 x step readings, then a multiple of step, leaving step to 2 x step - 1 after
    it, so it moves only every step readings."""
    return (count // step - 1) * step if count >= 2 * step else 0


def shown_readings(session: MedicineSession, *, shown: int = SHOWN) -> ShownReadings:
    """Four queries whatever the number of readings: their count and span, the newest `shown`,
    the first reading of the live region's recent part, and the flagged ones before the newest."""
    rows = readings_of(session)
    # The count and span, and the newest: the same SQL on every poll after a reading, compiled
    # once per process for any session (`core.compiled`).
    spans = _shown_sql.bound("span", _span, session_id=session.pk).rows()
    count, first, last = spans[0] if spans else (0, None, None)  # no readings: no group
    newest = _shown_sql.bound(
        ("newest", shown),
        lambda session_id: (
            readings_of(MedicineSession(pk=session_id))
            .reverse()
            .select_related("recorded_by__user")[:shown]
        ),
        session_id=session.pk,
    ).objects()
    recent = list(reversed(newest))
    at = line_index(count)
    # Counted from the newest (at most 2 x RECENT_STEP - 1 index entries to step over); in a
    # short session it finds the oldest reading, or nothing, and is not used.
    back = max(count - 1 - at, 0)
    found = list(rows.reverse().values_list("taken_at", "pk")[back : back + 1])
    line = found[0] if at and found else None
    shown_now = ShownReadings(count, first, last, recent, [], line)
    flagged = (
        rows.filter(shown_now.before_recent())
        .filter(~Q(tier="") | Q(is_baseline=True))
        .select_related("recorded_by__user")
    )
    return ShownReadings(count, first, last, recent, list(flagged), line)
