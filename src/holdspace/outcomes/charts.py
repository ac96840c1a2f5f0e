"""Plots for the cohort page, drawn with matplotlib and rendered to SVG (pages and PDFs alike).

Every plot has a data table beside it in the template; the SVG is a picture of that table.
`Figure` is used directly (not pyplot), so rendering holds no global state between requests.

Each plot has a builder returning a matplotlib `Figure` (or None when there is nothing to
draw): `trajectories_figure`, `forest_figure`, `stacked_figure`, `flow_figure`. Pages use the
str functions of the same name without `_figure` (inline SVG, text kept as text). A PDF report
calls `svg_bytes(figure, title)`: a standalone SVG document with every glyph drawn as a path
(no font needed by the PDF renderer) and no external reference (no links, no images).
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import textwrap
from collections.abc import Callable, Sequence
from typing import Any

import matplotlib as mpl
from django.core.cache import cache
from matplotlib.figure import Figure

# Text stays text (smaller, selectable, readable by screen readers that look inside SVG);
# a fixed hash salt keeps the ids stable, so the same data gives the same SVG.
mpl.rcParams["svg.fonttype"] = "none"
mpl.rcParams["svg.hashsalt"] = "holdspace"
# A mid grey reads on the dark and the light theme alike.
INK = "#8a8f98"
# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7"]


def _plain(text: str) -> str:
    # A "$" would start matplotlib's maths mode in a clinic's template name.
    return str(text).replace("$", r"\$")


def _figure(width: float, height: float) -> tuple[Figure, Any]:
    fig = Figure(figsize=(width, height), layout="constrained")
    fig.patch.set_alpha(0)
    ax = fig.add_subplot()
    ax.set_facecolor("none")
    for spine in ax.spines.values():
        spine.set_color(INK)
    ax.tick_params(colors=INK)
    ax.xaxis.label.set_color(INK)
    ax.yaxis.label.set_color(INK)
    ax.title.set_color(INK)
    return fig, ax


def _svg(fig: Figure | None, title: str) -> str:
    if fig is None:
        return ""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Title": title, "Date": None})
    svg = buffer.getvalue()
    # Drop the XML prolog and doctype so the SVG can sit inline in the page.
    return svg[svg.index("<svg") :]


def svg_bytes(fig: Figure, title: str) -> bytes:
    """A standalone SVG document for a PDF: glyphs as paths, so no font has to be found."""
    buffer = io.BytesIO()
    with mpl.rc_context({"svg.fonttype": "path"}):
        fig.savefig(buffer, format="svg", metadata={"Title": title, "Date": None})
    return buffer.getvalue()


# Drawing is the slow part of the cohort page (a few hundred ms a plot), and a plot is a pure
# function of its inputs: the page's SVG is cached under a digest of them (data, labels in the
# page's language). Bump when the drawing code changes.
CHART_VERSION = 2
# A tick label's line on the time axis, in characters: five periods side by side on 7 inches.
TICK_CHARACTERS = 14
CACHE_SECONDS = 24 * 3600


def _cached(draw: Callable[..., str]) -> Callable[..., str]:
    @functools.wraps(draw)
    def cached(*args: Any) -> str:
        inputs = json.dumps([draw.__name__, CHART_VERSION, args], default=str, sort_keys=True)
        key = "outcomes.chart." + hashlib.sha256(inputs.encode()).hexdigest()
        found = cache.get(key)
        if found is None:
            found = draw(*args)
            cache.set(key, found, CACHE_SECONDS)
        return str(found)

    return cached


def trajectories_figure(
    model: dict[str, Any], labels: dict[str, str], axis_label: str
) -> Figure | None:
    """Estimated mean per group and period with its 95% CI band."""
    periods: Sequence[str] = model.get("periods", [])
    if not model.get("estimates") or not periods:
        return None
    fig, ax = _figure(7, 3.6)
    groups = list(dict.fromkeys(e["group"] for e in model["estimates"]))
    for i, group in enumerate(groups):
        mine = [e for e in model["estimates"] if e["group"] == group]
        xs = [periods.index(e["period"]) for e in mine]
        colour = PALETTE[i % len(PALETTE)]
        ax.plot(xs, [e["mean"] for e in mine], marker="o", color=colour, label=_plain(group))
        ax.fill_between(
            xs, [e["ci95"][0] for e in mine], [e["ci95"][1] for e in mine], color=colour, alpha=0.18
        )
    # Wrapped, so long period names ("Oppfølging etter 12 måneder") do not run into each other.
    ticks = [textwrap.fill(_plain(labels.get(p, p)), TICK_CHARACTERS) for p in periods]
    ax.set_xticks(range(len(periods)), ticks)
    ax.set_ylabel(_plain(axis_label))
    legend = ax.legend(frameon=False, fontsize="small")
    for text in legend.get_texts():
        text.set_color(INK)
    return fig


@_cached
def trajectories(model: dict[str, Any], labels: dict[str, str], axis_label: str) -> str:
    return _svg(trajectories_figure(model, labels, axis_label), axis_label)


def forest_figure(comparisons: Sequence[dict[str, Any]], axis_label: str) -> Figure | None:
    """Hedges' g (95% CI) of each group against the reference group."""
    shown = [c for c in comparisons if c["effect"]["value"] is not None]
    if not shown:
        return None
    fig, ax = _figure(7, 0.6 + 0.5 * len(shown))
    for y, c in enumerate(reversed(shown)):
        lo, hi = c["effect"]["ci95"]
        ax.plot([lo, hi], [y, y], color=PALETTE[4])
        ax.plot([c["effect"]["value"]], [y], marker="s", color=PALETTE[4])
    ax.axvline(0, color=INK, linewidth=0.8, linestyle="--")
    ax.set_yticks(
        range(len(shown)),
        [_plain(f"{c['groups'][0]} vs {c['groups'][1]}") for c in reversed(shown)],
    )
    ax.set_xlabel(_plain(axis_label))
    return fig


