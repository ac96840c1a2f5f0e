"""The risk register (`regulatory/risks.yaml`): checked against the requirements and rendered
with each control's verification taken from the traceability matrix."""

from __future__ import annotations

from typing import Any

from .trace import FAILED, PASSED, Trace

FIELDS = (
    "hazard",
    "hazardous_situation",
    "harm",
    "severity",
    "probability",
    "controls",
    "residual",
)


def check(risks_file: dict[str, Any], requirement_ids: set[str]) -> list[str]:
    errors = []
    for hid, spec in (risks_file.get("hazards") or {}).items():
        missing = [key for key in FIELDS if key not in spec]
        if missing:
            errors.append(f"{hid}: missing {', '.join(missing)}")
            continue
        cited = [c["requirement"] for c in spec["controls"] if c.get("requirement")]
        if not cited:
            errors.append(f"{hid}: no control cites a requirement")
        errors += [
            f"{hid}: control cites unknown {rid}" for rid in cited if rid not in requirement_ids
        ]
    return errors


def verification(trace: Trace, rid: str) -> str:
    row = next((r for r in trace.rows if r.requirement == rid), None)
    if row is None:
        return "unknown requirement"
    if row.pending or not row.tests:
        return "verification pending"
    results = [result for test in row.tests.values() for result in test.values()]
    if FAILED in results:
        return "FAILED"
    runs = [run for run in trace.runs if any(t[run] == PASSED for t in row.tests.values())]
    return f"verified by {len(row.tests)} test(s), passed on {', '.join(runs) or 'no run'}"


def to_markdown(risks_file: dict[str, Any], trace: Trace) -> str:
    scales = risks_file.get("scales") or {}
    limit = int(scales.get("acceptable_at_most", 6))
    out = [
        "# Risk register",
        "",
        "Generated from `regulatory/risks.yaml` and the latest test results by `make trace`.",
        "Severity (S) and probability (P) are the project's qualitative estimates (1-5); the",
        f"default acceptance is S x P <= {limit}, which the site replaces with its own matrix.",
        "",
    ]
    for hid, spec in (risks_file.get("hazards") or {}).items():
        s, p = int(spec["severity"]), int(spec["probability"])
        rs, rp = int(spec["residual"]["severity"]), int(spec["residual"]["probability"])
        out += [
            f"## {hid}: {spec['hazard']}",
            "",
            f"- Hazardous situation: {spec['hazardous_situation']}",
            f"- Harm: {spec['harm']}",
        ]
        if spec.get("found"):
            out.append(f"- Found: {spec['found']}")
        initial = "acceptable" if s * p <= limit else "not acceptable"
        out += [
            f"- Initial risk: S{s} x P{p} = {s * p} ({initial})",
            "",
            "| control | type | verification |",
            "| --- | --- | --- |",
        ]
        for control in spec["controls"]:
            rid = control.get("requirement")
            what = rid or control.get("text", "")
            check = verification(trace, rid) if rid else "information for safety (IFU review)"
            out.append(f"| {what} | {control.get('type', '')} | {check} |")
        out += [
            "",
            f"Residual risk: S{rs} x P{rp} = {rs * rp} "
            f"({'acceptable' if rs * rp <= limit else 'not acceptable: benefit-risk review'})",
            "",
        ]
    return "\n".join(out)
