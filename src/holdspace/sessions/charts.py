"""The vital-signs chart as inline SVG, computed on the server (no JavaScript library):
systolic, diastolic and heart rate over the session, dose times marked, the clinic's watch and
act lines for systolic."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from .models import MedicineSession, SessionSettings, VitalReading
from .selectors import readings_in_order

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 36, 12, 10, 24
LOW, HIGH = 40.0, 200.0  # mmHg and /min share one axis
# A long session keeps the chart small: at most CHART_POINTS points per line (one per slice of
# the time axis, the latest reading in it), every out-of-range reading always kept, and a dot
# on the newest DOTS readings and on every out-of-range one. 640 px hold no more.
CHART_POINTS = 120
DOTS = 20


@dataclass
class Series:
    name: str
    css: str
    points: list[tuple[float, float]]
    polyline: str = ""
    dots: list[tuple[float, float]] = field(default_factory=list)


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


def vitals_chart(session: MedicineSession, settings: SessionSettings) -> VitalsChart:
    chart = VitalsChart()
    readings = readings_in_order(session)
    doses = [d for d in session.doses.all() if d.given and d.given_at]
    if not readings:
        return chart
    chart.empty = False
    times = [r.taken_at for r in readings] + [d.given_at for d in doses if d.given_at]
    first, last = min(times), max(max(times), first_plus(min(times)))
    span = max((last - first).total_seconds(), 60.0)

    shown = _thinned(readings, first, last)
    dotted = {r.pk for r in readings[-DOTS:]} | {r.pk for r in readings if r.tier}

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
        points = [(x(r.taken_at), y(float(getattr(r, attr)))) for r in shown]
        dots = [point for point, r in zip(points, shown, strict=True) if r.pk in dotted]
        polyline = " ".join(f"{px},{py}" for px, py in points)
        chart.series.append(Series(name, css, points, polyline, dots))
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


def _thinned(
    readings: list[VitalReading], first: dt.datetime, last: dt.datetime
) -> list[VitalReading]:
    """At most CHART_POINTS readings (the latest of each slice of time), plus the newest DOTS
    and every reading out of range, oldest first."""
    if len(readings) <= CHART_POINTS:
        return readings
    width = max((last - first).total_seconds(), 1.0) / CHART_POINTS
    latest: dict[int, VitalReading] = {}
    for reading in readings:  # oldest first: the last one of a slice wins
        latest[int((reading.taken_at - first).total_seconds() // width)] = reading
    kept = {r.pk for r in latest.values()} | {r.pk for r in readings if r.tier}
    kept |= {r.pk for r in readings[-DOTS:]}  # the newest, one by one, as the dots show them
    return [r for r in readings if r.pk in kept]


def _mg(value: Decimal | None) -> str:
    return format(value.normalize(), "f") if value is not None else ""


def first_plus(at: dt.datetime) -> dt.datetime:
    """Show at least an hour, so two early readings do not fill the whole width."""
    return at + dt.timedelta(hours=1)
