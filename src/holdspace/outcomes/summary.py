"""The cohort summary, computed only from the per-client rows the clients route returns, so
anyone holding those rows can reproduce every number here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from itertools import compress
from operator import itemgetter
from typing import Any, cast

from . import model, stats
from .grouping import SMALL_CELL, group_order
from .rows import EVENT_KINDS, PACKED_AT, ClientRow


def _ci(pair: tuple[float, float] | None) -> list[float] | None:
    return [pair[0], pair[1]] if pair is not None else None


def _proportion(k: int, n: int) -> dict[str, Any]:
    """k of the n rows where the category applies (None means not applicable: left out)."""
    p = stats.wilson(k, n)
    return {"k": p.k, "n": p.n, "percent": p.percent, "ci95": _ci(p.ci95)}


# The categories counted per group: (name in the summary, column, the value that counts).
_CATEGORIES = (
    ("response", "response", True),
    ("remission", "remission", True),
    ("clinically_meaningful", "clinically_meaningful", True),
    ("reliable_improvement", "reliable_change", "improved"),
    ("reliable_deterioration", "reliable_change", "deteriorated"),
)


@dataclass
class Columns:
    """The rows' fields the summary reads, one sequence per field, in the rows' order (from
    ClientRows or from the tuples the cache keeps: the same values either way, so the
    summary of the rows the API returns is the summary of their packed form). `events` holds
    each row's adverse event counts in EVENT_KINDS order, or None when it has none."""

    group: Sequence[str]
    baseline: Sequence[float | None]
    endpoint: Sequence[float | None]
    change: Sequence[float | None]
    response: Sequence[bool | None]
    remission: Sequence[bool | None]
    clinically_meaningful: Sequence[bool | None]
    reliable_change: Sequence[str | None]
    events: Sequence[tuple[int, ...] | None]

    def only(self, keep: Sequence[bool]) -> Columns:
        """The rows where `keep` is true, in order (these columns themselves when that is
        every row: nothing reads them to change them)."""
        if all(keep):
            return self
        return Columns(*(list(compress(getattr(self, f.name), keep)) for f in fields(self)))


# The packed fields the summary reads, in the order of Columns' fields ("events" is the
# packed row's "adverse_events").
_COLUMNS = (
    "group", "baseline", "endpoint", "change", "response", "remission",
    "clinically_meaningful", "reliable_change", "adverse_events",
)  # fmt: skip


def columns_of_rows(rows: Sequence[ClientRow]) -> Columns:
    return Columns(
        [r.group for r in rows],
        [r.baseline for r in rows],
        [r.endpoint for r in rows],
        [r.change for r in rows],
        [r.response for r in rows],
        [r.remission for r in rows],
        [r.clinically_meaningful for r in rows],
        [r.reliable_change for r in rows],
        [
            tuple(r.adverse_events.get(kind, 0) for kind in EVENT_KINDS)
            if r.adverse_events
            else None
            for r in rows
        ],
    )


def columns_of_packed(packed: Sequence[tuple[object, ...]]) -> Columns:
    """The columns of rows packed for the cache (rows.pack), without unpacking them."""
    return Columns(*(list(map(itemgetter(PACKED_AT[name]), packed)) for name in _COLUMNS))


def group_summary(group: str, found: Columns) -> dict[str, Any]:
    # Column by column (tens of thousands of rows at network scale: a pass per row in Python
    # cost several times more).
    with_baseline = len(found.baseline) - found.baseline.count(None)
    pairs = zip(found.baseline, found.endpoint, strict=True)
    both = [b is not None and e is not None for b, e in pairs]
    analysed_set = found.only(both)
    baselines = cast("list[float]", analysed_set.baseline)
    endpoints = cast("list[float]", analysed_set.endpoint)
    changes = [c for c in analysed_set.change if c is not None]
    counted = {}
    for name, column, value in _CATEGORIES:
        seen = list(getattr(analysed_set, column))
        counted[name] = (seen.count(value), len(seen) - seen.count(None))
    with_events = [counts for counts in found.events if counts]
    events = {kind: sum(counts[i] for counts in with_events) for i, kind in enumerate(EVENT_KINDS)}
    base, end, change = (
        stats.describe(baselines),
        stats.describe(endpoints),
        stats.describe(changes),
    )
    change_ci = stats.mean_ci_of(change)
    within = stats.within_d_av_of(base, end)
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
        **{name: _proportion(*counted[name]) for name, _column, _value in _CATEGORIES},
        # Safety over every client of the group, not only those with an endpoint.
        "adverse_events": {
            "clients_with_any": sum(1 for counts in with_events if counts[0]),
            **events,
        },
    }


def _changes(columns: Columns) -> list[float]:
    """The change scores of the rows with a baseline and an endpoint."""
    return [
        c
        for b, e, c in zip(columns.baseline, columns.endpoint, columns.change, strict=True)
        if b is not None and e is not None and c is not None
    ]


def comparisons(grouped: dict[str, Columns], order: list[str]) -> list[dict[str, Any]]:
    """Each group against the first (the reference): difference in mean change (Welch 95%
    CI) and Hedges' g on change scores, labelled."""
    if len(order) < 2:
        return []
    reference = order[0]
    ref_changes = _changes(grouped[reference])
    found = []
    for name in order[1:]:
        changes = _changes(grouped[name])
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
    rows: Sequence[ClientRow] | Sequence[tuple[object, ...]],
    *,
    instrument: str,
    group_by: str,
    with_model: bool = True,
    model_max_clients: int | None = None,
    model_cached: bool = False,
) -> dict[str, Any]:
    """The summary of the rows (ClientRows, or the tuples rows.pack made of them: the same
    summary). The mixed model is the slow part: `with_model=False` leaves it out (`model` is
    then None); `model_max_clients` bounds it and `model_cached` keeps the fit in the cache
    (see model.fit). The model reads the rows' score histories: ClientRows only."""
    columns = (
        columns_of_packed(rows)  # type: ignore[arg-type]
        if rows and isinstance(rows[0], tuple)
        else columns_of_rows(rows)  # type: ignore[arg-type]
    )
    names = set(columns.group)
    grouped = (
        dict.fromkeys(names, columns)
        if len(names) == 1
        else {name: columns.only([g == name for g in columns.group]) for name in names}
    )
    order = group_order(group_by, names)
    fitted = None
    if with_model:
        if rows and isinstance(rows[0], tuple):
            raise TypeError("the mixed model needs ClientRows with their score histories")
        fitted = model.fit(
            rows,  # type: ignore[arg-type]
            order,
            max_clients=model_max_clients,
            cached=model_cached,
        )
    return {
        "instrument": instrument,
        "group_by": group_by or None,
        "groups": [group_summary(name, grouped[name]) for name in order],
        "comparisons": comparisons(grouped, order),
        "model": fitted,
    }
