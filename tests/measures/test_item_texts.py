"""Item wording shipped for GAD-7, WHO-5, AUDIT-C and DAST-10, checked against public copies.

EDI and CSI-4 stay structure only (wording not verified): see their files' licence notes.
"""

from __future__ import annotations

import pytest

from holdspace.measures import library

WITH_TEXT = {"GAD-7": 7, "WHO-5": 5, "AUDIT-C": 3, "DAST-10": 10}


def _definition(code: str):
    return library.shipped()[code]


@pytest.mark.parametrize(("code", "count"), sorted(WITH_TEXT.items()))
def test_every_item_has_its_text(code, count):
    definition = _definition(code)
    assert definition.licence_verdict == "text"
    assert definition.has_text
    assert sum(1 for item in definition.items if item.text) == count == len(definition.items)


@pytest.mark.parametrize(("code", "url_part"), [
    ("GAD-7", "phqscreeners"), ("WHO-5", "psykiatri-regionh.dk"),
    ("AUDIT-C", "studylib.net"), ("DAST-10", "ncada-stl.org"),
])  # fmt: skip
def test_the_wording_names_its_source(code, url_part):
    assert any(url_part in source.url + source.copy_read for source in _definition(code).sources)


@pytest.mark.parametrize("code", ["EDI", "CSI-4"])
def test_unverified_wording_stays_structure_only(code):
    definition = _definition(code)
    assert definition.licence_verdict == "structure-only"
    assert not any(item.text for item in definition.items)
    assert "verified" in definition.licence_note


def test_gad7_wording_and_labels():
    gad7 = _definition("GAD-7")
    assert gad7.items[0].text == "Feeling nervous, anxious, or on edge"
    assert gad7.items[4].text == "Being so restless that it is hard to sit still"
    assert gad7.items[6].text == "Feeling afraid, as if something awful might happen"
    labels = [option.label for option in gad7.items[0].options]
    assert labels == ["Not at all", "Several days", "More than half the days", "Nearly every day"]
    assert gad7.items[0].options[0].label != "Not at all sure"
    assert all([o.label for o in item.options] == labels for item in gad7.items)


def test_who5_wording_and_labels():
    who5 = _definition("WHO-5")
    assert who5.items[0].text == "I have felt cheerful and in good spirits"
    assert who5.items[4].text == "My daily life has been filled with things that interest me"
    assert [option.label for option in who5.items[0].options] == [
        "At no time",
        "Some of the time",
        "Less than half of the time",
        "More than half of the time",
        "Most of the time",
        "All of the time",
    ]


def test_auditc_wording_and_labels():
    audit = _definition("AUDIT-C")
    assert audit.items[0].text == "How often do you have a drink containing alcohol?"
    assert audit.items[2].text == "How often do you have six or more drinks on one occasion?"
    assert [option.label for option in audit.items[1].options] == [
        "1 or 2",
        "3 or 4",
        "5 or 6",
        "7 to 9",
        "10 or more",
    ]
    assert audit.items[2].options[-1].label == "Daily or almost daily"


def test_dast10_wording_keeps_item3_reversed():
    dast = _definition("DAST-10")
    first = "Have you used drugs other than those required for medical reasons?"
    assert dast.items[0].text == first
    item3 = dast.items[2]
    assert item3.text == "Are you always able to stop using drugs when you want to?"
    assert item3.reverse and not any(item.reverse for item in dast.items if item is not item3)
    assert all(item.type == "yes-no" for item in dast.items)
