"""The estimated trajectory per group: a linear mixed model with a random intercept per client.

statsmodels MixedLM, `score ~ C(period) * C(group)`, groups = client. This is NOT an MMRM (no
unstructured residual covariance over visits; statsmodels does not fit one, outcomes.md C2):
say "linear mixed model, random intercept per client". Every observed score counts, so a client
who missed a visit still contributes the visits they came to; nothing is carried forward.
"""

from __future__ import annotations

import hashlib
import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from patsy import build_design_matrices
from django.core.cache import cache
from scipy import stats as sps

from .rows import FOLLOW_UP_PREFIX, ClientRow

MODEL_TYPE = "linear mixed model, random intercept per client"
FORMULA = "score ~ C(period) * C(group)"
BASE_PERIODS = ("baseline", "during course", "endpoint")
# Bump when the fit or its output changes, so cached results of the old code are not reused.
MODEL_VERSION = 1
CACHE_SECONDS = 24 * 3600
# Pages and the API fit on at most this many clients (see fit); set from bench/outcomes.py so
# a fit stays well under a second on the 2-core reference machine.
MAX_CLIENTS = 1000


def period_of(row: ClientRow, index: int) -> str:
    """Which period of the course the row's `index`-th score belongs to."""
    observed_on, _total, timepoint = row.scores[index]
    if timepoint.startswith(FOLLOW_UP_PREFIX):
        return timepoint
    if row.baseline_on is not None and observed_on <= row.baseline_on:
        return "baseline"
    if row.endpoint_on is not None and observed_on >= row.endpoint_on:
        return "endpoint"
    return "during course"


def long_table(rows: Sequence[ClientRow]) -> pd.DataFrame:
    records = []
    for row in rows:
        if row.baseline is None:
            continue
        for i, (_on, total, _tp) in enumerate(row.scores):
            period = period_of(row, i)
            if period == "baseline" and row.scores[i][0] != row.baseline_on:
                continue  # screening responses before the chosen baseline are not the course
            records.append(
                {"client": row.code, "group": row.group, "period": period, "score": total}
            )
    return pd.DataFrame.from_records(records, columns=["client", "group", "period", "score"])


def period_order(periods: set[str]) -> list[str]:
    # follow_up_6m before follow_up_12m: by the number of months.
    follow_ups = sorted(
        (p for p in periods if p.startswith(FOLLOW_UP_PREFIX)),
        key=lambda p: int("".join(ch for ch in p if ch.isdigit()) or 0),
    )
    return [p for p in BASE_PERIODS if p in periods] + follow_ups


def sample(rows: Sequence[ClientRow], limit: int) -> list[ClientRow]:
    """At most `limit` rows, chosen by a hash of the client code: the same cohort always gives
    the same sample, and the choice has nothing to do with the scores or the group."""
    if len(rows) <= limit:
        return list(rows)
    ranked = sorted(rows, key=lambda r: hashlib.sha256(r.code.encode()).digest())
    return ranked[:limit]


def fit(
    rows: Sequence[ClientRow],
    group_order: Sequence[str],
    *,
    max_clients: int | None = None,
    cached: bool = False,
) -> dict[str, Any]:
    """Estimated mean (95% CI) per group and period, or the reason the model was not fitted.

    The fit grows faster than linearly with the number of scores, so a page bounds it:
    with `max_clients`, a larger cohort is fitted on a fixed hash-chosen sample of that many
    clients, and the result says so (`sample`). With `cached`, the result is kept in the
    database cache under a digest of the model's input table (the data version): the same
    data never fits twice, changed data always fits again.
    """
    out: dict[str, Any] = {"type": MODEL_TYPE, "formula": FORMULA, "estimates": []}
    with_baseline = [r for r in rows if r.baseline is not None]
    chosen = with_baseline if max_clients is None else sample(with_baseline, max_clients)
    if len(chosen) < len(with_baseline):
        out["sample"] = {"clients": len(chosen), "of": len(with_baseline)}
    table = long_table(chosen)
    if table.empty or table["client"].nunique() < 3:
        out["not_fitted"] = "fewer than three clients with scores"
        return out
    if not cached:
        return {**out, **_fit_table(table, group_order)}
    digest = hashlib.sha256(
        pd.util.hash_pandas_object(table, index=False).to_numpy().tobytes()
        + "|".join(group_order).encode()
    ).hexdigest()
    key = f"outcomes.model.{MODEL_VERSION}.{digest}"
    found = cache.get(key)
    if found is None:
        found = _fit_table(table, group_order)
        cache.set(key, found, CACHE_SECONDS)
    return {**out, **found}


def _fit_table(table: pd.DataFrame, group_order: Sequence[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"estimates": []}
    # Periods seen by every group only: a cell with no data cannot be estimated.
    shared = set.intersection(*(set(g["period"]) for _n, g in table.groupby("group")))
    table = table[table["period"].isin(shared)].copy()
    periods = period_order(shared)
    groups = [g for g in group_order if g in set(table["group"])]
    table["period"] = pd.Categorical(table["period"], categories=periods)
    table["group"] = pd.Categorical(table["group"], categories=groups)
    with warnings.catch_warnings():
        # Convergence warnings are reported in the result instead of the log.
        warnings.simplefilter("ignore")
        try:
            result = smf.mixedlm(FORMULA, table, groups=table["client"]).fit(reml=True)
        except (ValueError, np.linalg.LinAlgError) as exc:
            out["not_fitted"] = f"the model could not be fitted: {type(exc).__name__}"
            return out
    out["converged"] = bool(result.converged)
    out["n_clients"] = int(table["client"].nunique())
    out["n_observations"] = len(table)
    grid = pd.DataFrame(
        [{"group": g, "period": p} for g in groups for p in periods],
    )
    grid["period"] = pd.Categorical(grid["period"], categories=periods)
    grid["group"] = pd.Categorical(grid["group"], categories=groups)
    (design,) = build_design_matrices([result.model.data.model_spec], grid)
    x = np.asarray(design)
    names = list(result.fe_params.index)
    beta = result.fe_params.to_numpy()
    cov = result.cov_params().loc[names, names].to_numpy()
    crit = float(sps.norm.ppf(0.975))
    for (g, p), xi in zip(grid[["group", "period"]].itertuples(index=False), x, strict=True):
        mean = float(xi @ beta)
        se = math.sqrt(max(float(xi @ cov @ xi), 0.0))
        out["estimates"].append(
            {
                "group": str(g),
                "period": str(p),
                "mean": mean,
                "ci95": [mean - crit * se, mean + crit * se],
            }
        )
    out["periods"] = periods
    return out
