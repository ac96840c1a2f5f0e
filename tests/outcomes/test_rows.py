"""Baseline and endpoint selection, and each category threshold from the data files."""

from __future__ import annotations

import datetime as dt

import pytest

from holdspace.measures.definitions import load_directory
from holdspace.outcomes.rows import (
    Observation,
    build_row,
    party_use_group,
    pick_baseline,
    pick_endpoint,
)

D = dt.date
SHIPPED = load_directory()
PCL5, CAPS5, PHQ9, GAD7 = (SHIPPED[c] for c in ("PCL-5", "CAPS-5", "PHQ-9", "GAD-7"))


def obs(day: int, total: float, timepoint: str = "") -> Observation:
    return Observation(D(2026, 1, day), total, timepoint)


def test_baseline_is_the_baseline_timepoint_when_there_is_one() -> None:
    seen = [obs(1, 50), obs(3, 48, "baseline"), obs(20, 30)]
    assert pick_baseline(seen, D(2026, 1, 10)) == (seen[1], "baseline_timepoint")


def test_baseline_else_last_before_first_medicine_session() -> None:
    seen = [obs(1, 50), obs(5, 47), obs(12, 40), obs(20, 30)]
    assert pick_baseline(seen, D(2026, 1, 10)) == (seen[1], "last_before_first_medicine_session")


def test_baseline_else_first_response() -> None:
    seen = [obs(12, 40), obs(20, 30)]
    assert pick_baseline(seen, D(2026, 1, 10)) == (seen[0], "first_response")
    assert pick_baseline(seen, None) == (seen[0], "first_response")
    assert pick_baseline([], None) is None


def test_endpoint_is_the_protocol_endpoint_else_the_last() -> None:
    seen = [obs(1, 50, "baseline"), obs(10, 40, "end"), obs(15, 35), obs(28, 20, "follow_up_6m")]
    assert pick_endpoint(seen, seen[0]) == (seen[1], "protocol_endpoint")
    no_end = [obs(1, 50, "baseline"), obs(10, 40), obs(15, 35), obs(28, 20, "follow_up_6m")]
    # The follow-up is its own column, never the endpoint.
    assert pick_endpoint(no_end, no_end[0]) == (no_end[2], "last_response")


def test_no_later_response_means_no_endpoint_never_a_carried_baseline() -> None:
    seen = [obs(1, 50, "baseline")]
    row = build_row(code="HS-1", observations=seen, first_medicine_session=None, definition=PCL5)
    assert row.baseline == 50
    assert (row.endpoint, row.change, row.response, row.reliable_change) == (None, None, None, None)


def row(definition, baseline: float, endpoint: float):  # type: ignore[no-untyped-def]
    seen = [obs(1, baseline, "baseline"), obs(20, endpoint, "end")]
    return build_row(
        code="HS-1", observations=seen, first_medicine_session=None, definition=definition
    )


@pytest.mark.parametrize(
    ("baseline", "endpoint", "expected"),
    [
        (50, 35, "improved"),  # 15-point drop: Marx 2022 RCI >= 15
        (50, 36, "no reliable change"),  # 14 points
        (30, 45, "deteriorated"),  # 15-point rise
        (30, 44, "no reliable change"),
    ],
)
def test_pcl5_reliable_change_at_15(baseline: float, endpoint: float, expected: str) -> None:
    assert row(PCL5, baseline, endpoint).reliable_change == expected


def test_pcl5_meaningful_and_response_at_10_points() -> None:
    assert row(PCL5, 50, 40).clinically_meaningful is True
    assert row(PCL5, 50, 40).response is True
    assert row(PCL5, 50, 41).clinically_meaningful is False
    assert row(PCL5, 50, 41).response is False


def test_pcl5_remission_needs_28_or_below_and_reliable_change() -> None:
    assert row(PCL5, 50, 28).remission is True
    assert row(PCL5, 50, 29).remission is False
    assert row(PCL5, 40, 28).remission is False  # crossed 28 but only 12 points: not reliable
    assert row(PCL5, 25, 10).remission is None  # never above the cut-off: not applicable