@_cached
def forest(comparisons: Sequence[dict[str, Any]], axis_label: str) -> str:
    return _svg(forest_figure(comparisons, axis_label), axis_label)


def stacked_figure(
    rows: Sequence[tuple[str, list[float]]], parts: Sequence[str], axis_label: str
) -> Figure | None:
    """One horizontal bar per group, split into `parts` (percentages adding up to 100)."""
    if not rows:
        return None
    fig, ax = _figure(7, 0.8 + 0.5 * len(rows))
    names = [_plain(name) for name, _values in rows]
    left = [0.0] * len(rows)
    for i, part in enumerate(parts):
        widths = [values[i] for _name, values in rows]
        ax.barh(names, widths, left=left, color=PALETTE[[2, 3, 5][i % 3]], label=_plain(part))
        left = [a + b for a, b in zip(left, widths, strict=True)]
    ax.set_xlim(0, 100)
    ax.set_xlabel(_plain(axis_label))
    ax.invert_yaxis()
    legend = ax.legend(frameon=False, fontsize="small", loc="upper center",
                       bbox_to_anchor=(0.5, -0.35), ncols=len(parts))  # fmt: skip
    for text in legend.get_texts():
        text.set_color(INK)
    return fig


@_cached
def stacked(rows: Sequence[tuple[str, list[float]]], parts: Sequence[str], axis_label: str) -> str:
    return _svg(stacked_figure(rows, parts, axis_label), axis_label)


def flow_figure(steps: Sequence[tuple[str, int]], axis_label: str) -> Figure | None:
    """The flow from screened to analysed as a column of boxes with the count in each."""
    if not steps:
        return None
    fig, ax = _figure(5, 0.55 * len(steps) + 0.3)
    ax.set_axis_off()
    n = len(steps)
    for i, (label, count) in enumerate(steps):
        y = n - 1 - i
        ax.text(0.5, y, _plain(f"{label}: {count}"), ha="center", va="center", color=INK,
                bbox={"boxstyle": "round", "facecolor": "none", "edgecolor": INK})  # fmt: skip
        if i < n - 1:
            ax.annotate("", xy=(0.5, y - 0.62), xytext=(0.5, y - 0.38),
                        arrowprops={"arrowstyle": "->", "color": INK})  # fmt: skip
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.6, n - 0.4)
    return fig


@_cached
def flow(steps: Sequence[tuple[str, int]], axis_label: str) -> str:
    return _svg(flow_figure(steps, axis_label), axis_label)
