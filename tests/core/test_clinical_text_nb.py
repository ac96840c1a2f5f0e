"""Issue 12: the clinical text Holdspace owns reads in Norwegian when the reader's language is
Norwegian: screening rule messages and setting labels, score bands and cut-offs, protocol
names, medication generic names (Norwegian spelling) and drug classes. Every English text in
the data files has its `_nb` translation next to it, and the pages show it."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from holdspace.courses.protocols import builtin_protocols
from holdspace.measures.library import shipped
from holdspace.screening.medications import medication_list
from holdspace.screening.rules import shipped_rules

from ..conftest import signed_in


def test_every_rule_message_and_setting_label_has_its_norwegian_text():
    rules = shipped_rules()
    missing = [r.id for r in rules.rules if not r.message_nb.strip()]
    missing += [key for key, s in rules.settings.items() if not s.label_nb.strip()]
    assert not missing, missing
    with translation.override("nb"):
        assert all(r.text == r.message_nb for r in rules.rules)
    with translation.override("en"):
        assert all(r.text == r.message for r in rules.rules)


def test_every_band_and_cut_off_has_its_norwegian_text():
    missing = [
        f"{code}: {each.label}"
        for code, definition in shipped().items()
        for each in [*definition.bands, *definition.cut_offs]
        if not each.label_nb.strip()
    ]
    assert not missing, missing
    phq9 = shipped()["PHQ-9"]
    with translation.override("nb"):
        assert phq9.band_text("moderately severe") == "moderat alvorlig"


def test_every_protocol_medication_and_class_has_its_norwegian_name():
    assert all(p.name_nb for p in builtin_protocols().values())
    drugs = medication_list()
    assert [d.key for d in drugs.drugs.values() if not d.nb] == []
    assert set(drugs.class_labels) == set(drugs.class_labels_nb)
    with translation.override("nb"):
        assert drugs.drugs["sertraline"].label == "sertralin (Zoloft)"
        assert drugs.class_text("lithium") == "Litium"
        assert builtin_protocols()["mdma-at-ptsd-phase3"].label.startswith("MDMA-assistert")


@pytest.mark.parametrize("name", ["Vival", "vival 5 mg", "Sertralin", "litium"])
def test_medication_search_knows_norwegian_names(name):
    assert medication_list().match(name) is not None


def test_the_rules_page_reads_in_norwegian(clinics, lead):
    browser = signed_in(lead)
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = "nb"
    body = browser.get(reverse("screening:rules")).content.decode()
    rule = shipped_rules().rules[0]
    assert rule.message_nb in body
    assert rule.message not in body
