"""Hand-worked vectors from each instrument's published scoring rules (see the YAML sources)."""

from __future__ import annotations

import pytest

from holdspace.measures import library
from holdspace.measures.scoring import AnswerError, change_since, score, score_from_total


def d(code):  # type: ignore[no-untyped-def]
    return library.shipped()[code]


def same(n: int, value: object) -> dict[str, object]:
    return {str(i): value for i in range(1, n + 1)}


def with_total(n: int, total: int, top: int) -> dict[str, int]:
    """n answers adding up to `total`, filling items to `top` from the first."""
    answers = {}
    for i in range(1, n + 1):
        answers[str(i)] = min(top, total)
        total -= answers[str(i)]
    assert total == 0
    return answers


# --- PCL-5 -------------------------------------------------------------------------------


def test_pcl5_sum_and_dsm5_clusters():
    result = score(d("PCL-5"), same(20, 2))
    assert result.total == 40
    assert result.subscales == {
        "B intrusion": 10,
        "C avoidance": 4,
        "D cognition and mood": 14,
        "E arousal and reactivity": 12,
    }


def test_pcl5_item_8_is_cluster_d_and_item_11_not_cluster_c():
    answers = same(20, 0) | {"8": 4, "11": 3}
    result = score(d("PCL-5"), answers)
    assert result.subscales["C avoidance"] == 0
    assert result.subscales["D cognition and mood"] == 7


@pytest.mark.parametrize("total, flagged", [(32, False), (33, True), (80, True)])
def test_pcl5_provisional_cut_off_edge(total, flagged):
    result = score(d("PCL-5"), with_total(20, total, 4))
    assert ("pcl5.provisional-ptsd" in result.flags) is flagged
    assert result.band is None or flagged  # no severity bands exist for the PCL-5


@pytest.mark.parametrize(
    "baseline, now, reliable, meaningful",
    [(50, 46, False, False), (50, 45, True, False), (50, 40, True, True), (40, 50, True, False)],
)
def test_pcl5_change_rule(baseline, now, reliable, meaningful):
    change = change_since(d("PCL-5"), baseline=baseline, total=now)
    assert change is not None
    assert (change.reliable, change.meaningful) == (reliable, meaningful)


# --- PHQ-9 -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "total, band",
    [(0, "minimal"), (4, "minimal"), (5, "mild"), (9, "mild"), (10, "moderate"), (14, "moderate"),
     (15, "moderately severe"), (19, "moderately severe"), (20, "severe"), (27, "severe")],
)  # fmt: skip
def test_phq9_band_edges(total, band):
    answers = with_total(8, min(total, 24), 3) | {"9": total - min(total, 24)}
    assert score(d("PHQ-9"), answers).band == band


@pytest.mark.requirement("REQ-MEA-001")
def test_phq9_item9_raises_a_safety_flag_whatever_the_total():
    result = score(d("PHQ-9"), same(9, 0) | {"9": 1})
    assert result.total == 1 and result.band == "minimal"
    assert [r.reason_code for r in result.safety] == ["phq9.item9"]
    assert result.safety[0].severity == "act"
    assert score(d("PHQ-9"), same(9, 3) | {"9": 0}).safety == []


def test_phq9_mdd_cut_off_at_10():
    assert "phq9.mdd-cut-off" not in score(d("PHQ-9"), with_total(9, 9, 2)).flags
    assert "phq9.mdd-cut-off" in score(d("PHQ-9"), with_total(9, 10, 2)).flags


def test_phq9_mcid_is_5_points_down():
    assert change_since(d("PHQ-9"), baseline=20, total=15).meaningful  # type: ignore[union-attr]
    assert not change_since(d("PHQ-9"), baseline=20, total=16).meaningful  # type: ignore[union-attr]
    assert not change_since(d("PHQ-9"), baseline=15, total=20).meaningful  # type: ignore[union-attr]


# --- GAD-7 -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "total, band",
    [(4, "below the mild cut-off"), (5, "mild"), (9, "mild"), (10, "moderate"), (14, "moderate"),
     (15, "severe"), (21, "severe")],
)  # fmt: skip
def test_gad7_band_edges(total, band):
    assert score(d("GAD-7"), with_total(7, total, 3)).band == band


def test_gad7_mcid_is_4_points():
    assert change_since(d("GAD-7"), baseline=12, total=8).meaningful  # type: ignore[union-attr]
    assert not change_since(d("GAD-7"), baseline=12, total=9).meaningful  # type: ignore[union-attr]


# --- WHO-5 -------------------------------------------------------------------------------


def test_who5_raw_times_four_and_poor_wellbeing_below_13():
    poor = score(d("WHO-5"), with_total(5, 12, 5))
    assert (poor.raw, poor.total) == (12, 48)
    assert poor.band.startswith("poor well-being")  # type: ignore[union-attr]
    fine = score(d("WHO-5"), with_total(5, 13, 5))
    assert (fine.raw, fine.total) == (13, 52)
    assert fine.band == "above the poor well-being cut-off"


