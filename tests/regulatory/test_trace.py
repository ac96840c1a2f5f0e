"""`make trace`: the matrix holds, and each broken counterpart makes it fail."""

from __future__ import annotations

import pytest

from holdspace import regulatory
from holdspace.regulatory import trace

REQUIREMENTS = {
    "safety_tests": ["tests/sessions/*::test_a_reading_beyond_*"],
    "requirements": {
        "REQ-A": {"text": "Alerts.", "safety": True, "hazards": ["HAZ-1"]},
        "REQ-B": {
            "text": "Later.",
            "safety": True,
            "hazards": ["HAZ-1"],
            "verification": "pending",
        },
    },
}


def _junit(tmp_path, *cases: str):
    path = tmp_path / "run.xml"
    path.write_text(f"<testsuites><testsuite>{''.join(cases)}</testsuite></testsuites>")
    return trace.read_junit(path)


def _case(name: str, rid: str = "", body: str = "") -> str:
    props = f'<properties><property name="requirement" value="{rid}"/></properties>' if rid else ""
    return f'<testcase file="tests/sessions/test_x.py" name="{name}">{props}{body}</testcase>'


def test_a_verified_requirement_and_a_pending_one_pass(tmp_path):
    cases = _junit(tmp_path, _case("test_a_reading_beyond_act[1]", "REQ-A"))
    result = trace.build(REQUIREMENTS, {"SQLite": cases, "PostgreSQL": None}, {"HAZ-1"})
    assert result.errors == []
    row = result.rows[0]
    assert row.tests == {
        "tests/sessions/test_x.py::test_a_reading_beyond_act": {
            "SQLite": "passed",
            "PostgreSQL": "not run",
        }
    }
    markdown = trace.to_markdown(result)
    assert "| REQ-B | yes | HAZ-1 | verification pending |" in markdown


@pytest.mark.requirement("REQ-REG-002")
def test_a_requirement_without_a_test_fails(tmp_path):
    result = trace.build(REQUIREMENTS, {"SQLite": _junit(tmp_path, _case("test_other"))})
    assert "REQ-A: no test verifies it" in result.errors


@pytest.mark.requirement("REQ-REG-002")
def test_a_safety_test_without_a_requirement_fails(tmp_path):
    cases = _junit(tmp_path, _case("test_a_reading_beyond_watch"), _case("t", "REQ-A"))
    result = trace.build(REQUIREMENTS, {"SQLite": cases})
    assert result.errors == [
        "tests/sessions/test_x.py::test_a_reading_beyond_watch: safety test names no requirement"
    ]


@pytest.mark.requirement("REQ-REG-002")
def test_a_failed_test_an_unknown_id_and_an_unknown_hazard_fail(tmp_path):
    cases = _junit(
        tmp_path,
        _case("test_a[1]", "REQ-A"),
        _case("test_a[2]", "REQ-A", '<failure message="x"/>'),
        _case("test_b", "REQ-NOPE"),
    )
    result = trace.build(REQUIREMENTS, {"SQLite": cases}, hazard_ids=set())
    assert result.errors == [
        "tests/sessions/test_x.py::test_b: names unknown requirement REQ-NOPE",
        "REQ-A: unknown hazard HAZ-1",
        "REQ-A: a test that verifies it failed",
        "REQ-B: unknown hazard HAZ-1",
    ]


def test_every_requirement_is_well_formed():
    data = regulatory.load("requirements.yaml")
    for rid, spec in data["requirements"].items():
        assert rid.startswith("REQ-") and spec["text"], rid
        assert not spec.get("safety") or spec.get("hazards"), rid
