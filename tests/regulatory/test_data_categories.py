"""Every model declares its data category; the DPIA, record of processing and Normen map are
generated from the registry in English and Norwegian."""

from __future__ import annotations

import copy

import pytest
from django.apps import apps

from holdspace import regulatory
from holdspace.regulatory import privacy


def _labels():
    return {model._meta.label for model in apps.get_models()}


@pytest.mark.requirement("REQ-PRV-004")
def test_every_model_has_a_data_category():
    assert privacy.check(regulatory.load("data-categories.yaml"), _labels()) == []


@pytest.mark.requirement("REQ-PRV-004")
def test_an_unlisted_model_or_an_unknown_category_fails():
    registry = copy.deepcopy(regulatory.load("data-categories.yaml"))
    del registry["models"]["integration.IntegrationNote"]
    registry["models"]["screening.Medication"] = "gossip"
    assert privacy.check(registry, _labels()) == [
        "integration.IntegrationNote: no data category in data-categories.yaml",
        "screening.Medication: unknown category gossip",
    ]


def test_clinical_records_are_special_category_health_data():
    registry = regulatory.load("data-categories.yaml")
    special = {k for k, v in registry["categories"].items() if v["special_category"]}
    for label in ("medicine_sessions.VitalReading", "measures.Response", "screening.Medication"):
        assert registry["models"][label] in special, label


def test_the_dpia_and_record_of_processing_come_in_both_languages():
    registry = regulatory.load("data-categories.yaml")
    english, norwegian = privacy.dpia(registry, "en"), privacy.dpia(registry, "nb")
    assert "(c) Risks to the rights and freedoms" in english
    assert "Vurdering av personvernkonsekvenser" in norwegian
    assert (
        "`integration.IntegrationNote`" in english and "`integration.IntegrationNote`" in norwegian
    )
    assert "Helseopplysninger" in privacy.ropa(registry, "nb")


def test_the_normen_map_cites_evidence_that_exists():
    ids = set(regulatory.load("requirements.yaml")["requirements"])
    normen = regulatory.load("normen.yaml")
    assert privacy.check_normen(normen, ids, regulatory.REPO_DIR) == []
    broken = copy.deepcopy(normen)
    broken["controls"][0]["evidence"] = ["REQ-NOPE", "docs/nowhere.md"]
    assert privacy.check_normen(broken, ids, regulatory.REPO_DIR) == [
        "NOR-01: unknown requirement REQ-NOPE",
        "NOR-01: evidence docs/nowhere.md does not exist",
    ]
    assert "innsyn i logg" in privacy.normen_map(normen, "nb")