def test_pcl5_provisional_diagnosis_at_33() -> None:
    r = row(PCL5, 33, 32)
    assert (r.diagnosis_at_baseline, r.diagnosis_at_endpoint) == (True, False)


def test_caps5_thresholds() -> None:
    assert row(CAPS5, 40, 28).reliable_change == "improved"  # 12 points
    assert row(CAPS5, 40, 29).reliable_change == "no reliable change"
    assert row(CAPS5, 40, 30).response is True  # MAPP: >= 10-point decrease
    assert row(CAPS5, 40, 31).response is False
    assert row(CAPS5, 40, 8).remission is True
    assert row(CAPS5, 40, 9).remission is False
    assert row(CAPS5, 40, 30).diagnosis_at_baseline is None  # no total-score cut-off shipped


def test_phq9_thresholds() -> None:
    assert row(PHQ9, 20, 14).reliable_change == "improved"  # 6 points (IAPT)
    assert row(PHQ9, 20, 15).reliable_change == "no reliable change"
    assert row(PHQ9, 20, 10).response is True  # 50% reduction
    assert row(PHQ9, 20, 11).response is False
    assert row(PHQ9, 20, 4).remission is True  # below 5
    assert row(PHQ9, 20, 5).remission is False
    assert row(PHQ9, 20, 15).clinically_meaningful is True  # change.meaningful 5
    assert row(PHQ9, 20, 16).clinically_meaningful is False


def test_gad7_has_reliable_change_only() -> None:
    r = row(GAD7, 15, 11)
    assert r.reliable_change == "improved"  # 4 points (IAPT)
    assert (r.response, r.remission) == (None, None)
    assert row(GAD7, 15, 12).reliable_change == "no reliable change"


@pytest.mark.parametrize(
    ("uses", "group"),
    [(0, "none"), (1, "1-9"), (9, "1-9"), (10, "10-49"), (49, "10-49"), (50, "50+")],
)
def test_party_use_groups(uses: int, group: str) -> None:
    assert party_use_group(uses) == group


def test_jacobson_truax_threshold_from_sd_and_reliability() -> None:
    from holdspace.measures.definitions import ReliableChange

    # 1.96 * 12.4 * sqrt(2 * (1 - 0.82)) = 1.96 * 12.4 * 0.6 = 14.58 (outcomes.md B).
    rule = ReliableChange(sd=12.4, reliability=0.82, source="test")
    assert rule.threshold == pytest.approx(14.58, abs=0.01)
    with pytest.raises(ValueError, match="either"):
        ReliableChange(points=15, sd=12.4, reliability=0.82, source="test")


def test_the_collector_is_paused_only_inside_and_never_switched_on_by_it():
    import gc

    from holdspace.outcomes.selectors import collector_paused

    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # it was off before: left off
    finally:
        gc.enable()


