"""`holdspace validate`: installation checks and a report a reviewer can read."""

from __future__ import annotations

import os
import time

import pytest
from django.core.management import CommandError, call_command

from holdspace import regulatory
from holdspace.regulatory import validate

pytestmark = pytest.mark.django_db


@pytest.mark.requirement("REQ-REG-006")
def test_a_development_install_gets_a_readable_report_that_says_fail(tmp_path, settings):
    settings.HOLDSPACE_BACKUP_DIR = ""
    with pytest.raises(CommandError, match="validation FAIL"):
        call_command("validate", "--no-oq", "--out", str(tmp_path))
    [report] = tmp_path.glob("validation-*.md")
    text = report.read_text()
    assert "Result: **FAIL** (not ready for clinical use" in text
    assert "| Migrations applied | PASS |" in text
    assert "| Versions against the lock | PASS |" in text
    assert "| Backup | FAIL | HOLDSPACE_BACKUP_DIR is not set" in text
    assert "claims no compliance" in text and "| Reviewed by |" in text
    assert report.with_suffix(".sha256").read_text().split()[1] == report.name
    assert "phq9.item9" in (tmp_path / "pq-template.md").read_text()


@pytest.mark.requirement("REQ-REG-006")
def test_a_package_installed_at_another_version_than_locked_fails(tmp_path):
    lock = (regulatory.REPO_DIR / "requirements.lock").read_text()
    broken = tmp_path / "requirements.lock"
    broken.write_text(lock.replace("\nsqlparse==", "\nsqlparse==0.0.1\n# was "))
    versions, _files = validate.check_packages(broken, regulatory.REPO_DIR / "pyproject.toml")
    assert versions.status == validate.FAIL
    assert "sqlparse" in versions.detail and "(lock 0.0.1)" in versions.detail


@pytest.mark.requirement("REQ-REG-006")
def test_a_backup_must_be_recent(tmp_path, settings):
    settings.HOLDSPACE_BACKUP_DIR = str(tmp_path)
    assert validate.check_backup().status == validate.FAIL  # empty folder
    dump = tmp_path / "holdspace-2026-11-30.sql.gz"
    dump.write_bytes(b"x")
    assert validate.check_backup().status == validate.PASS
    old = time.time() - 30 * 3600
    os.utime(dump, (old, old))
    assert validate.check_backup().status == validate.FAIL


def test_the_operational_run_executes_the_tagged_tests_on_this_installation():
    cases, summary = validate.run_oq(
        regulatory.REPO_DIR / "tests", "test_every_package_is_listed_in_the_module_map"
    )
    assert cases is not None, summary
    assert [(c.test.split("::")[1], c.outcome) for c in cases] == [
        ("test_every_package_is_listed_in_the_module_map", "passed")
    ]
    assert "1 passed" in summary


def test_parametrised_cases_are_one_row_and_a_failed_oq_fails_the_report():
    from django.utils import timezone

    from holdspace.regulatory.trace import Case

    report = validate.Report(started=timezone.now(), oq_detail="2 run")
    report.oq = [Case("tests/x.py::test_a", "passed", {"REQ-A"}),
                 Case("tests/x.py::test_a", "failed", {"REQ-A"})]  # fmt: skip
    text = validate.to_markdown(report, "0.1.0")
    assert "| `tests/x.py::test_a` | REQ-A | failed (2 cases) |" in text
    assert report.status == validate.FAIL
