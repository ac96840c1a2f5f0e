"""core.links.RowLinks: one reverse() for many rows' links, each link what reverse() gives."""

from __future__ import annotations

import pytest
from django.urls import NoReverseMatch, reverse

from holdspace.core import links
from holdspace.core.links import RowLinks

ODD = ["HS-AB12CD", "hs_1", "a b", "ø", "x/y", "%41", "HSMARK0X", "9071035810", "", "1.5"]


@pytest.mark.parametrize("arg", ODD)
def test_a_str_argument_gives_what_reverse_gives(arg):
    expected = _reverse_or_error("screening:detail", [arg])
    assert _call_or_error(RowLinks("screening:detail"), [arg]) == expected


@pytest.mark.parametrize("code", ODD)
@pytest.mark.parametrize("pk", [7, "0012", "12a", "-3", "", "x y"])
def test_str_and_int_arguments_give_what_reverse_gives(code, pk):
    expected = _reverse_or_error("courses:course_detail", [code, pk])
    assert _call_or_error(RowLinks("courses:course_detail", 2), [code, pk]) == expected


def test_plain_rows_cost_one_reverse(monkeypatch):
    calls = []
    real = links.reverse
    monkeypatch.setattr(links, "reverse", lambda *a, **k: calls.append(a) or real(*a, **k))
    make = RowLinks("courses:course_detail", 2)
    made = [make(f"HS-{n:06d}", n) for n in range(100)]
    assert made[5] == reverse("courses:course_detail", args=["HS-000005", 5])
    assert len(calls) <= 2  # the route made with markers (a word, then digits for the int)


def _reverse_or_error(name: str, args: list[object]) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return "NoReverseMatch"


def _call_or_error(make: RowLinks, args: list[object]) -> str:
    try:
        return make(*args)  # type: ignore[arg-type]
    except NoReverseMatch:
        return "NoReverseMatch"
