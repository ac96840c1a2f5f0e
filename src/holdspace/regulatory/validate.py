"""Site validation (`holdspace validate`): installation checks (IQ) and an operational run of
the requirement-tagged tests (OQ) against this installation, written as a report a reviewer
can read and sign. Performance qualification (PQ) of the site's own thresholds and protocols
is the site's: a template is written beside the report.

Modelled on what REDCap and OpenClinica sites do (docs/regulatory.md); it proves nothing by
itself and claims no compliance.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import checks as django_checks
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from . import REPO_DIR, content, soup, trace

PASS, WARN, FAIL = "PASS", "WARN", "FAIL"
BACKUP_MAX_AGE_HOURS = 26  # a daily backup, with two hours' slack


@dataclass
class Check:
    name: str
    status: str
    detail: str


@dataclass
class Report:
    started: datetime
    checks: list[Check] = field(default_factory=list)
    oq: list[trace.Case] | None = None
    oq_detail: str = ""

    @property
    def status(self) -> str:
        statuses = [c.status for c in self.checks]
        if self.oq is not None and any(c.outcome == trace.FAILED for c in self.oq):
            statuses.append(FAIL)
        return FAIL if FAIL in statuses else WARN if WARN in statuses else PASS


def check_python() -> Check:
    version = platform.python_version()
    ok = version.startswith("3.11.")
    return Check("Python", PASS if ok else FAIL, f"{version} ({sys.executable}); 3.11 expected")


def _record_mismatches(dist: importlib.metadata.Distribution) -> list[str]:
    """Installed files whose SHA-256 no longer matches the wheel's RECORD (changed since)."""
    bad = []
    for entry in dist.files or []:
        if entry.hash is None or entry.hash.mode != "sha256":
            continue
        path = Path(str(dist.locate_file(entry)))
        if not path.exists():
            bad.append(f"{entry} missing")
            continue
        digest = base64.urlsafe_b64encode(hashlib.sha256(path.read_bytes()).digest()).rstrip(b"=")
        if digest.decode() != entry.hash.value:
            bad.append(str(entry))
    return bad


def check_packages(lock: Path, pyproject: Path) -> list[Check]:
    """Every runtime package of the lock is installed at the locked version, and its installed
    files match the hashes pip recorded at install (pip enforced the lock's hashes then)."""
    pins = soup.parse_lock(lock.read_text())
    runtime = soup.runtime_closure(pins, soup.direct_runtime(pyproject))
    wrong, changed = [], []
    for name in sorted(runtime):
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            wrong.append(f"{name} not installed (lock {pins[name].version})")
            continue
        if dist.version != pins[name].version:
            wrong.append(f"{name} {dist.version} (lock {pins[name].version})")
        changed += [f"{name}: {f}" for f in _record_mismatches(dist)]
    lock_hash = hashlib.sha256(lock.read_bytes()).hexdigest()
    return [
        Check(
            "Versions against the lock",
            FAIL if wrong else PASS,
            "; ".join(wrong)
            or f"{len(runtime)} runtime packages as locked (lock sha256 {lock_hash})",
        ),
        Check(
            "Installed files against their recorded hashes",
            FAIL if changed else PASS,
            "; ".join(changed[:10]) or "no installed file changed since installation",
        ),
    ]


def check_migrations() -> Check:
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    pending = [f"{m.app_label}.{m.name}" for m, _backwards in plan]
    return Check(
        "Migrations applied",
        FAIL if pending else PASS,
        ("not applied: " + ", ".join(pending)) if pending else f"database {connection.vendor}",
    )


def check_settings() -> Check:
    found = django_checks.run_checks(include_deployment_checks=settings.PRODUCTION)
    serious = [m for m in found if m.level >= django_checks.ERROR]
    warnings = [m for m in found if django_checks.WARNING <= m.level < django_checks.ERROR]
    env = f"HOLDSPACE_ENV={settings.HOLDSPACE_ENV}, DEBUG={settings.DEBUG}"
    if serious:
        return Check(
            "Settings (system checks)", FAIL, env + "; " + "; ".join(str(m) for m in serious)
        )
    if not settings.PRODUCTION:
        return Check("Settings (system checks)", FAIL, env + ": not a production configuration")
    detail = env + (("; " + "; ".join(m.id or "" for m in warnings)) if warnings else "")
    return Check("Settings (system checks)", WARN if warnings else PASS, detail)


