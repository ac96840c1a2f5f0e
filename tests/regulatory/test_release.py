"""`make release-record`: refuses while the evidence does not hold; otherwise one folder."""

from __future__ import annotations

import pytest

from holdspace import regulatory
from holdspace.regulatory import release, vulns


def _junit(tmp_path, failing: str = ""):
    requirements = regulatory.load("requirements.yaml")["requirements"]
    cases = []
    for rid, spec in requirements.items():
        if spec.get("verification") == "pending":
            continue
        failure = '<failure message="x"/>' if rid == failing else ""
        cases.append(
            f'<testcase file="tests/t.py" name="test_{rid}"><properties>'
            f'<property name="requirement" value="{rid}"/></properties>{failure}</testcase>'
        )
    path = tmp_path / "sqlite.xml"
    path.write_text(f"<testsuites><testsuite>{''.join(cases)}</testsuite></testsuites>")
    return {"SQLite": path, "PostgreSQL": tmp_path / "absent.xml"}


@pytest.mark.requirement("REQ-REG-002")
def test_the_record_holds_the_evidence_and_lists_open_anomalies(tmp_path):
    folder, problems = release.build(
        tmp_path / "out", release.Inputs(_junit(tmp_path), vulns.Audit(vulns.CHECKED))
    )
    assert problems == [] and folder is not None
    names = {p.name for p in folder.iterdir()}
    assert {"record.md", "sbom.cdx.json", "trace.md", "risks.md", "soup.md", "SHA256SUMS",
            "clinical-content.md", "junit-sqlite.xml"} <= names  # fmt: skip
    record = (folder / "record.md").read_text()
    assert "requirements.lock sha256: " in record
    assert "Tests on PostgreSQL: not run" in record
    pending = [
        rid
        for rid, spec in regulatory.load("requirements.yaml")["requirements"].items()
        if spec.get("verification") == "pending"
    ]
    for rid in pending:  # open items are listed, whichever they are today
        assert f"{rid} verification pending" in record
    assert "UNCONFIRMED (medical lead sign-off at the site)" in record


@pytest.mark.requirement("REQ-REG-004")
def test_it_refuses_a_failed_test_and_an_unchecked_vulnerability_service(tmp_path):
    unchecked = vulns.Audit(vulns.NOT_CHECKED, detail="offline")
    folder, problems = release.build(
        tmp_path / "out", release.Inputs(_junit(tmp_path, failing="REQ-SES-001"), unchecked)
    )
    assert folder is None
    assert "REQ-SES-001: a test that verifies it failed" in problems
    assert any("NOT CHECKED (offline)" in p for p in problems)
    folder, problems = release.build(
        tmp_path / "out", release.Inputs(_junit(tmp_path), unchecked, allow_unchecked=True)
    )
    assert folder is not None
    assert "known-vulnerability check NOT CHECKED: offline" in (folder / "record.md").read_text()
