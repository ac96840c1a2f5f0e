"""Medication names as clinicians type them: strengths, forms and makers ignored, the
Norwegian spelling of a generic name recognised."""

from __future__ import annotations

import pytest

from holdspace.screening.medications import fold, medication_list


@pytest.mark.parametrize(
    "typed, generic",
    [
        ("cipralex 10mg", "escitalopram"),
        ("Cipralex 10 mg tabletter", "escitalopram"),
        ("Escitalopram Orion", "escitalopram"),
        ("Sertralin", "sertraline"),
        ("sertralin 50 mg", "sertraline"),
        ("Fluoksetin", "fluoxetine"),
        ("Zoloft", "sertraline"),
    ],
)
def test_a_typed_name_finds_its_drug(typed, generic):
    drug = medication_list().match(typed)
    assert drug is not None and drug.key == generic


def test_search_ignores_strength_and_folds_spelling():
    assert [d.key for d in medication_list().search("sertralin")] == ["sertraline"]
    assert "escitalopram" in [d.key for d in medication_list().search("cipralex 10mg")]


def test_an_unknown_name_still_finds_nothing():
    assert medication_list().match("Notarealdrug 10 mg") is None


def test_folding_keeps_different_drugs_apart():
    assert fold("citalopram") != fold("escitalopram")
    assert fold("sertraline") == fold("sertralin")
