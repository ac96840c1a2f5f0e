"""The release record (`make release-record`): what was released and the evidence for it,
in one folder: tag, lock hash, SBOM, test results, traceability matrix, risk register,
clinical content register and the open anomalies with their evaluation (IEC 62304 5.8)."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import REPO_DIR, content, load, risks, soup, trace, vulns


@dataclass
class Inputs:
    junit: dict[str, Path]
    audit: vulns.Audit
    allow_unchecked: bool = False


def git(*args: str) -> str:
    try:
        done = subprocess.run(  # noqa: S603 - fixed git arguments
            ["git", *args],  # noqa: S607 - git from PATH, as a developer runs it
            cwd=REPO_DIR,
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        return ""
    return done.stdout.strip()


def junit_summary(cases: list[trace.Case] | None) -> str:
    if cases is None:
        return "not run"
    counts = {
        o: sum(1 for c in cases if c.outcome == o)
        for o in (trace.PASSED, trace.FAILED, trace.SKIPPED)
    }
    return ", ".join(f"{n} {o}" for o, n in counts.items())


def open_anomalies(result: trace.Trace, register: dict[str, Any], audit: vulns.Audit) -> list[str]:
    items = [f"{r.requirement} verification pending: {r.text}" for r in result.rows if r.pending]
    limit = int((register.get("scales") or {}).get("acceptable_at_most", 6))
    for hid, spec in (register.get("hazards") or {}).items():
        residual = int(spec["residual"]["severity"]) * int(spec["residual"]["probability"])
        if residual > limit:
            items.append(f"{hid} residual risk {residual} above {limit}: benefit-risk review")
    rows = content.register(REPO_DIR / "src" / "holdspace" / "data")
    unconfirmed = sum(1 for r in rows if r.status.startswith("UNCONFIRMED"))
    items += [
        f"clinical content without a source: {r.file} {r.item}"
        for r in rows
        if r.status == "NO SOURCE"
    ]
    items.append(
        f"{unconfirmed} clinical content entries UNCONFIRMED (medical lead sign-off at the site)"
    )
    for entry in (load("soup.yaml") or {}).get("evaluations") or []:
        items.append(
            f"{entry['package']} {entry['id']}: {entry['decision']} ({entry['rationale']})"
        )
    if audit.status == vulns.NOT_CHECKED:
        items.append(f"known-vulnerability check NOT CHECKED: {audit.detail}")
    return items


def build(target: Path, inputs: Inputs) -> tuple[Path | None, list[str]]:
    """Write the record into `target/<tag>/`; returns its folder, or the reasons it refused."""
    runs = {
        name: trace.read_junit(path) if path.exists() else None
        for name, path in inputs.junit.items()
    }
    requirements, register = load("requirements.yaml"), load("risks.yaml")
    result = trace.build(requirements, runs, set(register["hazards"]))
    result.errors += risks.check(register, set(requirements["requirements"]))
    problems = list(result.errors)
    if runs.get("SQLite") is None:
        problems.append("no SQLite results: run `make test` first")
    if inputs.audit.status == vulns.FOUND:
        problems += [f"unevaluated vulnerability {line}" for line in inputs.audit.unevaluated]
    if inputs.audit.status == vulns.NOT_CHECKED and not inputs.allow_unchecked:
        problems.append(
            f"known-vulnerability check NOT CHECKED ({inputs.audit.detail}); run where pip-audit "
            "reaches its service, or pass ALLOW_UNCHECKED=1 to record it as an open anomaly"
        )
    if problems:
        return None, problems

    tag = git("describe", "--tags", "--always", "--dirty") or "untagged"
    folder = target / tag
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    lock = REPO_DIR / "requirements.lock"
    pins = soup.parse_lock(lock.read_text())
    runtime = soup.runtime_closure(pins, soup.direct_runtime(REPO_DIR / "pyproject.toml"))
    listed = load("soup.yaml")
    (folder / "sbom.cdx.json").write_text(
        json.dumps(soup.sbom(listed, pins, runtime, REPO_DIR), indent=2)
    )
    (folder / "soup.md").write_text(soup.to_markdown(listed, pins, runtime, REPO_DIR))
    (folder / "trace.md").write_text(trace.to_markdown(result))
    (folder / "trace.csv").write_text(trace.to_csv(result))
    (folder / "risks.md").write_text(risks.to_markdown(register, result))
    rows = content.register(REPO_DIR / "src" / "holdspace" / "data")
    (folder / "clinical-content.md").write_text(content.to_markdown(rows))
    (folder / "vulnerabilities.md").write_text(vulns.to_markdown(inputs.audit))
    for name, path in inputs.junit.items():
        if path.exists():
            shutil.copy(path, folder / f"junit-{name.lower()}.xml")
    anomalies = open_anomalies(result, register, inputs.audit)
    record = [
        f"# Release record: {tag}",
        "",
        f"- Commit: {git('rev-parse', 'HEAD') or 'unknown'}",
        f"- Recorded: {datetime.now(UTC).isoformat(timespec='seconds')}",
        f"- requirements.lock sha256: {hashlib.sha256(lock.read_bytes()).hexdigest()}",
        f"- Runtime packages: {len(runtime)} (sbom.cdx.json, soup.md)",
        f"- Known vulnerabilities (pip-audit): {inputs.audit.status}",
        f"- Traceability: {len(result.rows)} requirements, trace holds (trace.md, trace.csv)",
    ]
    record += [f"- Tests on {name}: {junit_summary(cases)}" for name, cases in runs.items()]
    record += [
        "",
        "Holdspace is not CE-marked and claims no compliance; this record is evidence",
        "for the clinic or sponsor that puts it into use.",
        "",
        "## Open anomalies",
        "",
    ]
    record += [f"- {item}" for item in anomalies]
    (folder / "record.md").write_text("\n".join(record) + "\n")
    sums = [
        f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}"
        for p in sorted(folder.iterdir())
        if p.is_file()
    ]
    (folder / "SHA256SUMS").write_text("\n".join(sums) + "\n")
    return folder, []
