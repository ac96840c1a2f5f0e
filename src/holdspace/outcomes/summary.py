"""The cohort summary, computed only from the per-client rows the clients route returns, so
anyone holding those rows can reproduce every number here."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby
from typing import Any

from . import model, stats
from .grouping import SMALL_CELL, group_order
from .rows import ClientRow


def _ci(pair: tuple[float, float] | None) -> list[float] | None:
    return [pair[0], pair[1]] if pair is not None else None


def _proportion(k: int, n: int) -> dict[str, Any]:
    """k of the n rows where the category applies (None means not applicable: left out)."""
    p = stats.wilson(k, n)
    return {"k": p.k, "n": p.n, "percent": p.percent, "ci95": _ci(p.ci95)}


def analysed(rows: Sequence[ClientRow]) -> list[ClientRow]:
    """Rows with both a baseline and an endpoint: the change-score analysis set."""
    return [r for r in rows if r.baseline is not None and r.endpoint is not None]


# The categories counted per group: (name in the summary, row field, the value that counts).
_CATEGORIES = (
    ("response", "response", True),
    ("remission", "remission", True),
    ("clinically_meaningful", "clinically_meaningful", True),
    ("reliable_improvement", "reliable_change", "improved"),
    ("reliable_deterioration", "reliable_change", "deteriorated"),
)
_EVENT_KINDS = ("all", "pleasant", "abuse_potential", "serious")


def group_summary(group: str, rows: Sequence[ClientRow]) -> dict[str, Any]:
    # One pass over the rows, gathering columns (tens of thousands of rows at network scale:
    # a pass per statistic cost several times more).
    baselines: list[float] = []
    endpoints: list[float] = []
    changes: list[float] = []
    with_baseline = 0
    counted = {name: [0, 0] for name, _field, _value in _CATEGORIES}  # [k, n]
    fields = [(counted[name], field, value) for name, field, value in _CATEGORIES]
    events = dict.fromkeys(_EVENT_KINDS, 0)
    with_events = 0
    for r in rows:
        found = r.adverse_events
        if found:
            if found.get("all"):
                with_events += 1
            for kind in _EVENT_KINDS:
                events[kind] += found.get(kind, 0)
        if r.baseline is None:
            continue
        with_baseline += 1
        if r.endpoint is None:
            continue
        baselines.append(r.baseline)
        endpoints.append(r.endpoint)
        if r.change is not None:
            changes.append(r.change)
        values = r.__dict__
        for kn, field, value in fields:
            seen = values[field]
            if seen is not None:
                kn[1] += 1
                if seen == value:
                    kn[0] += 1
    base, end, change = (
        stats.describe(baselines),
        stats.describe(endpoints),
        stats.describe(changes),
    )
    change_ci = stats.mean_ci(changes)
    within = stats.within_d_av(baselines, endpoints)
    return {
        "group": group,
        "n": len(baselines),
        # Few analysed clients: unstable numbers, and with a factor such as sex, a cell that
        # may point at a person. Shown with a caution, never hidden silently.
        "small_cell": len(baselines) < SMALL_CELL,
        "n_with_baseline": with_baseline,
        "baseline_mean": base.mean,
        "baseline_sd": base.sd,
        "endpoint_mean": end.mean,
        "endpoint_sd": end.sd,
        "change_mean": change.mean,
        "change_sd": change.sd,
        "change_ci95": _ci(change_ci.ci95),
        "within_effect": {"type": within.type, "value": within.value, "ci95": _ci(within.ci95)},
        **{name: _proportion(*counted[name]) for name, _field, _value in _CATEGORIES},
        # Safety over every client of the group, not only those with an endpoint.
        "adverse_events": {"clients_with_any": with_events, **events},
    }


def comparisons(grouped: dict[str, list[ClientRow]], order: list[str]) -> list[dict[str, Any]]:
    """Each group against the first (the reference): difference in mean change (Welch 95%
    CI) and Hedges' g on change scores, labelled."""
    if len(order) < 2:
        return []
    reference = order[0]
    ref_changes = [r.change for r in analysed(grouped[reference]) if r.change is not None]
    found = []
    for name in order[1:]:
        changes = [r.change for r in analysed(grouped[name]) if r.change is not None]
        difference = stats.mean_difference(changes, ref_changes)
        effect = stats.hedges_g_of(changes, ref_changes)
        found.append(
            {
                "groups": [name, reference],
                "difference": difference.value,
                "difference_ci95": _ci(difference.ci95),
                "effect": {
                    "type": effect.type,
                    "on": "change scores",
                    "value": effect.value,
                    "ci95": _ci(effect.ci95),
                },
            }
        )
    return found


def summarise(
    rows: Sequence[ClientRow],
    *,
    instrument: str,
    group_by: str,
    with_model: bool = True,
    model_max_clients: int | None = None,
    model_cached: bool = False,
) -> dict[str, Any]:
    """The summary of the rows. The mixed model is the slow part: `with_model=False` leaves it
    out (`model` is then None); `model_max_clients` bounds it and `model_cached` keeps the fit
    in the cache (see model.fit)."""
    ordered = sorted(rows, key=lambda r: r.group)
    grouped = {name: list(members) for name, members in groupby(ordered, key=lambda r: r.group)}
    order = group_order(group_by, set(grouped))
    return {
        "instrument": instrument,
        "group_by": group_by or None,
        "groups": [group_summary(name, grouped[name]) for name in order],
        "comparisons": comparisons(grouped, order),
        "model": model.fit(rows, order, max_clients=model_max_clients, cached=model_cached)
        if with_model
        else None,
    }
