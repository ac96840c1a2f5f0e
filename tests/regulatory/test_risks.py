"""The risk register: every control cites a known requirement; pending ones say so."""

from __future__ import annotations

import copy

import pytest

from holdspace import regulatory
from holdspace.regulatory import risks, trace


def _ids():
    return set(regulatory.load("requirements.yaml")["requirements"])


@pytest.mark.requirement("REQ-REG-002")
def test_the_shipped_register_cites_only_known_requirements():
    assert risks.check(regulatory.load("risks.yaml"), _ids()) == []


@pytest.mark.requirement("REQ-REG-002")
def test_a_control_citing_an_unknown_requirement_fails():
    register = copy.deepcopy(regulatory.load("risks.yaml"))
    register["hazards"]["HAZ-SES-01"]["controls"].append({"requirement": "REQ-GONE"})
    del register["hazards"]["HAZ-SCR-01"]["residual"]
    assert risks.check(register, _ids()) == [
        "HAZ-SES-01: control cites unknown REQ-GONE",
        "HAZ-SCR-01: missing residual",
    ]


def test_the_register_is_seeded_with_the_defects_found_in_this_project():
    found = {hid for hid, h in regulatory.load("risks.yaml")["hazards"].items() if h.get("found")}
    assert found == {"HAZ-SES-02", "HAZ-SCR-02", "HAZ-SCR-03", "HAZ-MEA-01", "HAZ-PRV-01"}


def test_a_pending_requirement_renders_as_verification_pending():
    requirements = regulatory.load("requirements.yaml")
    result = trace.build(
        requirements, {"SQLite": []}, set(regulatory.load("risks.yaml")["hazards"])
    )
    text = risks.to_markdown(regulatory.load("risks.yaml"), result)
    assert "| REQ-SCR-007 | inherent safety by design | verification pending |" in text
