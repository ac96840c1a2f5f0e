"""Property tests over every scorable shipped instrument."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from holdspace.measures import library
from holdspace.measures.definitions import Definition, Item
from holdspace.measures.scoring import score, score_bounds

SCORABLE = sorted(
    code
    for code, d in library.shipped().items()
    if d.usable and not d.score_entry_only and d.scoring.method != "none"
)


def _answer(item: Item) -> st.SearchStrategy[object]:
    if item.type == "choice":
        return st.sampled_from([o.value for o in item.options])
    if item.type == "yes-no":
        return st.booleans()
    low, high = item.allowed_range()
    return st.integers(int(low), int(high))


def _answers(definition: Definition) -> st.SearchStrategy[dict[str, object]]:
    return st.fixed_dictionaries({item.link_id: _answer(item) for item in definition.items})


@pytest.mark.parametrize("code", SCORABLE)
def test_totals_stay_within_the_instruments_range(code):
    definition = library.shipped()[code]
    low, high = score_bounds(definition)  # type: ignore[misc]

    @settings(max_examples=60, deadline=None)
    @given(_answers(definition))
    def check(answers: dict[str, object]) -> None:
        total = score(definition, answers).total
        assert total is not None and low <= total <= high

    check()


SUMS = [code for code in SCORABLE if library.shipped()[code].scoring.method == "sum"]


@pytest.mark.parametrize("code", SUMS)
def test_raising_one_answer_never_lowers_a_sum_score(code):
    definition = library.shipped()[code]
    raisable = [item for item in definition.items if not item.reverse and item.type != "yes-no"]
    raisable += [item for item in definition.items if item.type == "yes-no" and not item.reverse]

    @settings(max_examples=60, deadline=None)
    @given(_answers(definition), st.sampled_from(raisable), st.data())
    def check(answers: dict[str, object], item: Item, data: st.DataObject) -> None:
        before = score(definition, answers).total
        current = float(answers[item.link_id])  # type: ignore[arg-type]
        _low, high = item.allowed_range()
        higher = data.draw(
            st.sampled_from(
                [o.value for o in item.options if o.value >= current]
                if item.type == "choice"
                else [v for v in (current, high) if v >= current]
            )
        )
        if item.type == "yes-no":
            higher = bool(higher)
        after = score(definition, {**answers, item.link_id: higher}).total
        assert after >= before  # type: ignore[operator]

    check()