def test_who5_ten_points_up_on_the_percent_scale_is_meaningful():
    assert change_since(d("WHO-5"), baseline=40, total=52).meaningful  # type: ignore[union-attr]
    assert not change_since(d("WHO-5"), baseline=40, total=48).meaningful  # type: ignore[union-attr]


# --- AUDIT-C (sex-specific cut-off) ---------------------------------------------------------


def test_auditc_three_is_positive_for_women_not_for_men():
    answers = {"1": 1, "2": 1, "3": 1}
    assert "auditc.positive" in score(d("AUDIT-C"), answers, sex="female").flags
    assert "auditc.positive" not in score(d("AUDIT-C"), answers, sex="male").flags


def test_auditc_four_is_positive_for_men():
    assert "auditc.positive" in score(d("AUDIT-C"), {"1": 2, "2": 1, "3": 1}, sex="male").flags


def test_auditc_without_sex_says_the_cut_off_needs_it():
    result = score(d("AUDIT-C"), {"1": 4, "2": 4, "3": 4})
    assert result.total == 12
    assert "sex-needed-for-cut-off" in result.flags and "auditc.positive" not in result.flags


# --- DAST-10 (item 3 reversed) -------------------------------------------------------------


def test_dast10_item3_is_reverse_scored():
    assert score(d("DAST-10"), same(10, False)).total == 1  # "no" on item 3 scores 1
    assert score(d("DAST-10"), same(10, False) | {"3": True}).total == 0
    assert score(d("DAST-10"), same(10, True)).total == 9


@pytest.mark.parametrize(
    "yes_items, band",
    [(0, "none"), (1, "low"), (2, "low"), (3, "moderate"), (5, "moderate"), (6, "substantial"),
     (8, "substantial"), (9, "severe")],
)  # fmt: skip
def test_dast10_band_edges(yes_items, band):
    # item 3 answered "yes" scores 0; then the first `yes_items` other items are "yes"
    others = (1, 2, 4, 5, 6, 7, 8, 9, 10)
    answers = {"3": True} | {str(i): n < yes_items for n, i in enumerate(others)}
    assert score(d("DAST-10"), answers).band == band


def test_dast10_takes_true_false_and_one_zero():
    assert score(d("DAST-10"), same(10, 1) | {"3": 0}).total == 10


# --- CSI-4 ---------------------------------------------------------------------------------


def test_csi4_first_item_goes_to_6_and_dissatisfaction_below_13_5():
    assert score(d("CSI-4"), {"1": 6, "2": 5, "3": 5, "4": 5}).total == 21
    assert "csi4.dissatisfied" in score(d("CSI-4"), {"1": 3, "2": 5, "3": 5, "4": 0}).flags
    assert "csi4.dissatisfied" not in score(d("CSI-4"), {"1": 4, "2": 5, "3": 5, "4": 0}).flags
    with pytest.raises(AnswerError, match="item 2"):
        score(d("CSI-4"), {"1": 6, "2": 6, "3": 5, "4": 5})


# --- VAS means: EDI, EBI --------------------------------------------------------------------


def test_edi_is_the_mean_of_eight_vas_items():
    answers = {str(i): v for i, v in enumerate([0, 10, 20, 30, 40, 50, 60, 70], start=1)}
    assert score(d("EDI"), answers).total == 35


def test_ebi_is_the_mean_of_six_vas_items():
    assert score(d("EBI"), same(6, 80) | {"1": 20}).total == 70
    with pytest.raises(AnswerError, match="item 1: out of range"):
        score(d("EBI"), same(6, 80) | {"1": 101})


# --- CAPS-5, BDI-II, SDS, C-SSRS (clinician) -------------------------------------------------


@pytest.mark.parametrize(
    "total, band",
    [(10, "asymptomatic"), (11, "mild"), (22, "mild"), (23, "moderate"), (34, "moderate"),
     (35, "severe"), (46, "severe"), (47, "extreme"), (80, "extreme")],
)  # fmt: skip
def test_caps5_severity_bands(total, band):
    assert score(d("CAPS-5"), with_total(20, total, 4)).band == band


def test_caps5_change_rules():
    change = change_since(d("CAPS-5"), baseline=45, total=35)
    assert change is not None and change.meaningful and not change.reliable
    assert change_since(d("CAPS-5"), baseline=45, total=33).reliable  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "total, band",
    [(13, "minimal"), (14, "mild"), (19, "mild"), (20, "moderate"), (28, "moderate"),
     (29, "severe"), (63, "severe")],
)  # fmt: skip
def test_bdi2_total_entry_bands(total, band):
    assert score_from_total(d("BDI-II"), total).band == band


