"""Cohort statistics, each labelled with what it is. No Django here: plain numbers in and out.

Definitions follow `shared/clinical/outcomes.md` section C (Lakens 2013 for within-group d_av,
Hedges & Olkin 1985 for Hedges' g and its standard error; Wilson for proportions). scipy and
statsmodels are BSD-3; pingouin is GPL and is not used.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from scipy import stats as sps
from statsmodels.stats.proportion import proportion_confint

LEVEL = 0.95


@dataclass(frozen=True)
class Described:
    n: int
    mean: float | None
    sd: float | None  # sample SD (n - 1); None below two values


@dataclass(frozen=True)
class Estimate:
    value: float | None
    ci95: tuple[float, float] | None


@dataclass(frozen=True)
class Effect:
    type: str  # "d_av" (within group) or "hedges_g" (between groups, on change scores)
    value: float | None
    ci95: tuple[float, float] | None


@dataclass(frozen=True)
class Proportion:
    k: int
    n: int
    percent: float | None
    ci95: tuple[float, float] | None  # Wilson, as percentages


def describe(values: Sequence[float]) -> Described:
    n = len(values)
    if n == 0:
        return Described(0, None, None)
    mean = math.fsum(values) / n
    if n < 2:
        return Described(n, mean, None)
    variance = math.fsum([(v - mean) ** 2 for v in values]) / (n - 1)
    return Described(n, mean, math.sqrt(variance))


def _t_crit(dof: float) -> float:
    return float(sps.t.ppf(1 - (1 - LEVEL) / 2, dof))


def mean_ci(values: Sequence[float]) -> Estimate:
    """Mean with its t-based 95% CI: mean +/- t(n-1) * SD / sqrt(n)."""
    return mean_ci_of(describe(values))


def mean_ci_of(d: Described) -> Estimate:
    """mean_ci from the values' description (describe): no second pass over them."""
    if d.mean is None:
        return Estimate(None, None)
    if d.sd is None:
        return Estimate(d.mean, None)
    half = _t_crit(d.n - 1) * d.sd / math.sqrt(d.n)
    return Estimate(d.mean, (d.mean - half, d.mean + half))


def within_d_av(pre: Sequence[float], post: Sequence[float]) -> Effect:
    """Within-group d_av (Lakens 2013): mean change / sqrt((SD_pre^2 + SD_post^2) / 2).

    Positive when scores rose. The CI uses SE = sqrt(1/n + d^2 / (2n)) with t(n-1), the paired
    form in outcomes.md C1. `pre` and `post` are the same clients, in the same order.
    """
    if len(pre) != len(post):
        raise ValueError("pre and post must pair up")
    return within_d_av_of(describe(pre), describe(post))


def within_d_av_of(a: Described, b: Described) -> Effect:
    """within_d_av from the descriptions of the same clients' pre and post values."""
    if a.n != b.n:
        raise ValueError("pre and post must pair up")
    if a.sd is None or b.sd is None or a.mean is None or b.mean is None:
        return Effect("d_av", None, None)
    denominator = math.sqrt((a.sd**2 + b.sd**2) / 2)
    if denominator == 0:
        return Effect("d_av", None, None)
    n = a.n
    d = (b.mean - a.mean) / denominator
    se = math.sqrt(1 / n + d**2 / (2 * n))
    half = _t_crit(n - 1) * se
    return Effect("d_av", d, (d - half, d + half))


def pooled_sd(sd1: float, n1: int, sd2: float, n2: int) -> float:
    return math.sqrt(((n1 - 1) * sd1**2 + (n2 - 1) * sd2**2) / (n1 + n2 - 2))


def cohens_d(m1: float, sd1: float, n1: int, m2: float, sd2: float, n2: int) -> float:
    """Between-group Cohen's d from summary statistics: (M1 - M2) / pooled SD."""
    return (m1 - m2) / pooled_sd(sd1, n1, sd2, n2)


def hedges_g(m1: float, sd1: float, n1: int, m2: float, sd2: float, n2: int) -> Effect:
    """Hedges' g = d * (1 - 3 / (4(n1 + n2) - 9)) with a 95% CI g +/- t(n1+n2-2) * SE,
    SE = sqrt((n1 + n2) / (n1 n2) + g^2 / (2(n1 + n2))) (Hedges & Olkin 1985)."""
    if n1 < 2 or n2 < 2 or pooled_sd(sd1, n1, sd2, n2) == 0:
        return Effect("hedges_g", None, None)
    d = cohens_d(m1, sd1, n1, m2, sd2, n2)
    g = d * (1 - 3 / (4 * (n1 + n2) - 9))
    se = math.sqrt((n1 + n2) / (n1 * n2) + g**2 / (2 * (n1 + n2)))
    half = _t_crit(n1 + n2 - 2) * se
    return Effect("hedges_g", g, (g - half, g + half))


def hedges_g_of(a: Sequence[float], b: Sequence[float]) -> Effect:
    da, db = describe(a), describe(b)
    if da.sd is None or db.sd is None or da.mean is None or db.mean is None:
        return Effect("hedges_g", None, None)
    return hedges_g(da.mean, da.sd, da.n, db.mean, db.sd, db.n)


def mean_difference(a: Sequence[float], b: Sequence[float]) -> Estimate:
    """Difference of two independent means (a - b) with a Welch 95% CI (no equal-variance
    assumption): SE = sqrt(s_a^2/n_a + s_b^2/n_b), Welch-Satterthwaite degrees of freedom."""
    da, db = describe(a), describe(b)
    if da.mean is None or db.mean is None:
        return Estimate(None, None)
    difference = da.mean - db.mean
    if da.sd is None or db.sd is None:
        return Estimate(difference, None)
    va, vb = da.sd**2 / da.n, db.sd**2 / db.n
    se = math.sqrt(va + vb)
    if se == 0:
        return Estimate(difference, (difference, difference))
    dof = (va + vb) ** 2 / (va**2 / (da.n - 1) + vb**2 / (db.n - 1))
    half = _t_crit(dof) * se
    return Estimate(difference, (difference - half, difference + half))


def wilson(k: int, n: int) -> Proportion:
    """k of n as a percentage with the Wilson score 95% CI (statsmodels)."""
    if n == 0:
        return Proportion(k, n, None, None)
    lo, hi = proportion_confint(k, n, alpha=1 - LEVEL, method="wilson")
    return Proportion(k, n, 100 * k / n, (100 * float(lo), 100 * float(hi)))
