"""Bang's and James' blinding indices, by hand against the published worked example.

The example is the disulfiram trial's participants (James et al., Stat Med 1996;15:1421,
PMID 8841652), used again by Bang et al., Control Clin Trials 2004;25:143
(doi:10.1016/j.cct.2003.10.016), whose published figures are (treatment) BI 0.115 and
(placebo) 0.022 for Bang's index and 0.896 for James'. The counts and figures are read from
data/studies/blinding.yaml, which cites both papers.
"""

from __future__ import annotations

import math

import pytest

from holdspace.studies import blinding

EXAMPLE = blinding.formulas()["worked_example"]
TABLE = EXAMPLE["counts"]  # rows: guess treatment, guess placebo, don't know


def test_the_data_file_cites_both_papers():
    ids = {source["id"]: source for source in blinding.formulas()["sources"]}
    assert ids["bang2004"]["doi"] == "10.1016/j.cct.2003.10.016"
    assert ids["james1996"]["pmid"] == "8841652"
    assert TABLE == [[48, 22], [4, 30], [330, 319]]


def test_bang_by_hand_for_the_treatment_arm():
    # 382 people on disulfiram: 48 guessed it, 4 guessed placebo, 330 did not know.
    index = blinding.bang(TABLE, 0)
    assert index.n == 382
    assert index.estimate == pytest.approx((48 - 4) / 382)  # 0.1152
    p_c, p_i = 48 / 382, 4 / 382
    assert index.se == pytest.approx(
        math.sqrt((p_c * (1 - p_c) + p_i * (1 - p_i) + 2 * p_c * p_i) / 382)
    )
    # Published figures, rounded to three places.
    expected = EXAMPLE["expected"]["bang_treatment"]
    for key in ("estimate", "se", "lower", "upper"):
        assert round(getattr(index, key), 3) == pytest.approx(expected[key], abs=0.0015), key


def test_bang_by_hand_for_the_placebo_arm():
    # 371 people on placebo: 30 guessed placebo (correct), 22 guessed treatment, 319 did not know.
    index = blinding.bang(TABLE, 1)
    assert index.n == 371
    assert index.estimate == pytest.approx((30 - 22) / 371)  # 0.0216
    expected = EXAMPLE["expected"]["bang_placebo"]
    for key in ("estimate", "se", "lower", "upper"):
        assert round(getattr(index, key), 3) == pytest.approx(expected[key], abs=0.0015), key


def test_james_against_the_published_figure():
    index = blinding.james(TABLE)
    # By hand: N = 753, P(don't know) = 649/753 = 0.8619; the index is
    # (1 + Pdk + (1 - Pdk) kd) / 2 with kd from the weighted disagreement among those who guessed.
    n = 753
    p_dk = 649 / n
    observed = (0.5 * 22 / n + 0.5 * 4 / n) / (1 - p_dk)
    # Row margins 70 (guessed treatment) and 34 (guessed placebo); 52 guessed in each column.
    expected_chance = (0.5 * (70 / n) * (52 / n) + 0.5 * (34 / n) * (52 / n)) / (1 - p_dk) ** 2
    kd = (observed - expected_chance) / expected_chance
    assert index.estimate == pytest.approx((1 + p_dk + (1 - p_dk) * kd) / 2)
    expected = EXAMPLE["expected"]["james"]
    for key in ("estimate", "se", "lower", "upper"):
        assert round(getattr(index, key), 3) == pytest.approx(expected[key], abs=0.0015), key


def test_the_extremes_read_as_published():
    everyone_right = [[10, 0], [0, 10], [0, 0]]
    assert blinding.bang(everyone_right, 0).estimate == 1
    assert blinding.bang(everyone_right, 1).estimate == 1
    assert blinding.james(everyone_right).estimate == pytest.approx(0)
    nobody_knows = [[0, 0], [0, 0], [10, 10]]
    assert blinding.bang(nobody_knows, 0).estimate == 0
    assert blinding.james(nobody_knows).estimate == 1
    assert blinding.bang([[0, 0], [0, 0], [0, 0]], 0).estimate is None