@pytest.mark.parametrize("bad", [64, -1, "lots", None, True])
def test_bdi2_total_out_of_range_or_not_a_number(bad):
    with pytest.raises(AnswerError, match="total"):
        score_from_total(d("BDI-II"), bad)


def test_sds_global_is_the_three_domains_and_days_are_not_scored():
    assert score(d("SDS"), {"1": 5, "2": 6, "3": 7, "4": 3, "5": 2}).total == 18
    assert score(d("SDS"), {"2": 6, "3": 7}).total == 13  # work skipped: not worked


def test_cssrs_moderate_watches_and_high_acts_once():
    assert score(d("C-SSRS"), {"1": 1}).safety == []
    moderate = score(d("C-SSRS"), {"1": 2})
    assert [(r.severity, r.reason_code) for r in moderate.safety] == [
        ("watch", "cssrs.risk-moderate")
    ]
    high = score(d("C-SSRS"), {"1": 3})
    assert [(r.severity, r.reason_code) for r in high.safety] == [("act", "cssrs.risk-high")]
    assert high.band == "high risk"


# --- session measures: MEQ30, CEQ, PIQ, WAI-SR ---------------------------------------------------


def test_meq30_subscale_means_and_complete_experience_at_60_percent_on_all_four():
    result = score(d("MEQ30"), same(30, 3))
    assert result.subscales["Mystical"] == 3 and result.subscales["Ineffability %"] == 60
    assert "meq30.complete-mystical" in result.flags
    ineffability_low = same(30, 3) | {"3": 2}  # 3, 10, 29: mean 2.67 → 53%
    assert "meq30.complete-mystical" not in score(d("MEQ30"), ineffability_low).flags


def test_ceq_seven_factor_means():
    answers = same(26, 0) | {"16": 5, "20": 4, "12": 1}
    result = score(d("CEQ"), answers)
    assert result.subscales["Death"] == 4.5
    assert result.subscales["Paranoia"] == 0.5
    assert result.subscales["Fear"] == 0
    assert len([k for k in result.subscales if not k.endswith("%")]) == 7


def test_piq_ampi_and_gapi_means():
    answers = {str(i): (4 if i in {2, 4, 6, 8, 11, 13, 16, 20, 22} else 1) for i in range(1, 24)}
    result = score(d("PIQ"), answers)
    assert (result.subscales["AMPI"], result.subscales["GAPI"]) == (1, 4)


def test_wai_sr_task_bond_goal_sums_and_total():
    answers = {str(i): 1 for i in range(1, 13)} | {"3": 5, "5": 5, "7": 5, "9": 5}
    result = score(d("WAI-SR"), answers)
    assert result.subscales == {"Task": 4, "Bond": 20, "Goal": 4}
    assert result.total == 28
    with pytest.raises(AnswerError, match="item 1: not one of"):
        score(d("WAI-SR"), answers | {"1": 0})


# --- bad input ---------------------------------------------------------------------------


def test_unknown_link_id_is_named():
    with pytest.raises(AnswerError) as error:
        score(d("PHQ-9"), same(9, 0) | {"10": 1})
    assert error.value.link_id == "10"


def test_non_numeric_and_out_of_range_answers_are_named():
    with pytest.raises(AnswerError, match="item 2: a number is needed"):
        score(d("PHQ-9"), same(9, 0) | {"2": "often"})
    with pytest.raises(AnswerError, match="item 4: not one of the allowed answers"):
        score(d("PHQ-9"), same(9, 0) | {"4": 4})
    with pytest.raises(AnswerError, match="item 1: a number is needed, not yes/no"):
        score(d("PHQ-9"), same(9, 0) | {"1": True})
    with pytest.raises(AnswerError, match="item 5: answer yes or no"):
        score(d("DAST-10"), same(10, True) | {"5": 2})


def test_missing_required_item_is_named():
    answers = same(9, 0)
    del answers["7"]
    with pytest.raises(AnswerError, match="item 7: an answer is required"):
        score(d("PHQ-9"), answers)


def test_pcl5_dsm5_symptom_rule_needs_b1_c1_d2_e2_items_at_moderately():
    enough = same(20, 0) | {"1": 2, "6": 2, "8": 2, "9": 3, "15": 2, "16": 4}
    assert "pcl5.dsm5-symptom-rule" in score(d("PCL-5"), enough).flags
    one_d = enough | {"9": 1}
    assert "pcl5.dsm5-symptom-rule" not in score(d("PCL-5"), one_d).flags


def test_sds_flags_impairment_at_5_on_any_domain():
    assert "sds.impaired-domain" in score(d("SDS"), {"1": 0, "2": 5, "3": 0}).flags
    assert "sds.impaired-domain" not in score(d("SDS"), {"1": 4, "2": 4, "3": 4, "4": 7}).flags
