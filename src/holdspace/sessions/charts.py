"""The vital-signs chart as inline SVG, computed on the server (no JavaScript library):
systolic, diastolic and heart rate over the session, dose times marked, the clinic's watch and
act lines for systolic."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Avg, FloatField, Func, Max, Min, Q
from django.db.models.functions import Floor
from django.utils import timezone

from .models import MedicineSession, SessionSettings
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
        _slices(session, shown, None, 1.0)  # finds nothing: run so the queries never vary
        return chart
    chart.empty = False
    times = [shown.first_at, shown.last_at] + [d.given_at for d in doses if d.given_at]
    first, last = min(times), max(max(times), first_plus(min(times)))
    span = max((last - first).total_seconds(), 60.0)

    newest = shown.recent[-DOTS:]  # drawn one by one, each with a dot
    slices = _slices(session, shown, first, span / SLICES) if newest else []
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
        points = [(x(sl.at), y(sl.mean[attr])) for sl in slices]
        points += [(x(r.taken_at), y(float(getattr(r, attr)))) for r in newest]
        spread = [(x(sl.at), y(sl.high[attr])) for sl in slices]
        spread += [(x(sl.at), y(sl.low[attr])) for sl in reversed(slices)]
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


class _EpochSeconds(Func):
    """Seconds since 1970 of a time, as a float, on PostgreSQL and SQLite."""

    output_field = FloatField()
    template = "EXTRACT(EPOCH FROM %(expressions)s)::double precision"

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # Django keeps times in SQLite as UTC text, which julianday reads; 2440587.5 is 1970.
        template = "((julianday(%(expressions)s) - 2440587.5) * 86400.0)"
        return self.as_sql(compiler, connection, template=template, **extra)


def _slices(
    session: MedicineSession, shown: ShownReadings, first: dt.datetime | None, width: float
) -> list[Slice]:
    """The lowest, mean and highest value of each line in each slice of time, for the
    readings before the newest DOTS: one query, at most SLICES rows, however many readings."""
    newest = shown.recent[-DOTS:]
    rows = readings_of(session)
    if newest:
        cut = newest[0]
        rows = rows.filter(Q(taken_at__lt=cut.taken_at) | Q(taken_at=cut.taken_at, pk__lt=cut.pk))
    else:
        rows = rows.filter(pk__lt=0)
    start = first.timestamp() if first is not None else 0.0
    found = (
        rows.annotate(slice=Floor((_EpochSeconds("taken_at") - start) / width))
        .values("slice")
        .annotate(
            **{
                f"{attr}_{end}": aggregate(attr)
                for attr in ("systolic", "diastolic", "heart_rate")
                for end, aggregate in (("low", Min), ("mean", Avg), ("high", Max))
            }
        )
        .order_by("slice")
    )
    slices = []
    for each in found:
        row: Mapping[str, Any] = each  # the aggregates are named in a loop above
        middle = (row["slice"] + 0.5) * width
        slices.append(
            Slice(
                at=dt.datetime.fromtimestamp(start + middle, tz=dt.UTC),
                low={a: float(row[f"{a}_low"]) for a in ("systolic", "diastolic", "heart_rate")},
                mean={a: float(row[f"{a}_mean"]) for a in ("systolic", "diastolic", "heart_rate")},
                high={a: float(row[f"{a}_high"]) for a in ("systolic", "diastolic", "heart_rate")},
            )
        )
    return slices


def _mg(value: Decimal | None) -> str:
    return format(value.normalize(), "f") if value is not None else ""


def first_plus(at: dt.datetime) -> dt.datetime:
    """Show at least an hour, so two early readings do not fill the whole width."""
    return at + dt.timedelta(hours=1)
