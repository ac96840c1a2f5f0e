"""The estimated trajectory per group: a linear mixed model with a random intercept per client.

`score ~ C(period) * C(group)`, a random intercept per client, fitted by REML. This is NOT an
MMRM (no unstructured residual covariance over visits, outcomes.md C2): say "linear mixed
model, random intercept per client". Every observed score counts, so a client who missed a
visit still contributes the visits they came to; nothing is carried forward.

The fit is the same model statsmodels' MixedLM fits (a test checks the estimates against it),
computed in closed form per client: with one random intercept, each client's covariance
sigma^2 (I + gamma 11') inverts by Sherman-Morrison, so the REML likelihood needs only per-client
sums and one variance ratio gamma is optimised. MixedLM loops over clients in Python at every
step and took 11 s for 1,000 clients; this takes milliseconds.
"""

from __future__ import annotations

import hashlib
import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from django.core.cache import cache
from patsy import dmatrix
from scipy import optimize
from scipy import stats as sps

from .rows import FOLLOW_UP_PREFIX, ClientRow

# Why the model was not fitted, as the API says it (English, stable); pages translate it.
TOO_FEW_CLIENTS = "fewer than three clients with scores"
FIT_FAILED = "the model could not be fitted"

MODEL_TYPE = "linear mixed model, random intercept per client"
FORMULA = "score ~ C(period) * C(group)"
BASE_PERIODS = ("baseline", "during course", "endpoint")
# Bump when the fit or its output changes, so cached results of the old code are not reused.
MODEL_VERSION = 2
CACHE_SECONDS = 24 * 3600
# Pages and the API fit on at most this many clients (see fit); set from bench/outcomes.py so
# a fit stays well under a second on the 2-core reference machine.
MAX_CLIENTS = 5000


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
        code, group = row.code, row.group
        for i, (observed_on, total, _tp) in enumerate(row.scores):
            period = period_of(row, i)
            if period == "baseline" and observed_on != row.baseline_on:
                continue  # screening responses before the chosen baseline are not the course
            records.append((code, group, period, total))
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
        out["not_fitted"] = TOO_FEW_CLIENTS
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
    seen = table.groupby("group")["period"].unique()
    shared = set.intersection(*(set(periods) for periods in seen))
    table = table[table["period"].isin(shared)]
    periods = period_order(shared)
    present = set(table["group"])
    groups = [g for g in group_order if g in present]
    # Every score's row of the design matrix is that of its (group, period) cell: build the
    # design once for the grid of cells (patsy, treatment coding) and index it per score.
    grid = pd.DataFrame([{"group": g, "period": p} for g in groups for p in periods])
    grid["period"] = pd.Categorical(grid["period"], categories=periods)
    grid["group"] = pd.Categorical(grid["group"], categories=groups)
    x = np.asarray(dmatrix(FORMULA.split("~", 1)[1], grid))
    cell = pd.Categorical(table["group"], categories=groups).codes.astype(np.int64) * len(
        periods
    ) + pd.Categorical(table["period"], categories=periods).codes.astype(np.int64)
    clients = pd.factorize(table["client"])[0]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # reported as not fitted, never logged
            beta, cov, converged = random_intercept_reml(
                x, cell, table["score"].to_numpy(dtype=float), clients
            )
    except (ValueError, np.linalg.LinAlgError) as exc:
        out["not_fitted"] = f"{FIT_FAILED}: {type(exc).__name__}"
        return out
    out["converged"] = converged
    out["n_clients"] = int(clients.max() + 1)
    out["n_observations"] = len(table)
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


def random_intercept_reml(
    cells_x: np.ndarray, cell: np.ndarray, y: np.ndarray, clients: np.ndarray
) -> tuple[np.ndarray, np.ndarray, bool]:
    """Fixed effects, their covariance and whether the optimiser converged, for
    y = X beta + u_client + e with u ~ N(0, sigma_u^2), e ~ N(0, sigma^2), by REML.

    Score i's row of X is `cells_x[cell[i]]` (its group-by-period cell). With
    gamma = sigma_u^2 / sigma^2 and V = sigma^2 (I + gamma 11') per client of n scores,
    V^-1 = (I - w 11') / sigma^2 with w = gamma / (1 + n gamma) (Sherman-Morrison), and
    log|V| = n log sigma^2 + log(1 + n gamma). So X'V^-1 X, X'V^-1 y and y'V^-1 y need only
    per-cell and per-client sums; sigma^2 is profiled out and gamma found by a bounded
    one-dimensional search (on log gamma, with gamma = 0 checked as the boundary).
    """
    n_cells, p = cells_x.shape
    n_obs, n_clients = len(y), int(clients.max()) + 1
    if n_obs <= p:
        raise ValueError("fewer scores than fixed effects")
    count = np.bincount(clients, minlength=n_clients).astype(float)
    per_client_cell = np.bincount(clients * n_cells + cell, minlength=n_clients * n_cells).reshape(
        n_clients, n_cells
    )
    sum_x = per_client_cell @ cells_x  # each client's column sums of X
    sum_y = np.bincount(clients, weights=y, minlength=n_clients)
    per_cell = np.bincount(cell, minlength=n_cells).astype(float)
    xtx = cells_x.T @ (cells_x * per_cell[:, None])
    xty = cells_x.T @ np.bincount(cell, weights=y, minlength=n_cells)
    yty = float(y @ y)
    sign, _logdet = np.linalg.slogdet(xtx)
    if sign <= 0:
        raise np.linalg.LinAlgError("the fixed effects are not estimable")

    def parts(log_gamma: float) -> tuple[float, np.ndarray, np.ndarray, float]:
        gamma = math.exp(log_gamma) if log_gamma > BOUNDARY else 0.0
        w = gamma / (1 + count * gamma)
        weighted = sum_x * w[:, None]
        a = xtx - weighted.T @ sum_x
        b = xty - weighted.T @ sum_y
        beta = np.linalg.solve(a, b)
        quad = yty - float(np.sum(w * sum_y**2)) - float(b @ beta)
        return max(quad, 1e-300), a, beta, float(np.sum(np.log1p(count * gamma)))

    def minus_two_reml(log_gamma: float) -> float:
        quad, a, _beta, logdet_v = parts(log_gamma)
        sign, logdet_a = np.linalg.slogdet(a)
        if sign <= 0:
            return math.inf
        return (n_obs - p) * math.log(quad / (n_obs - p)) + logdet_v + logdet_a

    found = optimize.minimize_scalar(
        minus_two_reml, bounds=(-15.0, 15.0), method="bounded", options={"xatol": 1e-8}
    )
    log_gamma = float(found.x)
    if minus_two_reml(BOUNDARY - 1) <= found.fun:  # no client-level variance at all
        log_gamma = BOUNDARY - 1
    quad, a, beta, _logdet_v = parts(log_gamma)
    cov = quad / (n_obs - p) * np.linalg.inv(a)
    return beta, cov, bool(found.success)


# log gamma below this is gamma = 0 (the boundary of the variance ratio).
BOUNDARY = -30.0
