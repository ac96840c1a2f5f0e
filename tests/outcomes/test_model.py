"""The linear mixed model (random intercept per client): cell means and missing visits."""

from __future__ import annotations

import datetime as dt

import pytest

from holdspace.outcomes.model import MODEL_TYPE, fit
from holdspace.outcomes.rows import ClientRow

D = dt.date


def client(code: str, group: str, scores: list[float | None]) -> ClientRow:
    """Baseline on day 1, a mid-course score on day 40, the endpoint on day 120."""
    days = [D(2026, 1, 1), D(2026, 2, 9), D(2026, 5, 1)]
    timepoints = ["baseline", "", "end"]
    row = ClientRow(code=code, group=group)
    row.scores = [
        (d, s, t) for d, s, t in zip(days, scores, timepoints, strict=True) if s is not None
    ]
    row.baseline_on, row.baseline = days[0], scores[0]
    if scores[2] is not None:
        row.endpoint_on, row.endpoint = days[2], scores[2]
    return row


def test_balanced_complete_data_gives_the_cell_means() -> None:
    # With every client seen at every period, the fixed effects reproduce the raw means:
    # A baseline (50 + 52 + 48) / 3 = 50, endpoint (30 + 34 + 26) / 3 = 30;
    # B baseline (49 + 51 + 50) / 3 = 50, endpoint (40 + 42 + 44) / 3 = 42.
    rows = [
        client("A1", "A", [50, 40, 30]),
        client("A2", "A", [52, 45, 34]),
        client("A3", "A", [48, 36, 26]),
        client("B1", "B", [49, 47, 40]),
        client("B2", "B", [51, 44, 42]),
        client("B3", "B", [50, 46, 44]),
    ]
    result = fit(rows, ["A", "B"])
    assert result["type"] == MODEL_TYPE and "MMRM" not in str(result)
    means = {(e["group"], e["period"]): e["mean"] for e in result["estimates"]}
    assert means[("A", "baseline")] == pytest.approx(50, abs=1e-4)
    assert means[("A", "endpoint")] == pytest.approx(30, abs=1e-4)
    assert means[("B", "endpoint")] == pytest.approx(42, abs=1e-4)
    assert means[("A", "during course")] == pytest.approx(40.3333, abs=1e-3)
    lo, hi = next(
        e["ci95"] for e in result["estimates"] if e["group"] == "A" and e["period"] == "endpoint"
    )
    assert lo < 30 < hi


def test_a_client_with_a_missing_endpoint_still_counts() -> None:
    rows = [
        client("A1", "A", [50, 40, 30]),
        client("A2", "A", [52, 45, None]),  # dropped out before the endpoint
        client("A3", "A", [48, 36, 26]),
        client("B1", "B", [49, 47, 40]),
        client("B2", "B", [51, 44, 42]),
    ]
    result = fit(rows, ["A", "B"])
    assert result["n_clients"] == 5
    assert result["n_observations"] == 14


def test_too_few_clients_is_said_not_fitted() -> None:
    result = fit([client("A1", "A", [50, 40, 30])], ["A"])
    assert result["estimates"] == [] and "not_fitted" in result


def test_a_large_cohort_is_fitted_on_a_fixed_hash_sample() -> None:
    rows = [client(f"C{i:03}", "A" if i % 2 else "B", [50, 45 - i % 7, 30 + i % 5])
            for i in range(12)]  # fmt: skip
    first = fit(rows, ["A", "B"], max_clients=8)
    assert first["sample"] == {"clients": 8, "of": 12} and first["n_clients"] == 8
    # The same cohort in another order gives the same sample and the same estimates.
    again = fit(list(reversed(rows)), ["A", "B"], max_clients=8)
    assert again["estimates"] == first["estimates"]
    assert "sample" not in fit(rows, ["A", "B"], max_clients=12)


@pytest.mark.django_db
def test_a_cached_fit_is_reused_only_for_the_same_data() -> None:
    from unittest import mock

    from holdspace.outcomes import model

    rows = [client(f"C{i}", "A", [50 + i, 40, 30 - i]) for i in range(4)]
    with mock.patch.object(model, "_fit_table", wraps=model._fit_table) as fitted:
        one = fit(rows, ["A"], cached=True)
        two = fit(rows, ["A"], cached=True)
        assert fitted.call_count == 1 and one == two
        rows[0].scores[2] = (rows[0].scores[2][0], 12.0, "end")  # new data: a new fit
        fit(rows, ["A"], cached=True)
        assert fitted.call_count == 2


def test_the_closed_form_fit_matches_statsmodels_mixedlm() -> None:
    # Unbalanced: missed visits, different numbers of scores per client. The reference is
    # statsmodels MixedLM (REML, random intercept per client) on the same table.
    import statsmodels.formula.api as smf

    from holdspace.outcomes.model import FORMULA, long_table

    rows = [
        client("A1", "A", [50, 40, 30]),
        client("A2", "A", [52, 47, None]),
        client("A3", "A", [48, None, 26]),
        client("A4", "A", [55, 41, 35]),
        client("B1", "B", [49, 47, 40]),
        client("B2", "B", [51, None, 46]),
        client("B3", "B", [44, 43, 39]),
        client("B4", "B", [58, 50, None]),
    ]
    ours = fit(rows, ["A", "B"])
    table = long_table(rows)
    reference = smf.mixedlm(FORMULA, table, groups=table["client"]).fit(reml=True)
    a_end = reference.fe_params["Intercept"] + reference.fe_params["C(period)[T.endpoint]"]
    means = {(e["group"], e["period"]): e for e in ours["estimates"]}
    assert means[("A", "baseline")]["mean"] == pytest.approx(
        reference.fe_params["Intercept"], abs=1e-3
    )
    assert means[("A", "endpoint")]["mean"] == pytest.approx(a_end, abs=1e-3)
    se = reference.bse_fe["Intercept"]
    lo, hi = means[("A", "baseline")]["ci95"]
    assert (hi - lo) / (2 * 1.959964) == pytest.approx(se, rel=1e-3)
