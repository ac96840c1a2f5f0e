"""Trajectory plots as inline SVG, computed on the server (no JavaScript library).

Other apps mark medicine-session dates by registering a source of dates for a client.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import floatformat
from django.utils.formats import localize
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

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


# Dates and totals as the templates wrote them, escaped, kept per process by the language and
# the value (the same few hundred days and totals recur on every chart, table and list; each
# through Django's formatting cost more than the rest of a row). The language is an argument
# so that the key holds it: callers pass `get_language()`, which the formatting also reads.


@lru_cache(maxsize=4096)
def short_date(language: str | None, day: dt.date) -> str:
    """`{{ day|date:"SHORT_DATE_FORMAT" }}`, escaped."""
    return conditional_escape(date_filter(day, "SHORT_DATE_FORMAT"))


@lru_cache(maxsize=4096)
def plain_date(language: str | None, day: dt.date) -> str:
    """`{{ day }}` inside `{% localize off %}`, escaped."""
    return conditional_escape(localize(day, use_l10n=False))


def total_text(language: str | None, value: float | Decimal | None) -> str:
    """`{{ value|floatformat:"-2" }}`, escaped (by type as well: 2 and 2.0 are one key)."""
    return _total_text(language, type(value).__name__, value)


@lru_cache(maxsize=4096)
def _total_text(language: str | None, kind: str, value: float | Decimal | None) -> str:
    return conditional_escape(floatformat(value, "-2"))


# A chart of a long course has a hundred or more points and rows: the template engine took
# longer over those two loops than the rest of the client overview, so they are built here,
# with the markup measures/_plot.html had for them (values escaped by format_html).


def dots_html(plot: Plot) -> SafeString:
    """The chart's points, each with its date and total as a tooltip (inside the template's
    `localize off`: numbers and the date as Python writes them). Each date and total escaped
    once (conditional_escape, as format_html does) and the points put together with
    str.format: a format_html a point was most of a long chart's time."""
    language = get_language()
    day = _Memo(lambda value: plain_date(language, value))
    total = _Memo(lambda value: total_text(language, value))
    dot = '<circle class="dot" cx="{}" cy="{}" r="4"><title>{}: {}</title></circle>'.format
    # x and y are floats: str() of a float needs no escaping.
    return mark_safe(  # noqa: S308  (every value escaped above)
        "".join(
            dot(str(x), str(y), day(score.observed_on), total(score.total))
            for x, y, score in plot.points
        )
    )


def table_rows_html(table: Sequence[Mapping[str, Score | scoring.Change | None]]) -> SafeString:
    """The score table's rows: date, total, band and the change since the baseline. A date,
    number or band that repeats is formatted and escaped once, each label translated once, and
    the rows put together with str.format (every value escaped as format_html would)."""
    language = get_language()
    day = _Memo(lambda value: short_date(language, value))
    number = _Memo(lambda value: total_text(language, value))
    band = _Memo(
        lambda score: conditional_escape(score.band_label or "—"),
        key=lambda score: (score.instrument_code, score.band),
    )
    baseline = format_html('<small class="muted">{}</small>', _("baseline"))
    meaningful = format_html("<small>· {}</small>", _("clinically meaningful"))
    reliable = format_html("<small>· {}</small>", _("reliable"))
    since_format = (
        '\n              <span class="{}">{}</span>\n              {}\n            '.format
    )
    row_format = (
        '\n          <tr data-score="{}">\n'
        "            <td>{}</td>\n"
        "            <td>{}</td>\n"
        "            <td>{}</td>\n"
        "            <td>{}</td>\n"
        "          </tr>\n        "
    ).format
    rows = []
    for i, row in enumerate(table):
        score = row["score"]
        change = row["change"]
        assert isinstance(score, Score)  # noqa: S101  (client_plots' rows)
        since: str
        if i == 0:
            since = baseline
        elif change:
            assert isinstance(change, scoring.Change)  # noqa: S101
            mark = ""
            if change.meaningful:
                mark = meaningful
            elif change.reliable:
                mark = reliable
            since = since_format(
                "change-good" if change.improved else "change-bad", number(change.points), mark
            )
        else:
            since = "—"
        rows.append(
            row_format(
                score.pk,  # an id as text, as {{ score.pk }} wrote it (no thousands separator)
                day(score.observed_on),
                number(score.total),
                band(score),
                since,
            )
        )
    return mark_safe("".join(rows))  # noqa: S308  (every value escaped above)


class _Memo:
    """`make(value)` kept by value for one table or chart (dates, totals and bands repeat;
    formatting each through Django's localisation is most of a long table's time)."""

    def __init__(
        self, make: Callable[[Any], str], key: Callable[[Any], Hashable] | None = None
    ) -> None:
        self.make, self.key = make, key
        self.kept: dict[Hashable, str] = {}

    def __call__(self, value: Any) -> str:
        key = self.key(value) if self.key else value
        if key not in self.kept:
            self.kept[key] = self.make(value)
        return self.kept[key]