def test_a_row_packed_for_the_cache_comes_back_the_same() -> None:
    import copy
    import dataclasses
    import pickle

    from holdspace.outcomes.rows import ClientRow, pack, unpack

    full = ClientRow(
        code="A1", baseline=50.0, endpoint=20.0, change=-30.0,
        baseline_on=dt.date(2026, 1, 5), endpoint_on=dt.date(2026, 5, 11),
        baseline_source="baseline_timepoint", endpoint_source="protocol_endpoint",
        baseline_band="severe", reliable_change="improved", clinically_meaningful=True,
        response=True, remission=True, diagnosis_at_baseline=True, diagnosis_at_endpoint=False,
        prior_party_uses=12, group="10-49", template="Phase 3", attributes={"sex": "female"},
        follow_ups={"follow_up_6m": 18.0},
        adverse_events={"all": 3, "pleasant": 1, "abuse_potential": 1, "serious": 0},
    )  # fmt: skip
    bare = ClientRow(
        code="B2",
        baseline=40.0,
        adverse_events=dict.fromkeys(("all", "pleasant", "abuse_potential", "serious"), 0),
    )
    # Dates travel as ordinals and the dicts as tuples (None when empty): both come back.
    packed = pack([full, bare])
    assert packed[0][4] == dt.date(2026, 1, 5).toordinal() and packed[1][18:] == (None,) * 3
    assert [dataclasses.asdict(r) for r in unpack(packed)] == [
        dataclasses.asdict(full),
        dataclasses.asdict(bare),
    ]
    # Unpacked rows read their fields when asked (rows.PackedRow) and are ClientRows in every
    # other way: equal to the rows they were packed from (either side of ==), not to another,
    # each with dicts and a score list of its own that can be changed and set.
    again = unpack(packed)
    assert again == [full, bare] and [full, bare] == again and again[0] != again[1]
    assert all(isinstance(r, ClientRow) for r in again)
    first, second = again
    first.scores.append((dt.date(2026, 1, 5), 50.0, "baseline"))
    first.follow_ups["follow_up_12m"] = 17.0
    second.baseline = 41.0
    assert first.scores == [(dt.date(2026, 1, 5), 50.0, "baseline")] and second.scores == []
    assert first.follow_ups == {"follow_up_6m": 18.0, "follow_up_12m": 17.0}
    assert second.baseline == 41.0 and unpack(packed)[1].baseline == 40.0
    assert first.baseline_on == dt.date(2026, 1, 5) and first.adverse_events == full.adverse_events
    assert pickle.loads(pickle.dumps(first)) == first  # noqa: S301  (our own bytes)
    assert copy.copy(second) == second and copy.deepcopy(first) == first


def test_the_summary_of_the_packed_rows_is_the_summary_of_the_rows() -> None:
    # A full rebuild summarises the tuples the cache keeps (summary.columns_of_packed), the
    # API returns ClientRows: the same numbers, every statistic and count, by group.
    from holdspace.outcomes.rows import Categoriser, ClientRow, pack
    from holdspace.outcomes.summary import summarise

    rows = []
    categorised = Categoriser(PCL5)
    for i, (baseline, endpoint, group) in enumerate(
        [(50.0, 20.0, "none"), (45.0, 44.0, "none"), (60.0, 70.0, "1-9"), (38.0, None, "1-9"),
         (55.0, 30.0, "1-9"), (41.0, 12.0, "none"), (62.0, 35.0, "10-49")]
    ):  # fmt: skip
        row = ClientRow(
            code=f"C{i}",
            baseline=baseline,
            endpoint=endpoint,
            change=endpoint - baseline if endpoint is not None else None,
            group=group,
            adverse_events={"all": i % 3, "pleasant": i % 2, "abuse_potential": 0, "serious": 0},
        )
        (
            row.reliable_change,
            row.clinically_meaningful,
            row.response,
            row.remission,
            row.diagnosis_at_baseline,
            row.diagnosis_at_endpoint,
        ) = categorised(baseline, endpoint)
        rows.append(row)
    for group_by in ("prior_party_use", ""):
        if not group_by:
            for row in rows:
                row.group = "all"
        of_rows = summarise(rows, instrument="PCL-5", group_by=group_by, with_model=False)
        of_packed = summarise(pack(rows), instrument="PCL-5", group_by=group_by, with_model=False)
        assert of_packed == of_rows
        assert sum(g["adverse_events"]["all"] for g in of_rows["groups"]) == 6
        assert [g["n"] for g in of_rows["groups"]] == ([3, 2, 1] if group_by else [6])


def test_categories_are_remembered_per_baseline_and_endpoint() -> None:
    from holdspace.outcomes.rows import Categoriser, ClientRow, categorise

    categorised = Categoriser(PCL5)
    for baseline, endpoint in ((50.0, 20.0), (50.0, 20.0), (45.0, None), (30.0, 45.0)):
        row = ClientRow(code="X", baseline=baseline, endpoint=endpoint)
        categorise(row, PCL5)
        expected = (
            row.reliable_change,
            row.clinically_meaningful,
            row.response,
            row.remission,
            row.diagnosis_at_baseline,
            row.diagnosis_at_endpoint,
        )
        assert categorised(baseline, endpoint) == expected
    assert len(categorised.seen) == 3
