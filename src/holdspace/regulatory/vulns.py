"""Known anomalies of the locked dependencies: pip-audit against the PyPA advisory database.

A vulnerability fails the check unless `regulatory/soup.yaml` records its evaluation. When the
vulnerability service cannot be reached (an offline build machine), the result is NOT CHECKED:
`make test` says so loudly and goes on, and `make release-record` refuses to record a release.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHECKED, FOUND, NOT_CHECKED = "checked", "unevaluated vulnerabilities", "NOT CHECKED"


@dataclass
class Audit:
    status: str
    unevaluated: list[str] = field(default_factory=list)  # "package version ID"
    evaluated: list[str] = field(default_factory=list)
    unreachable: list[str] = field(default_factory=list)  # packages the service did not answer for
    detail: str = ""


def evaluate(report: dict[str, Any], evaluations: list[dict[str, Any]]) -> Audit:
    """Sort pip-audit's JSON report into evaluated, unevaluated and unaudited packages."""
    accepted = {(e["package"], e["id"]) for e in evaluations}
    audit = Audit(CHECKED)
    for dep in report.get("dependencies", []):
        if "skip_reason" in dep:
            audit.unreachable.append(dep["name"])
            continue
        for vuln in dep.get("vulns", []):
            ids = {vuln["id"], *vuln.get("aliases", [])}
            line = f"{dep['name']} {dep['version']} {vuln['id']}"
            known = any((dep["name"], vid) in accepted for vid in ids)
            (audit.evaluated if known else audit.unevaluated).append(line)
    if audit.unevaluated:
        audit.status = FOUND
    elif audit.unreachable:
        audit.status = NOT_CHECKED
        audit.detail = (
            f"the vulnerability service did not answer for {len(audit.unreachable)} of "
            f"{len(report.get('dependencies', []))} packages (offline or a PyPI mirror)"
        )
    return audit


def run(lock: Path) -> Audit:
    """pip-audit over the hashed lock, without installing anything."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "audit.json"
        done = subprocess.run(  # noqa: S603 - fixed arguments, our own interpreter
            [sys.executable, "-m", "pip_audit", "-r", str(lock), "--require-hashes",
             "--disable-pip", "--format", "json", "--progress-spinner", "off",
             "--output", str(out)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if not out.exists():
            tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
            return Audit(NOT_CHECKED, detail=f"pip-audit could not run: {tail}")
        report: dict[str, Any] = json.loads(out.read_text())
    return report_audit(report)


def report_audit(report: dict[str, Any]) -> Audit:
    from . import load  # late: keeps this module importable without the repository files

    return evaluate(report, (load("soup.yaml") or {}).get("evaluations") or [])


def to_markdown(audit: Audit) -> str:
    out = ["# Known vulnerabilities (pip-audit)", "", f"Status: **{audit.status}**", ""]
    if audit.detail:
        out += [audit.detail, ""]
    out += [f"- unevaluated: {line}" for line in audit.unevaluated]
    out += [f"- evaluated (soup.yaml): {line}" for line in audit.evaluated]
    if audit.unreachable:
        out += ["", "Not audited: " + ", ".join(sorted(audit.unreachable))]
    return "\n".join(out) + "\n"
