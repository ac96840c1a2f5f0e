"""Every package under src/holdspace is in the module map with a device decision."""

from __future__ import annotations

import copy

import pytest

from holdspace import regulatory
from holdspace.regulatory import modules


@pytest.mark.requirement("REQ-REG-001")
def test_every_package_is_listed_in_the_module_map():
    assert modules.check(regulatory.load("modules.yaml"), regulatory.PACKAGE_DIR) == []


@pytest.mark.requirement("REQ-REG-001")
def test_an_unlisted_app_fails_the_check(tmp_path):
    for name in ("core", "newapp"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text("")
    data = {"modules": {"core": regulatory.load("modules.yaml")["modules"]["core"]}}
    assert modules.check(data, tmp_path) == ["newapp: not listed in regulatory/modules.yaml"]


@pytest.mark.requirement("REQ-REG-001")
def test_a_device_module_without_its_functions_or_grounds_fails(tmp_path):
    (tmp_path / "sessions").mkdir()
    (tmp_path / "sessions" / "__init__.py").write_text("")
    entry = copy.deepcopy(regulatory.load("modules.yaml")["modules"]["sessions"])
    del entry["device_functions"], entry["grounds"]
    errors = modules.check({"modules": {"sessions": entry}}, tmp_path)
    assert errors == [
        "sessions: a device module names its device_functions",
        "sessions: a device module gives the grounds of its classification",
    ]


def test_the_device_modules_are_the_ones_the_guidance_names():
    # Contraindication flags, vital-sign alarms and questionnaire scoring with suicidality
    # alerts are device functions (docs/regulatory.md); the rest stores and communicates.
    listed = regulatory.load("modules.yaml")["modules"]
    assert {name for name, entry in listed.items() if entry["device"]} == {
        "screening",
        "measures",
        "sessions",
    }


def test_readme_states_the_status_and_claims_no_ce_marking():
    readme = (regulatory.REPO_DIR / "README.md").read_text()
    assert "not CE-marked" in readme
    assert "manufacturer" in readme
