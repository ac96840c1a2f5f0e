"""The vital-signs chart as inline SVG, computed on the server (no JavaScript library):
systolic, diastolic and heart rate over the session, dose times marked, the clinic's watch and
act lines for systolic."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import (
    Avg,
    Count,
    ExpressionWrapper,
    Func,
    IntegerField,
    Max,
    Min,
    Q,
    QuerySet,
    Value,
)
from django.utils import timezone

from holdspace.core.memo import BoundedMemo

from .models import MedicineSession, SessionSettings, VitalReading
from .shown import ShownReadings, readings_of

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 36, 12, 10, 24
LOW, HIGH = 40.0, 200.0  # mmHg and /min share one axis
# A long session keeps the chart small, and its drawing cheap: the time axis is cut into
# SLICES slices; the database gives each slice's lowest, mean and highest value. Each line
# goes through the means, inside a band from the lowest to the highest value, so no value
# disappears, however many readings: a single systolic peak among 2,000 still shows at its
# height. The newest DOTS readings are drawn one by one; they and every out-of-range reading
# carry a dot. At most CHART_POINTS points per line plus the newest DOTS: 640 px hold no more.
CHART_POINTS = 120
SLICES = CHART_POINTS // 2  # the band costs two points a slice: the page stays small
# Slice widths in minutes: the smallest that cuts the span into at most SLICES is used.
WIDTH_MINUTES = (1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 30, 45, 60, 90, 120, 180, 240, 360, 720)
LINES = ("systolic", "diastolic", "heart_rate")  # the lines summarised per slice
DOTS = 20


@dataclass
class Series:
    name: str
    css: str
    points: list[tuple[float, float]]
    polyline: str = ""
    dots: list[tuple[float, float]] = field(default_factory=list)
    spread: str = ""  # a polygon: each slice's highest value, then back along its lowest


@dataclass
class VitalsChart:
    width: int = WIDTH
    height: int = HEIGHT
    series: list[Series] = field(default_factory=list)
    doses: list[tuple[float, str]] = field(default_factory=list)
    lines: list[tuple[float, str, str]] = field(default_factory=list)
    y_ticks: list[tuple[float, str]] = field(default_factory=list)
    x_labels: list[tuple[float, str]] = field(default_factory=list)
    empty: bool = True


def vitals_chart(
    session: MedicineSession, settings: SessionSettings, shown: ShownReadings
) -> VitalsChart:
    chart = VitalsChart()
    doses = [d for d in session.doses.all() if d.given and d.given_at]
    if not shown.count or shown.first_at is None or shown.last_at is None:
        _slices(session, shown, None, 60)  # finds nothing: run so the queries never vary
        return chart
    chart.empty = False
    times = [shown.first_at, shown.last_at] + [d.given_at for d in doses if d.given_at]
    first, last = min(times), max(max(times), first_plus(min(times)))
    span = max((last - first).total_seconds(), 60.0)

    newest = shown.recent[-DOTS:]  # drawn one by one, each with a dot
    slices = _slices(session, shown, *slice_grid(first, span)) if newest else []
    dotted = newest + [r for r in shown.older_flagged + shown.recent[:-DOTS] if r.tier]

    def x(at: dt.datetime) -> float:
        return round(LEFT + (at - first).total_seconds() / span * (WIDTH - LEFT - RIGHT), 1)

    def y(value: float) -> float:
        value = min(max(value, LOW), HIGH)
        return round(TOP + (HIGH - value) / (HIGH - LOW) * (HEIGHT - TOP - BOTTOM), 1)

    for name, css, attr in (
        ("Systolic", "sys", "systolic"),
        ("Diastolic", "dia", "diastolic"),
        ("Heart rate", "hr", "heart_rate"),
    ):
        # The line through each slice's mean, then the newest readings one by one; around it
        # a band from each slice's lowest to its highest value, so a lone peak still shows
        # (to the whole unit: the band is a shade, and every live poll after a reading carries it).
        # (A slice's middle may lie before the first time: the grid starts at its minute.)
        points = [(x(max(sl.at, first)), y(sl.mean[attr])) for sl in slices]
        points += [(x(r.taken_at), y(float(getattr(r, attr)))) for r in newest]
        spread = [(x(max(sl.at, first)), y(sl.high[attr])) for sl in slices]
        spread += [(x(max(sl.at, first)), y(sl.low[attr])) for sl in reversed(slices)]
        dots = sorted((x(r.taken_at), y(float(getattr(r, attr)))) for r in dotted)
        polyline = " ".join(f"{px},{py}" for px, py in points)
        chart.series.append(
            Series(
                name,
                css,
                points,
                polyline,
                dots,
                " ".join(f"{px:.0f},{py:.0f}" for px, py in spread),
            )
        )
    chart.doses = [
        (
            x(d.given_at),
            f"{d.get_kind_display()} {_mg(d.mg)} mg",
        )
        for d in doses
        if d.given_at
    ]
    for value, label, css in (
        (settings.systolic_watch, "watch", "watch"),
        (settings.systolic_act, "act", "act"),
    ):
        if value is not None:
            chart.lines.append((y(float(value)), f"SBP {label} {value}", css))
    chart.y_ticks = [(y(v), f"{v:g}") for v in (60.0, 100.0, 140.0, 180.0)]
    chart.x_labels = [(x(first), timezone.localtime(first).strftime("%H:%M"))]
    chart.x_labels.append((x(last), timezone.localtime(last).strftime("%H:%M")))
    return chart


@dataclass(frozen=True)
class Slice:
    at: dt.datetime  # the middle of the slice
    low: dict[str, float]
    mean: dict[str, float]
    high: dict[str, float]
    index: int = 0  # in the grid (slice_grid)
    count: int = 0  # readings in it


class _EpochSecond(Func):
    """Whole seconds since 1970 of a time (an integer, exact), on PostgreSQL and SQLite."""

    output_field = IntegerField()
    template = "FLOOR(EXTRACT(EPOCH FROM %(expressions)s))::bigint"

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # Django keeps times in SQLite as UTC text, which strftime reads. "%%%%s" is "%%s" in
        # the SQL, which the backend turns into strftime's "%s" (and never into a parameter).
        template = "CAST(strftime('%%%%s', %(expressions)s) AS INTEGER)"
        return self.as_sql(compiler, connection, template=template, **extra)


@dataclass(frozen=True)
class FinishedSlices:
    """The slices of a session's chart that no new reading can change: those before the slice
    of the newest-DOTS cut (new readings come after it; a late one is caught by the count)."""

    before: int  # the first slice not finished
    readings: int  # the readings in the finished slices
    slices: tuple[Slice, ...]


# Finished slices per (session, grid), kept by each server process, so a fresh render of a
# long session summarises only the readings from the first unfinished slice on. Readings are
# never edited or deleted, so the readings before a time are fixed by their number: a late
# one entered there changes it, and the slices are summarised again. Bounded by slices held.
kept_slices: BoundedMemo[FinishedSlices] = BoundedMemo(50_000, lambda kept: len(kept.slices) + 1)


def slice_grid(first: dt.datetime, span: float) -> tuple[dt.datetime, int]:
    """The chart's grid of slices: its start (the first time, down to the whole minute) and a
    slice width in whole minutes from WIDTH_MINUTES, the smallest that cuts the span into at
    most SLICES slices. Whole minutes make a reading's slice an exact integer sum in SQL, and
    the ladder keeps the grid for hours of a growing session, so finished slices can be kept."""
    start = first.replace(second=0, microsecond=0)
    need = (span + (first - start).total_seconds()) / SLICES
    for minutes in WIDTH_MINUTES:
        if minutes * 60 >= need:
            return start, minutes * 60
    return start, math.ceil(need / 86_400) * 86_400


def _slices(
    session: MedicineSession, shown: ShownReadings, start: dt.datetime | None, width: int
) -> list[Slice]:
    """The lowest, mean and highest value of each line in each slice of time, for the
    readings before the newest DOTS: one query, at most SLICES rows, however many readings;
    with the finished slices kept (kept_slices), over the readings after them only."""
    newest = shown.recent[-DOTS:]
    rows = readings_of(session)
    if newest:
        cut = newest[0]
        rows = rows.filter(taken_at__lte=cut.taken_at).filter(
            Q(taken_at__lt=cut.taken_at) | Q(taken_at=cut.taken_at, pk__lt=cut.pk)
        )
    else:
        rows = rows.filter(pk__lt=0)
    origin = int(start.timestamp()) if start is not None else 0
    # A reading's slice: whole seconds since the grid's start, divided by the width (integers).
    each = ExpressionWrapper(
        (_EpochSecond("taken_at") - Value(origin)) / Value(width), output_field=IntegerField()
    )
    key = (session.pk, origin, width)
    kept = kept_slices.get(key) if start is not None else None
    if kept is None:
        found = list(_summarised(rows, each))
    else:
        # Only the readings from the first unfinished slice on. Those before it must be the
        # kept number: every reading, less these and the newest (from the cut on).
        before = dt.datetime.fromtimestamp(origin + kept.before * width, tz=dt.UTC)
        found = list(_summarised(rows.filter(taken_at__gte=before), each))
        newer = sum(row["count"] for row in found) + len(newest)
        if shown.count - newer != kept.readings:  # a late reading among them: all again
            kept, found = None, list(_summarised(rows, each))
    slices = list(kept.slices) if kept is not None else []
    for row in found:
        middle = (row["slice"] + 0.5) * width
        slices.append(
            Slice(
                at=dt.datetime.fromtimestamp(origin + middle, tz=dt.UTC),
                low={a: float(row[f"{a}_low"]) for a in LINES},
                mean={a: float(row[f"{a}_mean"]) for a in LINES},
                high={a: float(row[f"{a}_high"]) for a in LINES},
                index=row["slice"],
                count=row["count"],
            )
        )
    if start is not None and newest:
        # Finished: the slices before the one the cut falls in.
        first_open = (int(newest[0].taken_at.timestamp()) - origin) // width
        done = tuple(sl for sl in slices if sl.index < first_open)
        if kept is None or len(done) > len(kept.slices):
            kept_slices.put(key, FinishedSlices(first_open, sum(sl.count for sl in done), done))
    return slices


def _summarised(rows: QuerySet[VitalReading], index: Any) -> QuerySet[VitalReading, Any]:
    return (
        rows.annotate(slice=index)
        .values("slice")
        .annotate(
            count=Count("pk"),
            **{
                f"{attr}_{end}": aggregate(attr)
                for attr in LINES
                for end, aggregate in (("low", Min), ("mean", Avg), ("high", Max))
            },
        )
        .order_by("slice")
    )


def _mg(value: Decimal | None) -> str:
    return format(value.normalize(), "f") if value is not None else ""


def first_plus(at: dt.datetime) -> dt.datetime:
    """Show at least an hour, so two early readings do not fill the whole width."""
    return at + dt.timedelta(hours=1)
