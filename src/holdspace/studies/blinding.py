"""Bang's and James' blinding indices with their large-sample confidence intervals.

The formulas and their sources are in data/studies/blinding.yaml (Bang 2004, James 1996);
tests/studies/test_blinding.py checks them by hand against the published disulfiram example.

A table is given as guesses by arm: `table[guess][arm]`, where guess is an arm's index or
`DONT_KNOW` (the last row). Bang's index is computed for any number of arms (for an arm, a
guess of any other arm counts as incorrect); James' index is defined for two arms.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from scipy.stats import norm

DATA_FILE = Path(settings.DATA_DIR) / "studies" / "blinding.yaml"
# James' default weights: correct guess 0, incorrect 0.5, don't know 1.
JAMES_WEIGHTS = ((0.0, 0.5), (0.5, 0.0), (1.0, 1.0))


@cache
def formulas() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))
    return loaded


@dataclass(frozen=True)
class Index:
    estimate: float | None
    se: float | None
    lower: float | None
    upper: float | None
    n: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "estimate": self.estimate,
            "se": self.se,
            "lower": self.lower,
            "upper": self.upper,
            "n": self.n,
        }


def _interval(
    estimate: float, se: float, n: int, level: float, bounds: tuple[float, float]
) -> Index:
    """Wald interval, as both papers give it, cut to the index's own range (a small sample's
    interval can pass beyond 1, which no index can reach)."""
    z = float(norm.ppf(1 - (1 - level) / 2))
    low, high = bounds
    return Index(estimate, se, max(low, estimate - z * se), min(high, estimate + z * se), n)


def bang(table: list[list[int]], arm: int, *, level: float = 0.95) -> Index:
    """Bang's index for the people in `arm` (column), from guesses (rows, last = don't know)."""
    column = [row[arm] for row in table]
    n = sum(column)
    if n == 0:
        return Index(None, None, None, None, 0)
    correct = column[arm]
    incorrect = sum(column[:-1]) - correct
    p_c, p_i = correct / n, incorrect / n
    estimate = p_c - p_i  # = (2 C/(C+I) - 1) (C+I)/n
    variance = (p_c * (1 - p_c) + p_i * (1 - p_i) + 2 * p_c * p_i) / n
    return _interval(estimate, math.sqrt(variance), n, level, (-1.0, 1.0))


def james(table: list[list[int]], *, level: float = 0.95) -> Index:
    """James' index over a two-arm trial (rows: guess arm 0, guess arm 1, don't know)."""
    if len(table) != 3 or any(len(row) != 2 for row in table):
        raise ValueError("James' index is defined here for two arms.")
    total = sum(sum(row) for row in table)
    if total == 0:
        return Index(None, None, None, None, 0)
    p = [[cell / total for cell in row] for row in table]
    row_m = [sum(row) for row in p]
    col_m = [p[0][j] + p[1][j] + p[2][j] for j in range(2)]
    p_dk = row_m[2]
    if p_dk == 1:  # everyone said "don't know": complete blinding by definition
        return Index(1.0, 0.0, 1.0, 1.0, total)
    w = JAMES_WEIGHTS
    # Column margins among those who guessed an arm (don't know left out).
    known = [col_m[j] - p[2][j] for j in range(2)]
    observed = sum(w[i][j] * p[i][j] for i in range(2) for j in range(2)) / (1 - p_dk)
    chance_raw = sum(w[i][j] * row_m[i] * known[j] for i in range(2) for j in range(2))
    expected = chance_raw / (1 - p_dk) ** 2
    kd = (observed - expected) / expected
    estimate = (1 + p_dk + (1 - p_dk) * kd) / 2
    # Large-sample variance (James 1996, appendix).
    numerator = 0.0
    for i in range(2):
        for j in range(2):
            extra = sum(w[r][j] * row_m[r] + w[i][r] * known[r] for r in range(2))
            numerator += p[i][j] * (1 - p_dk) ** 2 * ((1 - p_dk) * w[i][j] - (1 + kd) * extra) ** 2
    v1 = numerator / (4 * chance_raw**2)
    v2 = p_dk * (1 - p_dk) - (1 - p_dk) * (1 + kd) * (p_dk + (1 - p_dk) * (1 + kd) / 4)
    variance = max((v1 + v2) / total, 0.0)
    return _interval(estimate, math.sqrt(variance), total, level, (0.0, 1.0))
