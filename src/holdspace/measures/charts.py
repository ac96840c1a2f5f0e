"""Trajectory plots as inline SVG, computed on the server (no JavaScript library).

Other apps mark medicine-session dates by registering a source of dates for a client.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from holdspace.people.models import Client

from . import scoring
from .definitions import Definition
from .models import Score

_session_date_sources: list[Callable[[Client], list[dt.date]]] = []


def register_session_dates_source(source: Callable[[Client], list[dt.date]]) -> None:
    """The sessions app registers `fn(client) -> [dates of medicine sessions]` here."""
    if source not in _session_date_sources:
        _session_date_sources.append(source)


def session_dates(client: Client) -> list[dt.date]:
    return sorted({day for source in _session_date_sources for day in source(client)})


WIDTH, HEIGHT = 560, 220
LEFT, RIGHT, TOP, BOTTOM = 40, 12, 12, 28


@dataclass
class Plot:
    code: str
    name: str
    rows: list[Score]
    points: list[tuple[float, float, Score]] = field(default_factory=list)
    polyline: str = ""
    band_lines: list[tuple[float, str]] = field(default_factory=list)
    session_lines: list[tuple[float, dt.date]] = field(default_factory=list)
    y_ticks: list[tuple[float, str]] = field(default_factory=list)
    x_labels: list[tuple[float, str]] = field(default_factory=list)
    width: int = WIDTH
    height: int = HEIGHT


# Labels closer than this (in chart units) would be drawn over each other.
LABEL_GAP = 12


def _apart(lines: list[tuple[float, str]]) -> list[tuple[float, str]]:
    """Lines at (nearly) the same height share one label ("moderate · at or above the
    cut-off"), so no label is drawn on top of another."""
    merged: list[tuple[float, str]] = []
    for y, label in sorted(lines):
        if merged and y - merged[-1][0] < LABEL_GAP:
            merged[-1] = (merged[-1][0], f"{merged[-1][1]} · {label}")
        else:
            merged.append((y, label))
    return merged


def build_plot(definition: Definition, scores: list[Score], sessions: list[dt.date]) -> Plot:
    plot = Plot(code=definition.code, name=definition.name, rows=scores)
    bounds = scoring.score_bounds(definition) or (0.0, 1.0)
    low, high = bounds
    if high <= low:
        high = low + 1
    days = [s.observed_on for s in scores] + list(sessions)
    first, last = min(days), max(days)
    span = max((last - first).days, 1)

    def x(day: dt.date) -> float:
        return round(LEFT + (day - first).days / span * (WIDTH - LEFT - RIGHT), 1)

    def y(value: float) -> float:
        return round(TOP + (high - value) / (high - low) * (HEIGHT - TOP - BOTTOM), 1)

    plot.points = [(x(s.observed_on), y(s.total), s) for s in scores if s.total is not None]
    plot.polyline = " ".join(f"{px},{py}" for px, py, _s in plot.points)
    multiplier = definition.scoring.multiplier
    for band in definition.bands[1:]:
        start = band.minimum * (multiplier if band.on == "raw" else 1)
        plot.band_lines.append((y(start), band.text))
    for cut_off in definition.cut_offs:
        if cut_off.sex is None and cut_off.at_least is not None and cut_off.on == "total":
            plot.band_lines.append((y(cut_off.at_least), cut_off.text))
    plot.band_lines = _apart(plot.band_lines)
    plot.session_lines = [(x(d), d) for d in sessions if first <= d <= last]
    plot.y_ticks = [(y(v), f"{v:g}") for v in (low, (low + high) / 2, high)]
    plot.x_labels = [(x(first), first.isoformat())]
    if last != first:
        plot.x_labels.append((x(last), last.isoformat()))
    return plot