def check_tls() -> Check:
    needed = {
        "SECURE_SSL_REDIRECT": getattr(settings, "SECURE_SSL_REDIRECT", False),
        "SESSION_COOKIE_SECURE": getattr(settings, "SESSION_COOKIE_SECURE", False),
        "CSRF_COOKIE_SECURE": getattr(settings, "CSRF_COOKIE_SECURE", False),
        "SECURE_HSTS_SECONDS": getattr(settings, "SECURE_HSTS_SECONDS", 0),
    }
    missing = [name for name, value in needed.items() if not value]
    db: dict[str, Any] = dict(settings.DATABASES["default"])
    remote_db = db.get("HOST") not in (None, "", "localhost", "127.0.0.1", "::1")
    sslmode = (db.get("OPTIONS") or {}).get("sslmode", "")
    notes = []
    if remote_db and sslmode not in ("require", "verify-ca", "verify-full"):
        notes.append(f"database at {db.get('HOST')} without sslmode=require or stronger")
    if missing:
        return Check("TLS", FAIL, "off: " + ", ".join(missing) + "; ".join(["", *notes]))
    return Check("TLS", WARN if notes else PASS, "; ".join(notes) or "HTTPS only, HSTS on")


def check_backup(now: float | None = None) -> Check:
    where = settings.HOLDSPACE_BACKUP_DIR
    if not where:
        return Check("Backup", FAIL, "HOLDSPACE_BACKUP_DIR is not set: no backup is configured")
    path = Path(where)
    files = [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else []
    if not files:
        return Check("Backup", FAIL, f"{where}: no backup file found")
    newest = max(files, key=lambda p: p.stat().st_mtime)
    age_hours = ((now or time.time()) - newest.stat().st_mtime) / 3600
    status = PASS if age_hours <= BACKUP_MAX_AGE_HOURS else FAIL
    return Check(
        "Backup",
        status,
        f"newest {newest.name}, {age_hours:.1f} h old (at most {BACKUP_MAX_AGE_HOURS})",
    )


def check_clock() -> Check:
    if not settings.USE_TZ:
        return Check("Clock", FAIL, "USE_TZ is off: times would be naive")
    with connection.cursor() as cursor:
        cursor.execute("SELECT CURRENT_TIMESTAMP")
        db_now = cursor.fetchone()[0]
    if isinstance(db_now, str):  # SQLite answers text in UTC
        db_now = datetime.fromisoformat(db_now).replace(tzinfo=UTC)
    elif timezone.is_naive(db_now):
        db_now = db_now.replace(tzinfo=UTC)
    skew = abs((timezone.now() - db_now).total_seconds())
    synced = _ntp_synchronised()
    detail = f"application and database clocks {skew:.1f} s apart; NTP synchronised: {synced}"
    if skew > 5:
        return Check("Clock", FAIL, detail)
    return Check("Clock", PASS if synced == "yes" else WARN, detail)


def _ntp_synchronised() -> str:
    try:
        done = subprocess.run(
            ["/usr/bin/timedatectl", "show", "-p", "NTPSynchronized", "--value"],
            capture_output=True, text=True, timeout=5, check=False,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return "unknown (timedatectl not available)"
    answer = done.stdout.strip()
    return answer if answer in ("yes", "no") else "unknown"


def check_audit_chain() -> Check:
    from holdspace.audit.services import audit_chain_verify

    try:
        chain = audit_chain_verify()
    except DatabaseError as error:  # e.g. not migrated yet: reported, not a crash
        return Check("Audit log hash chain", FAIL, f"cannot read the audit log: {error}")
    if chain.ok:
        return Check("Audit log hash chain", PASS, f"{chain.checked} rows verified")
    return Check("Audit log hash chain", FAIL, chain.reason)


def run_oq(tests_dir: Path, select: str = "") -> tuple[list[trace.Case] | None, str]:
    """The requirement-tagged tests (browser tests left out) on this installation's Python and
    packages, against a throw-away SQLite database (never the site's own)."""
    if not tests_dir.is_dir():
        return None, f"{tests_dir} not found: run from a source checkout of this release"
    with tempfile.TemporaryDirectory() as tmp:
        junit = Path(tmp) / "oq.xml"
        args = [sys.executable, "-m", "pytest", str(tests_dir), "-q", "-p", "no:randomly",
                "-p", "no:cacheprovider", "-m", "requirement and not browser",
                f"--junitxml={junit}"]  # fmt: skip
        if select:
            args += ["-k", select]
        env = dict(os.environ, HOLDSPACE_ENV="test",
                   DATABASE_URL=f"sqlite:///{Path(tmp) / 'oq.sqlite3'}")  # fmt: skip
        done = subprocess.run(  # noqa: S603 - our own interpreter and test suite
            args, cwd=tests_dir.parent, env=env, capture_output=True, text=True, check=False
        )
        if not junit.exists():
            return None, "pytest did not run: " + (done.stderr.strip()[-300:] or done.stdout[-300:])
        cases = trace.read_junit(junit)
    summary = (done.stdout.strip().splitlines() or [""])[-1]
    return cases, summary


def run(*, oq: bool = True, oq_select: str = "") -> Report:
    report = Report(started=timezone.now())
    report.checks.append(check_python())
    report.checks += check_packages(REPO_DIR / "requirements.lock", REPO_DIR / "pyproject.toml")
    for step in (check_migrations, check_settings, check_tls, check_backup, check_clock,
                 check_audit_chain):  # fmt: skip
        report.checks.append(step())
    if oq:
        report.oq, report.oq_detail = run_oq(REPO_DIR / "tests", oq_select)
        if report.oq is None:
            report.checks.append(Check("Operational qualification", FAIL, report.oq_detail))
    else:
        report.oq_detail = "not run (--no-oq)"
    return report


def to_markdown(report: Report, version: str) -> str:
    out = [
        "# Holdspace site validation report",
        "",
        f"- Result: **{report.status}**"
        + (
            ""
            if report.status == PASS
            else " (not ready for clinical use until every FAIL is resolved)"
        ),
        f"- Run at: {report.started.isoformat(timespec='seconds')} on {platform.node()}",
        f"- Holdspace: {version}; database: {connection.vendor}",
        "",
        "This report checks the installation (IQ) and runs the requirement-tagged tests on it",
        "(OQ). It does not qualify the site's own thresholds, protocols and procedures (PQ: see",
        "pq-template.md beside it). Holdspace is not CE-marked and claims no compliance.",
        "",
        "## Installation qualification",
        "",
        "| check | result | detail |",
        "| --- | --- | --- |",
    ]
    out += [f"| {c.name} | {c.status} | {c.detail.replace('|', '/')} |" for c in report.checks]
    out += ["", "## Operational qualification", "", report.oq_detail, ""]
    if report.oq:
        grouped: dict[str, tuple[set[str], list[str]]] = {}
        for case in report.oq:
            requirements, outcomes = grouped.setdefault(case.test, (set(), []))
            requirements.update(case.requirements)
            outcomes.append(case.outcome)
        out += ["| test | requirement | result |", "| --- | --- | --- |"]
        for test, (requirements, outcomes) in sorted(grouped.items()):
            cases = f" ({len(outcomes)} cases)" if len(outcomes) > 1 else ""
            out.append(
                f"| `{test}` | {', '.join(sorted(requirements))} | {trace.merge(outcomes)}{cases} |"
            )
    out += [
        "",
        "## Review and signature",
        "",
        "The SHA-256 of this report (everything above this section) is printed by the command",
        "and written to the .sha256 file beside it; record it with the signature.",
        "",
        "| | name | role | date | signature |",
        "| --- | --- | --- | --- | --- |",
        "| Performed by | | | | |",
        "| Reviewed by | | | | |",
        "| Approved for use | | | | |",
    ]
    return "\n".join(out) + "\n"


def pq_template() -> str:
    """The thresholds, settings and safety rules a site confirms in its own PQ."""
    rows = [
        r
        for r in content.register(REPO_DIR / "src" / "holdspace" / "data")
        if r.status.startswith("UNCONFIRMED") or "threshold" in r.item or "safety" in r.item
    ]
    out = [
        "# Performance qualification template (the site's own)",
        "",
        "For each value the site uses: the value configured at the site, the scenario run with",
        "the clinical team (e.g. a reading just above and just below it in a training session),",
        "what happened, and who confirmed it. Generated from the clinical content register.",
        "",
        "| data file | item | shipped value | status | site value | scenario and result "
        "| confirmed by, date |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    out += [f"| {r.file} | {r.item} | {r.value} | {r.status} | | | |" for r in rows]
    return "\n".join(out) + "\n"
