"""The concealed allocation list: balanced blocks within each stratum, reproducible from its
seed, strata independent of each other; an uploaded list is checked line by line."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from holdspace.studies import allocation

ARMS = st.lists(st.integers(min_value=1, max_value=3), min_size=2, max_size=3).map(
    lambda ratios: [(f"arm{i}", r) for i, r in enumerate(ratios)]
)
STRATA = st.lists(st.text("abcdefgh|", min_size=1, max_size=8), min_size=1, max_size=4, unique=True)


def _design(arms: list[tuple[str, int]], multiples: list[int]) -> list[int]:
    total = sum(r for _k, r in arms)
    return sorted({total * m for m in multiples})


@settings(max_examples=60, deadline=None)
@given(
    arms=ARMS,
    multiples=st.lists(st.integers(min_value=1, max_value=3), min_size=1, max_size=3),
    strata=STRATA,
    per_stratum=st.integers(min_value=1, max_value=40),
    seed=st.text(min_size=1, max_size=20),
)
def test_every_block_of_every_stratum_is_balanced(arms, multiples, strata, per_stratum, seed):
    sizes = _design(arms, multiples)
    lines = allocation.generate(
        seed=seed, arms=arms, strata=strata, block_sizes=sizes, per_stratum=per_stratum
    )
    total = sum(r for _k, r in arms)
    for stratum in strata:
        mine = [line for line in lines if line.stratum == stratum]
        assert len(mine) >= per_stratum
        assert [line.position for line in mine] == list(range(1, len(mine) + 1))
        for block in {line.block for line in mine}:
            counts = Counter(line.arm for line in mine if line.block == block)
            size = sum(counts.values())
            assert size in sizes
            assert counts == Counter({key: size * ratio // total for key, ratio in arms})


@settings(max_examples=40, deadline=None)
@given(arms=ARMS, strata=STRATA, seed=st.text(min_size=1, max_size=20))
def test_the_same_seed_makes_the_same_list_and_strata_do_not_disturb_each_other(arms, strata, seed):
    sizes = _design(arms, [1, 2])
    first = allocation.generate(
        seed=seed, arms=arms, strata=strata, block_sizes=sizes, per_stratum=12
    )
    again = allocation.generate(
        seed=seed, arms=arms, strata=strata, block_sizes=sizes, per_stratum=12
    )
    assert first == again
    # Adding a stratum leaves the others' lists as they were.
    more = allocation.generate(
        seed=seed, arms=arms, strata=[*strata, "added"], block_sizes=sizes, per_stratum=12
    )
    assert [line for line in more if line.stratum != "added"] == first


def test_a_different_seed_makes_a_different_list():
    arms = [("a", 1), ("b", 1)]
    lists = {
        tuple(
            line.arm
            for line in allocation.generate(
                seed=str(seed), arms=arms, strata=["s"], block_sizes=[4], per_stratum=40
            )
        )
        for seed in range(5)
    }
    assert len(lists) == 5


@pytest.mark.parametrize(
    ("arms", "sizes", "problem"),
    [
        ([("a", 1)], [2], "two arms"),
        ([("a", 1), ("b", 2)], [4], "multiple"),
        ([("a", 1), ("b", 1)], [], "block size"),
    ],
)
def test_a_design_that_cannot_balance_is_refused(arms, sizes, problem):
    with pytest.raises(ValueError, match=problem):
        allocation.generate(seed="x", arms=arms, strata=["s"], block_sizes=sizes, per_stratum=4)


def test_an_uploaded_list_is_read_in_order_and_checked():
    lines = allocation.parse_upload("stratum,block,arm\ns1,1,a\ns1,1,b\ns2,1,b\n", {"a", "b"})
    assert [(l.stratum, l.position, l.arm) for l in lines] == [  # noqa: E741
        ("s1", 1, "a"),
        ("s1", 2, "b"),
        ("s2", 1, "b"),
    ]
    with pytest.raises(ValueError, match="Line 2"):
        allocation.parse_upload("stratum,block,arm\ns1,1,c\n", {"a", "b"})
    with pytest.raises(ValueError, match="columns"):
        allocation.parse_upload("stratum,arm\ns1,a\n", {"a", "b"})
