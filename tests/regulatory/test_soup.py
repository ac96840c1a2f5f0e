"""The SOUP list agrees with the lock; pip-audit findings need a recorded evaluation."""

from __future__ import annotations

import copy

import pytest

from holdspace import regulatory
from holdspace.regulatory import soup, vulns

LOCK = regulatory.REPO_DIR / "requirements.lock"
PYPROJECT = regulatory.REPO_DIR / "pyproject.toml"


def _pins():
    return soup.parse_lock(LOCK.read_text())


@pytest.mark.requirement("REQ-REG-003")
def test_the_soup_list_agrees_with_the_lock():
    assert soup.check(regulatory.load("soup.yaml"), _pins(), soup.direct_runtime(PYPROJECT)) == []


@pytest.mark.requirement("REQ-REG-003")
def test_a_bumped_lock_or_a_new_dependency_fails_the_check():
    listed = copy.deepcopy(regulatory.load("soup.yaml"))
    listed["python"]["django"]["version"] = "5.2.0"
    del listed["python"]["whitenoise"]
    direct = soup.direct_runtime(PYPROJECT)
    errors = soup.check(listed, _pins(), direct)
    assert errors[0] == "whitenoise: direct runtime dependency missing from soup.yaml"
    assert errors[1].startswith("django: soup.yaml reviews 5.2.0, the lock has 5.2.")
    assert len(errors) == 2


def test_the_runtime_closure_follows_the_lock_and_leaves_out_dev_tools():
    runtime = soup.runtime_closure(_pins(), soup.direct_runtime(PYPROJECT))
    assert {"django", "asgiref", "sqlparse", "psycopg-binary", "pydantic"} <= runtime
    assert not {"pytest", "mypy", "ruff", "pip-audit", "cyclonedx-bom"} & runtime


def test_the_sbom_lists_the_runtime_packages_and_the_vendored_files_with_hashes():
    pins = _pins()
    runtime = soup.runtime_closure(pins, soup.direct_runtime(PYPROJECT))
    bom = soup.sbom(regulatory.load("soup.yaml"), pins, runtime, regulatory.REPO_DIR)
    names = {c["name"]: c for c in bom["components"]}
    assert bom["bomFormat"] == "CycloneDX"
    assert names["django"]["version"] == pins["django"].version
    assert names["htmx"]["hashes"][0]["alg"] == "SHA-256"
    assert "pytest" not in names


def _report(*deps):
    return {"dependencies": list(deps)}


VULN = {"id": "GHSA-xxxx", "aliases": ["CVE-2026-1"], "fix_versions": ["5.2.20"]}


@pytest.mark.requirement("REQ-REG-004")
def test_an_unevaluated_vulnerability_fails_and_an_evaluated_one_passes():
    report = _report({"name": "django", "version": "5.2.19", "vulns": [VULN]})
    assert vulns.evaluate(report, []).status == vulns.FOUND
    evaluation = [{"package": "django", "id": "CVE-2026-1", "decision": "accepted"}]
    audit = vulns.evaluate(report, evaluation)
    assert (audit.status, audit.evaluated) == (vulns.CHECKED, ["django 5.2.19 GHSA-xxxx"])


@pytest.mark.requirement("REQ-REG-004")
def test_an_unreachable_service_is_not_checked_never_passed():
    report = _report({"name": "django", "skip_reason": "Dependency not found on PyPI"})
    audit = vulns.evaluate(report, [])
    assert audit.status == vulns.NOT_CHECKED
    assert "did not answer for 1 of 1" in audit.detail
