"""Every statistic against a small data set worked out by hand (see each comment)."""

from __future__ import annotations

import pytest

from holdspace.outcomes import stats


def test_describe_and_mean_ci() -> None:
    # 2, 4, 6, 8: mean 5; squared deviations 9 + 1 + 1 + 9 = 20; variance 20/3 = 6.6667,
    # SD 2.5820; SE = 2.5820 / sqrt(4) = 1.2910; t(3, 0.975) = 3.1824;
    # half-width 3.1824 * 1.2910 = 4.1085 -> CI 0.8915 to 9.1085.
    d = stats.describe([2, 4, 6, 8])
    assert (d.n, d.mean) == (4, 5)
    assert d.sd == pytest.approx(2.5820, abs=1e-4)
    est = stats.mean_ci([2, 4, 6, 8])
    assert est.value == 5
    assert est.ci95 == pytest.approx((0.8915, 9.1085), abs=1e-3)


def test_describe_of_one_value_has_no_sd() -> None:
    assert stats.describe([7]).sd is None
    assert stats.mean_ci([7]).ci95 is None
    assert stats.describe([]).mean is None


def test_within_d_av() -> None:
    # pre 10, 12, 14: mean 12, SD 2. post 6, 7, 11: mean 8, squared deviations 4 + 1 + 9 = 14,
    # variance 7, SD 2.6458. d_av = (8 - 12) / sqrt((4 + 7) / 2) = -4 / 2.3452 = -1.7056.
    # SE = sqrt(1/3 + 1.7056^2 / 6) = sqrt(0.3333 + 0.4848) = 0.9045; t(2) = 4.3027;
    # half-width 3.8919 -> CI -5.5975 to 2.1863.
    effect = stats.within_d_av([10, 12, 14], [6, 7, 11])
    assert effect.type == "d_av"
    assert effect.value == pytest.approx(-1.7056, abs=1e-4)
    assert effect.ci95 == pytest.approx((-5.5975, 2.1863), abs=1e-3)


def test_within_d_av_needs_pairs() -> None:
    with pytest.raises(ValueError, match="pair"):
        stats.within_d_av([1, 2], [1, 2, 3])


def test_hedges_g() -> None:
    # a = 1, 2, 3 (mean 2, SD 1); b = 3, 4, 5 (mean 4, SD 1); pooled SD 1, d = -2.
    # g = -2 * (1 - 3 / (4 * 6 - 9)) = -2 * 0.8 = -1.6.
    # SE = sqrt(6 / 9 + 1.6^2 / 12) = sqrt(0.6667 + 0.2133) = 0.9381; t(4) = 2.7764;
    # half-width 2.6045 -> CI -4.2045 to 1.0045.
    effect = stats.hedges_g_of([1, 2, 3], [3, 4, 5])
    assert effect.type == "hedges_g"
    assert effect.value == pytest.approx(-1.6)
    assert effect.ci95 == pytest.approx((-4.2045, 1.0045), abs=1e-3)


def test_difference_in_mean_change_welch() -> None:
    # Same groups: difference 2 - 4 = -2; SE = sqrt(1/3 + 1/3) = 0.8165; Welch df =
    # (2/3)^2 / ((1/3)^2 / 2 + (1/3)^2 / 2) = 4; t(4) = 2.7764; half-width 2.2669 ->
    # CI -4.2669 to 0.2669.
    est = stats.mean_difference([1, 2, 3], [3, 4, 5])
    assert est.value == pytest.approx(-2)
    assert est.ci95 == pytest.approx((-4.2669, 0.2669), abs=1e-3)


def test_wilson_interval() -> None:
    # 8 of 10: p = 0.8, z = 1.96, z^2 = 3.8415. Centre (0.8 + 3.8415/20) / (1 + 3.8415/10)
    # = 0.99207 / 1.38415 = 0.71675; half-width 1.96 * sqrt(0.016 + 3.8415/400) / 1.38415
    # = 1.96 * 0.16001 / 1.38415 = 0.22657 -> 49.02% to 94.33%.
    p = stats.wilson(8, 10)
    assert p.percent == 80
    assert p.ci95 == pytest.approx((49.02, 94.33), abs=0.01)
    assert stats.wilson(0, 0).percent is None


def test_reproduces_mapp1_published_between_group_d() -> None:
    # MAPP1 (Mitchell 2021) completers, change from baseline to week 18: MDMA -24.4 (SD 11.6,
    # n 42), placebo -13.9 (SD 11.5, n 37). Pooled SD = sqrt((41 * 134.56 + 36 * 132.25) / 77)
    # = 11.553; d = 10.5 / 11.553 = 0.909, published as d = 0.91 (outcomes.md A1).
    d = stats.cohens_d(13.9, 11.5, 37, 24.4, 11.6, 42)
    assert round(-d, 2) == 0.91
    # Hedges' g 0.90 with an approximate CI 0.44 to 1.37 (outcomes.md; t rather than z here).
    g = stats.hedges_g(-13.9, 11.5, 37, -24.4, 11.6, 42)
    assert g.value == pytest.approx(0.90, abs=0.005)
    assert g.ci95 is not None
    assert g.ci95[0] == pytest.approx(0.44, abs=0.015)
    assert g.ci95[1] == pytest.approx(1.37, abs=0.01)
