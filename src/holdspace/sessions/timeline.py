"""The session's timeline: everything that happened, from every table, as one list."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from django.db.models import Case, Count, IntegerField, Max, Min, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from holdspace.core.memo import BoundedMemo
from holdspace.people.models import Membership

from .models import MedicineSession, VitalReading
from .selectors import quick_entries
from .shown import ShownReadings, line_index, readings_of


@dataclass(frozen=True)
class TimelineItem:
    at: dt.datetime
    kind: str  # "note", "quick", "dose", "vitals", "alert", "ack", "event", "status"
    text: str
    tier: str = ""
    by: str = ""
    reading: VitalReading | None = field(default=None, compare=False)  # for "vitals" items


def _who(membership: Membership | None) -> str:
    if membership is None:
        return ""
    user = membership.user
    return user.get_full_name() or user.email


def timeline(session: MedicineSession) -> list[TimelineItem]:
    """Everything that happened, as one list, newest last, every reading in full (the API and
    the monitor's "show every entry"; the monitor itself shows split_shown)."""
    before, after = _other_items(session)
    items = before + [reading_item(r) for r in session.vitals.all()] + after
    items.sort(key=lambda item: item.at)  # stable: at one time, the order above
    return items


def reading_item(r: VitalReading) -> TimelineItem:
    return TimelineItem(
        r.taken_at, "vitals", vitals_text(r), tier=r.tier, by=_who(r.recorded_by), reading=r
    )


def _other_items(session: MedicineSession) -> tuple[list[TimelineItem], list[TimelineItem]]:
    """Every item but the readings: those listed before the readings at one time (presence,
    start, entries, doses), and those after (acknowledgements, events, end)."""
    quick = quick_entries()
    before: list[TimelineItem] = []
    for presence in session.team.all():
        before.append(
            TimelineItem(
                presence.attested_sober_at,
                "status",
                _("Present and attested sober"),
                by=_who(presence.membership),
            )
        )
    if session.started_at:
        before.append(TimelineItem(session.started_at, "status", _("Session started")))
    for entry in session.entries.all():
        text = entry.text if entry.kind == "note" else quick.get(entry.kind, entry.kind)
        if entry.kind != "note" and entry.text:
            text = f"{text}: {entry.text}"
        before.append(
            TimelineItem(
                entry.at, "note" if entry.kind == "note" else "quick", text, by=_who(entry.by)
            )
        )
    for dose in session.doses.all():
        if dose.given and dose.given_at:
            text = _("%(kind)s: %(substance)s %(mg)s mg, lot %(lot)s") % {
                "kind": dose.get_kind_display(),
                "substance": dose.substance,
                "mg": format(dose.mg.normalize(), "f") if dose.mg is not None else "",
                "lot": dose.lot_number or "—",
            }
            before.append(TimelineItem(dose.given_at, "dose", text, by=_who(dose.given_by)))
        else:
            before.append(
                TimelineItem(
                    dose.recorded_at,
                    "dose",
                    _("%(kind)s withheld: %(reason)s")
                    % {"kind": dose.get_kind_display(), "reason": dose.reason},
                    by=_who(dose.recorded_by),
                )
            )
    after: list[TimelineItem] = []
    for alert in session.alerts.all():
        if alert.acknowledged_at:
            after.append(
                TimelineItem(
                    alert.acknowledged_at,
                    "ack",
                    _("Alert acknowledged: %(action)s") % {"action": alert.action_taken},
                    tier=alert.tier,
                    by=_who(alert.acknowledged_by),
                )
            )
    for event in session.adverse_events.all():
        after.append(
            TimelineItem(
                event.onset_at,
                "event",
                _("Adverse event: %(term)s (%(severity)s)")
                % {"term": event.term, "severity": event.get_severity_display()},
                tier="act" if event.serious else "",
            )
        )
    if session.ended_at:
        after.append(TimelineItem(session.ended_at, "status", _("Session ended")))
    return before, after


def vitals_text(r: VitalReading) -> str:
    parts = [f"BP {r.systolic}/{r.diastolic}", f"HR {r.heart_rate}", f"{r.temperature} °C"]
    if r.spo2 is not None:
        parts.append(f"SpO2 {r.spo2}%")
    if r.suds is not None:
        parts.append(f"SUDS {r.suds}")
    if r.is_baseline:
        parts.insert(0, _("Baseline"))
    return " · ".join(parts)


# How the monitor keeps a long timeline short. The newest SHOWN readings are listed one by one
# (shown.py); before them every alert, out-of-range reading, baseline, dose, note, event and
# acknowledgement is still shown in full, and only readings within the clinic's limits are
# summarised, one line per run between two other items. The monitor's "show every entry" link
# shows them all. The live region sends its recent part after each write and its older part
# only when it changed: the line between the two moves RECENT_STEP readings at a time (at
# least RECENT_STEP readings after it, fewer than twice that), so the older part does not
# change with each new reading (views.live). A run of in-range readings never crosses the
# line: the summaries after it are in the recent part.


@dataclass(frozen=True)
class SplitTimeline:
    recent: list[TimelineItem]  # oldest first; runs of in-range readings as "summary" items
    older: list[TimelineItem]  # oldest first; likewise
    summarised: int  # how many readings the older part's summaries stand for
    summarised_recent: int = 0  # and the recent part's


@dataclass(frozen=True)
class RunStats:
    """A run of in-range readings, as its summary line needs it: count, time and ranges."""

    count: int
    first_at: dt.datetime
    last_at: dt.datetime
    systolic: tuple[int, int]
    diastolic: tuple[int, int]
    heart_rate: tuple[int, int]
    temperature: tuple[Decimal, Decimal]
    spo2: tuple[int, int] | None
    suds: tuple[int, int] | None


# Where an item falls in the timeline's order: (time, group, then id or place in its group).
# At one time the items before the readings (group 0) come first, then the readings by id
# (group 1), then acknowledgements, events and the end (group 2): the order `timeline` gives.
Key = tuple[dt.datetime, int, int]


def split_shown(session: MedicineSession, shown: ShownReadings) -> SplitTimeline:
    """The monitor's timeline from the readings it shows (shown.shown_readings): the newest
    readings and everything after the first of them in full; before them every item but the
    in-range readings in full and each run of those summarised, all runs by one database
    query; cut into the live region's recent and older parts at shown.line.

    The same result as splitting `timeline(session)` with every reading loaded:
    tests/sessions/test_shown_readings.py keeps the two equal."""
    before, after = _other_items(session)
    others: list[tuple[Key, TimelineItem]] = [
        ((item.at, 0, place), item) for place, item in enumerate(before)
    ] + [((item.at, 2, place), item) for place, item in enumerate(after)]

    def reading_key(r: VitalReading) -> Key:
        return (r.taken_at, 1, r.pk)

    newest = [(reading_key(r), reading_item(r)) for r in shown.recent]
    if len(shown.recent) == shown.count:  # every reading is shown: nothing is summarised
        every = sorted(others + newest, key=lambda pair: pair[0])
        _runs(session, shown, [])  # finds nothing: run so a session's queries never vary
        return SplitTimeline(recent=[item for _key, item in every], older=[], summarised=0)
    cut = newest[0][0]
    line: Key | None = (shown.line[0], 1, shown.line[1]) if shown.line else None
    # The items before the newest readings, in order; the line is a delimiter of its own (no
    # item), so no run crosses it.
    delimiters: list[tuple[Key, TimelineItem | None]] = sorted(
        [pair for pair in others if pair[0] < cut]
        + [(reading_key(r), reading_item(r)) for r in shown.older_flagged],
        key=lambda pair: pair[0],
    )
    if line is not None:
        at = next((i for i, (key, _item) in enumerate(delimiters) if key >= line), None)
        delimiters.insert(len(delimiters) if at is None else at, (line, None))
    runs = _runs(session, shown, [key for key, _item in delimiters])
    older: list[TimelineItem] = []
    recent: list[TimelineItem] = []
    counts = {"older": 0, "recent": 0}
    into, name = (older, "older") if line is not None else (recent, "recent")
    for index, (_key, item) in enumerate([*delimiters, (cut, None)]):
        run = runs.get(index)
        if run is not None:
            into.append(_summary(run))
            counts[name] += run.count
        if item is not None:
            into.append(item)
        elif into is older:  # the line: what follows is the recent part
            into, name = recent, "recent"
    rest = sorted([pair for pair in others if pair[0] > cut] + newest, key=lambda pair: pair[0])
    return SplitTimeline(
        recent=recent + [item for _key, item in rest],
        older=older,
        summarised=counts["older"],
        summarised_recent=counts["recent"],
    )


# The run summaries before the live region's line, per session, kept by each server process, so
# a fresh render of a long session reads only the readings after the line (at most
# 2 x RECENT_STEP). What is before the line cannot change unseen: readings are never edited or
# deleted, so the set of readings before the line reading L is fixed by L and their number (a
# late reading entered before L moves L); the other items there (notes, doses,
# acknowledgements) are in the key as positions. Bounded by the runs held.
older_runs: BoundedMemo[dict[int, RunStats]] = BoundedMemo(20_000, len)


def _before(key: Key) -> Q:
    """The readings before an item of the timeline, in the timeline's order."""
    at, group, tie = key
    if group == 0:  # listed before the readings at its time
        return Q(taken_at__lt=at)
    if group == 2:  # listed after them
        return Q(taken_at__lte=at)
    return Q(taken_at__lt=at) | Q(taken_at=at, pk__lt=tie)


def _runs(
    session: MedicineSession, shown: ShownReadings, delimiters: list[Key]
) -> dict[int, RunStats]:
    """The in-range readings before the newest shown, summarised per run: run i holds those
    after delimiter i-1 and before delimiter i (delimiters in the timeline's order). One query:
    when the runs before the live region's line are kept (older_runs), over the readings after
    the line only."""
    line = (shown.line[0], 1, shown.line[1]) if shown.line else None
    at_line = delimiters.index(line) if line is not None and line in delimiters else None
    kept_key: tuple[Any, ...] | None = None
    kept: dict[int, RunStats] | None = None
    rows = readings_of(session).filter(shown.before_recent(), tier="", is_baseline=False)
    first = 0
    if at_line is not None:
        # The line's count of readings before it: line_index of the session's count.
        kept_key = (session.pk, line, line_index(shown.count), tuple(delimiters[: at_line + 1]))
        kept = older_runs.get(kept_key)
        if kept is not None:
            first = at_line + 1
            at, _group, tie = delimiters[at_line]  # the line reading: from it on
            rows = rows.filter(taken_at__gte=at).exclude(taken_at=at, pk__lt=tie)
    run = Case(
        *(
            When(_before(key), then=Value(index))
            for index, key in enumerate(delimiters[first:], start=first)
        ),
        default=Value(len(delimiters)),
        output_field=IntegerField(),
    )
    found = (
        rows.annotate(run=run)
        .values("run")
        .annotate(
            count=Count("pk"),
            first_at=Min("taken_at"),
            last_at=Max("taken_at"),
            **{
                f"{name}_{end}": aggregate(name)
                for name in ("systolic", "diastolic", "heart_rate", "temperature", "spo2", "suds")
                for end, aggregate in (("low", Min), ("high", Max))
            },
        )
        .order_by("run")
    )

    def pair(row: Mapping[str, Any], name: str) -> Any:
        low, high = row[f"{name}_low"], row[f"{name}_high"]
        return None if low is None else (low, high)

    runs = {
        row["run"]: RunStats(
            count=row["count"],
            first_at=row["first_at"],
            last_at=row["last_at"],
            systolic=pair(row, "systolic"),
            diastolic=pair(row, "diastolic"),
            heart_rate=pair(row, "heart_rate"),
            temperature=_tenths(pair(row, "temperature")),
            spo2=pair(row, "spo2"),
            suds=pair(row, "suds"),
        )
        for row in found
        # With no delimiter the run is a constant, which Django leaves out of GROUP BY: then
        # no readings still answer one row, of nothing.
        if row["count"]
    }
    if kept is not None:
        return {**kept, **runs}
    if kept_key is not None and at_line is not None:
        older_runs.put(kept_key, {i: run for i, run in runs.items() if i <= at_line})
    return runs


def _tenths(values: tuple[Any, Any]) -> tuple[Decimal, Decimal]:
    """Temperatures as stored (one decimal): SQLite's MIN/MAX answer a float (36.8000000000000)."""
    return (
        Decimal(values[0]).quantize(TENTH, rounding=ROUND_HALF_EVEN),
        Decimal(values[1]).quantize(TENTH, rounding=ROUND_HALF_EVEN),
    )


TENTH = Decimal("0.1")  # VitalReading.temperature has one decimal place
DASH = "\u2013"  # an en dash between the lowest and the highest value


def _span(values: tuple[Any, Any]) -> str:
    low, high = values
    return f"{low}" if low == high else f"{low}{DASH}{high}"


def _summary(run: RunStats) -> TimelineItem:
    parts = [
        f"BP {_span(run.systolic)}/{_span(run.diastolic)}",
        f"HR {_span(run.heart_rate)}",
        f"{_span(run.temperature)} °C",
    ]
    if run.spo2 is not None:
        parts.append(f"SpO2 {_span(run.spo2)}%")
    if run.suds is not None:
        parts.append(f"SUDS {_span(run.suds)}")
    first = timezone.localtime(run.first_at).strftime("%H:%M")
    head = ngettext(
        "%(count)d reading within limits from %(first)s",
        "%(count)d readings within limits from %(first)s",
        run.count,
    ) % {"count": run.count, "first": first}
    return TimelineItem(run.last_at, "summary", f"{head}: " + " · ".join(parts))
