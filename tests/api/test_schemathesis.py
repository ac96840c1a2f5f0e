"""Schemathesis against the live API: every operation of /api/v1/openapi.json, every check.

A medical lead's personal token calls a live server over HTTP; the path parameters resolve to
one demo client's real records (client code, course, visit, session, note, medication...), so
the generated bodies and queries reach the services instead of stopping at a 404. Each operation
gets positive and negative data, and a few cases with generated path parameters. The test does
not stop at the first failure: it collects every distinct failure (operation and kind) and fails
listing them all.

Bounded and reproducible: a few examples per operation and mode (HOLDSPACE_API_FUZZ_EXAMPLES),
no deadline, derandomized, no example database.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core import NOT_SET
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from holdspace.api.services import api_token_create
from holdspace.people.actors import Actor

from ..core.arc import build_arc

pytestmark = pytest.mark.api_fuzz

EXAMPLES = int(os.environ.get("HOLDSPACE_API_FUZZ_EXAMPLES", "5"))
PATH_EXAMPLES = 3  # generated path parameters mostly answer 404: a few are enough
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    ignored_auth,
]
SETTINGS = hypothesis.settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    verbosity=hypothesis.Verbosity.quiet,
)


def _short(value: Any, limit: int = 160) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


@dataclass
class Findings:
    """Distinct failures by (operation, kind), with the first case that showed each."""

    failures: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    counts: dict[tuple[str, str], int] = field(default_factory=dict)
    not_generated: list[str] = field(default_factory=list)
    cases: int = 0

    def add(self, operation: str, failure: Failure, case: Any, response: Any) -> None:
        mode = case.meta.generation.mode.value if case.meta is not None else "explicit"
        key = (operation, f"{failure.title}")
        self.counts[key] = self.counts.get(key, 0) + 1
        if key in self.failures:
            return
        sent = {
            "path": case.path_parameters,
            "query": case.query,
            "body": getattr(case, "body", None),
        }
        sent = {k: v for k, v in sent.items() if v not in (None, NOT_SET, {})}
        self.failures[key] = [
            f"{mode} data; sent {_short(sent)}",
            f"answered {response.status_code}: {_short(response.text)}",
            _short(" ".join(failure.message.split()), 600),
        ]

    def report(self) -> str:
        # Server errors first, then accepted invalid data, then the rest, each by operation.
        def rank(kind: str) -> int:
            words = ("Server error", "accepted", "auth", "schema", "status code")
            return next((i for i, word in enumerate(words) if word in kind), len(words))

        keys = sorted(self.failures, key=lambda k: (rank(k[1]), k[1], k[0]))
        lines = [f"{len(keys)} distinct failures in {self.cases} cases:"]
        for operation, kind in keys:
            details = self.failures[(operation, kind)]
            lines.append(f"- {operation}: {kind} ({self.counts[(operation, kind)]} cases)")
            lines.extend(f"    {line}" for line in details)
        if self.not_generated:
            lines.append("Not generated (no failure): " + "; ".join(self.not_generated))
        return "\n".join(lines)


def _run(
    strategy: Any,
    call: Callable[[Any], None],
    label: str,
    findings: Findings,
    settings: hypothesis.settings = SETTINGS,
) -> None:
    @settings
    @hypothesis.given(case=strategy)
    def cases(case: Any) -> None:
        call(case)

    try:
        cases()
    except (hypothesis.errors.Unsatisfiable, hypothesis.errors.FailedHealthCheck) as exc:
        findings.not_generated.append(f"{label}: {type(exc).__name__}")


@pytest.mark.django_db(transaction=True)
def test_every_operation_passes_every_check(live_server):  # type: ignore[no-untyped-def]
    arc = build_arc()
    lead = arc.staff["lead"]
    _row, raw = api_token_create(by=Actor.command_line(lead), user=lead.user, name="schemathesis")
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {raw}"
    answer = http.get(f"{live_server.url}/api/v1/openapi.json", timeout=30)
    assert answer.status_code == 200, answer.text
    schema = schemathesis.openapi.from_dict(answer.json())
    findings = Findings()

    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 40, "the schema lost its operations"

    unresolved = {
        f"{operation.method.upper()} {operation.path}: {{{parameter.name}}}"
        for operation in operations
        for parameter in operation.path_parameters
        if parameter.name not in arc.ids
    }
    assert not unresolved, f"teach tests/core/arc.py these path parameters: {sorted(unresolved)}"

    for operation in operations:
        label = f"{operation.method.upper()} {operation.path}"
        names = [parameter.name for parameter in operation.path_parameters]
        fixed = {name: arc.ids[name] for name in names}

        def call(case: Any, label: str = label) -> None:
            findings.cases += 1
            response = case.call(base_url=live_server.url, session=http, timeout=60)
            try:
                case.validate_response(response, checks=CHECKS)
            except FailureGroup as group:
                for failure in group.exceptions:
                    findings.add(label, failure, case, response)
            except Failure as failure:
                findings.add(label, failure, case, response)

        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategy = operation.as_strategy(generation_mode=mode, path_parameters=fixed)
            _run(strategy, call, f"{label} {mode.value}", findings)
        if names:
            strategy = operation.as_strategy(generation_mode=GenerationMode.POSITIVE)
            few = hypothesis.settings(SETTINGS, max_examples=PATH_EXAMPLES)
            _run(strategy, call, f"{label} paths", findings, few)

    assert not findings.failures, findings.report()
