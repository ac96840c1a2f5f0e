"""The traceability matrix: requirement <-> test <-> result per database run <-> hazard.

Reads `regulatory/requirements.yaml`, `regulatory/risks.yaml` and the JUnit XML files that
`make test` writes (the requirement IDs are in each test case's `<properties>`).
"""

from __future__ import annotations

import csv
import fnmatch
import io
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PASSED, FAILED, SKIPPED, NOT_RUN = "passed", "failed", "skipped", "not run"


@dataclass
class Case:
    test: str  # "tests/path.py::test_name" without parameters
    outcome: str
    requirements: set[str]


@dataclass
class Row:
    requirement: str
    text: str
    safety: bool
    hazards: list[str]
    pending: bool
    tests: dict[str, dict[str, str]] = field(default_factory=dict)  # test -> run -> outcome


@dataclass
class Trace:
    runs: list[str]
    rows: list[Row]
    errors: list[str]
    notes: list[str]


def read_junit(path: Path) -> list[Case]:
    root = ET.parse(path).getroot()  # noqa: S314 - our own pytest output
    cases = []
    for case in root.iter("testcase"):
        name = re.sub(r"\[.*\]$", "", case.get("name", ""))
        where = case.get("file") or case.get("classname", "").replace(".", "/") + ".py"
        if case.find("failure") is not None or case.find("error") is not None:
            outcome = FAILED
        elif case.find("skipped") is not None:
            outcome = SKIPPED
        else:
            outcome = PASSED
        rids = {
            prop.get("value", "")
            for prop in case.iter("property")
            if prop.get("name") == "requirement"
        }
        cases.append(Case(f"{where}::{name}", outcome, rids))
    return cases


def merge(outcomes: list[str]) -> str:
    """One result for a test run with several parameters: any failure fails it."""
    for outcome in (FAILED, PASSED, SKIPPED):
        if outcome in outcomes:
            return outcome
    return NOT_RUN


def build(
    requirements_file: dict[str, Any],
    runs: dict[str, list[Case] | None],
    hazard_ids: set[str] | None = None,
) -> Trace:
    """The matrix and every reason it does not hold. `runs` maps a run's name (SQLite,
    PostgreSQL) to its cases, or None when that run has no results."""
    requirements: dict[str, Any] = requirements_file.get("requirements") or {}
    patterns: list[str] = requirements_file.get("safety_tests") or []
    errors: list[str] = []
    notes: list[str] = []
    rows = {
        rid: Row(
            rid,
            str(spec.get("text", "")).strip(),
            bool(spec.get("safety")),
            list(spec.get("hazards") or []),
            spec.get("verification") == "pending",
        )
        for rid, spec in requirements.items()
    }
    present = {name: cases for name, cases in runs.items() if cases is not None}
    if not present:
        errors.append("no test results: run `make test` (JUnit XML under var/junit/) first")
    for name, cases in runs.items():
        if cases is None:
            notes.append(f"{name}: no results (run not made); its column reads 'not run'")
    outcomes: dict[tuple[str, str, str], list[str]] = {}
    unmarked_safety: set[str] = set()
    for run, cases in present.items():
        for case in cases:
            if not case.requirements and any(fnmatch.fnmatch(case.test, p) for p in patterns):
                unmarked_safety.add(case.test)
            for rid in case.requirements:
                if rid not in rows:
                    errors.append(f"{case.test}: names unknown requirement {rid}")
                    continue
                outcomes.setdefault((rid, case.test, run), []).append(case.outcome)
    errors += [f"{test}: safety test names no requirement" for test in sorted(unmarked_safety)]
    for (rid, name, run), found in outcomes.items():
        rows[rid].tests.setdefault(name, {})[run] = merge(found)
    for row in rows.values():
        for by_run in row.tests.values():
            for run in runs:
                by_run.setdefault(run, NOT_RUN)
        results = [r for by_run in row.tests.values() for r in by_run.values()]
        if row.safety and not row.hazards:
            errors.append(f"{row.requirement}: a safety requirement names its hazards")
        if hazard_ids is not None:
            errors += [
                f"{row.requirement}: unknown hazard {h}" for h in row.hazards if h not in hazard_ids
            ]
        if row.pending:
            if row.tests:
                notes.append(f"{row.requirement}: marked pending but has tests now; clear it")
            continue
        if not row.tests:
            errors.append(f"{row.requirement}: no test verifies it")
        elif FAILED in results:
            errors.append(f"{row.requirement}: a test that verifies it failed")
        elif present and PASSED not in results:
            errors.append(f"{row.requirement}: no test that verifies it passed (all skipped)")
    errors = list(dict.fromkeys(errors))
    return Trace(list(runs), sorted(rows.values(), key=lambda r: r.requirement), errors, notes)


def to_markdown(trace: Trace, title: str = "Traceability matrix") -> str:
    out = [f"# {title}", "", "Generated by `make trace`; do not edit.", ""]
    head = ["requirement", "safety", "hazards", "test", *trace.runs]
    out += ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for row in trace.rows:
        hazards = ", ".join(row.hazards) or "-"
        safety = "yes" if row.safety else "no"
        if not row.tests:
            status = "verification pending" if row.pending else "NO TEST"
            cells = [row.requirement, safety, hazards, status, *["-"] * len(trace.runs)]
            out.append("| " + " | ".join(cells) + " |")
        for test, results in sorted(row.tests.items()):
            cells = [row.requirement, safety, hazards, f"`{test}`"]
            out.append("| " + " | ".join(cells + [results[r] for r in trace.runs]) + " |")
    out += ["", "## Requirements", ""]
    out += [f"- **{row.requirement}**: {row.text}" for row in trace.rows]
    if trace.notes:
        out += ["", "## Notes", "", *[f"- {note}" for note in trace.notes]]
    if trace.errors:
        out += ["", "## Problems (the trace fails)", "", *[f"- {e}" for e in trace.errors]]
    return "\n".join(out) + "\n"


def to_csv(trace: Trace) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["requirement", "safety", "hazards", "test", *trace.runs])
    for row in trace.rows:
        for test, results in sorted(row.tests.items()) or [("", {})]:
            writer.writerow(
                [row.requirement, row.safety, " ".join(row.hazards), test]
                + [results.get(r, "") for r in trace.runs]
            )
    return buffer.getvalue()
