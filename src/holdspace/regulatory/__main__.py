"""`python -m holdspace.regulatory <check>`: the Makefile's regulatory checks and documents.

Each command prints what it wrote and exits 1 with the reasons when its check fails.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from . import (
    PACKAGE_DIR,
    REPO_DIR,
    content,
    load,
    modules,
    out_dir,
    privacy,
    release,
    risks,
    soup,
    trace,
    vulns,
)


def _report(errors: list[str], ok: str) -> int:
    for error in errors:
        print(f"FAIL {error}", file=sys.stderr)
    if not errors:
        print(ok)
    return 1 if errors else 0


def cmd_modules(args: argparse.Namespace) -> int:
    errors = modules.check(load("modules.yaml"), PACKAGE_DIR)
    return _report(errors, "module map: every package listed")


def junit_runs(junit_dir: Path) -> dict[str, list[trace.Case] | None]:
    runs: dict[str, list[trace.Case] | None] = {}
    for name, file in (("SQLite", "sqlite.xml"), ("PostgreSQL", "postgres.xml")):
        path = junit_dir / file
        runs[name] = trace.read_junit(path) if path.exists() else None
    return runs


def cmd_trace(args: argparse.Namespace) -> int:
    requirements, register = load("requirements.yaml"), load("risks.yaml")
    result = trace.build(requirements, junit_runs(args.junit), set(register["hazards"]))
    result.errors += risks.check(register, set(requirements["requirements"]))
    # A skipped PostgreSQL run leaves the previous file: say when each run's results are from.
    for name, file in (("SQLite", "sqlite.xml"), ("PostgreSQL", "postgres.xml")):
        if (args.junit / file).exists():
            when = datetime.fromtimestamp((args.junit / file).stat().st_mtime, UTC)
            result.notes.append(f"{name} results from {when.isoformat(timespec='seconds')}")
    target = out_dir()
    (target / "trace.md").write_text(trace.to_markdown(result), encoding="utf-8")
    (target / "trace.csv").write_text(trace.to_csv(result), encoding="utf-8")
    (target / "risks.md").write_text(risks.to_markdown(register, result), encoding="utf-8")
    for note in result.notes:
        print(f"note: {note}")
    return _report(
        result.errors, f"trace: {len(result.rows)} requirements, wrote {target}/trace.md"
    )


def cmd_soup(args: argparse.Namespace) -> int:
    """Checks soup.yaml against the lock; writes soup.md and the CycloneDX SBOM."""
    listed = load("soup.yaml")
    pins = soup.parse_lock((REPO_DIR / "requirements.lock").read_text())
    direct = soup.direct_runtime(REPO_DIR / "pyproject.toml")
    errors = soup.check(listed, pins, direct)
    if errors:
        return _report(errors, "")
    runtime = soup.runtime_closure(pins, direct)
    target = out_dir()
    (target / "soup.md").write_text(soup.to_markdown(listed, pins, runtime, REPO_DIR))
    bom = soup.sbom(listed, pins, runtime, REPO_DIR)
    (target / "sbom.cdx.json").write_text(json.dumps(bom, indent=2))
    return _report([], f"SOUP: {len(runtime)} runtime packages, wrote soup.md and sbom.cdx.json")


def cmd_vulns(args: argparse.Namespace) -> int:
    """pip-audit over the lock; an offline machine gets NOT CHECKED (see vulns.py)."""
    audit = vulns.run(REPO_DIR / "requirements.lock")
    (out_dir() / "vulnerabilities.md").write_text(vulns.to_markdown(audit))
    if audit.status == vulns.NOT_CHECKED:
        print(
            "WARNING: known-vulnerability check NOT CHECKED: "
            f"{audit.detail}. make release-record will refuse until it runs.",
            file=sys.stderr,
        )
        return 0
    return _report(
        [f"unevaluated vulnerability {line} (record an evaluation in soup.yaml)"
         for line in audit.unevaluated],
        f"pip-audit: no unevaluated known vulnerability ({len(audit.evaluated)} evaluated)",
    )  # fmt: skip


def cmd_content(args: argparse.Namespace) -> int:
    rows = content.register(PACKAGE_DIR / "data")
    (out_dir() / "clinical-content.md").write_text(content.to_markdown(rows), encoding="utf-8")
    return _report([], f"clinical content register: {len(rows)} entries")


def cmd_privacy(args: argparse.Namespace) -> int:
    """DPIA and record of processing (en, nb) from data-categories.yaml; the Normen map."""
    registry, normen = load("data-categories.yaml"), load("normen.yaml")
    errors = privacy.check_normen(normen, set(load("requirements.yaml")["requirements"]), REPO_DIR)
    target = out_dir()
    for lang in ("en", "nb"):
        (target / f"dpia.{lang}.md").write_text(privacy.dpia(registry, lang), encoding="utf-8")
        (target / f"ropa.{lang}.md").write_text(privacy.ropa(registry, lang), encoding="utf-8")
        (target / f"normen.{lang}.md").write_text(
            privacy.normen_map(normen, lang), encoding="utf-8"
        )
    return _report(errors, f"privacy: wrote dpia, ropa and normen (en, nb) to {target}")


def cmd_release(args: argparse.Namespace) -> int:
    """The release record under var/release/<tag>/ (refuses while the evidence does not hold)."""
    junit = {"SQLite": args.junit / "sqlite.xml", "PostgreSQL": args.junit / "postgres.xml"}
    audit = vulns.run(REPO_DIR / "requirements.lock")
    inputs = release.Inputs(junit, audit, allow_unchecked=args.allow_unchecked)
    folder, problems = release.build(out_dir().parent / "release", inputs)
    return _report(problems, f"release record: {folder}")


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "modules": cmd_modules,
    "trace": cmd_trace,
    "soup": cmd_soup,
    "vulns": cmd_vulns,
    "content": cmd_content,
    "privacy": cmd_privacy,
    "release": cmd_release,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m holdspace.regulatory")
    parser.add_argument("command", choices=sorted(COMMANDS))
    parser.add_argument("--junit", type=Path, default=REPO_DIR / "var" / "junit")
    parser.add_argument(
        "--allow-unchecked",
        action="store_true",
        help="release: record an "
        "unreachable vulnerability service as an open anomaly instead of refusing",
    )
    args = parser.parse_args(argv)
    return COMMANDS[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
