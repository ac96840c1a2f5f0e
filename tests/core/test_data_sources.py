"""Every source in every data file can be followed to the record by a medical lead.

Walks every YAML file under data/: each source names its kind and a stable identifier (or says
plainly that none was found); no URL on a known mirror is cited except as the copy read; and no
rule or value rests on secondary or community sources alone unless marked for medical review.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings
from pydantic import ValidationError

from holdspace.core.sources import Source, is_mirror, only_weak
from holdspace.courses.protocols import builtin_protocols
from holdspace.screening.rules import RulesError, load_rules, shipped_rules
from holdspace.sessions.rules import session_rules

DATA = Path(settings.DATA_DIR)
FILES = sorted(DATA.rglob("*.yaml"))
URL = re.compile(r"https?://[^\s\"'()]+")


def _sources(node: Any) -> list[dict[str, Any]]:
    """Every mapping found under a `source` or `sources` key, however deep."""
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "source" and isinstance(value, dict):
                found.append(value)
            elif key == "sources" and isinstance(value, list):
                found += [v for v in value if isinstance(v, dict)]
            else:
                found += _sources(value)
    elif isinstance(node, list):
        for value in node:
            found += _sources(value)
    return found


def test_the_walk_finds_every_data_file():
    names = {p.relative_to(DATA).as_posix() for p in FILES}
    assert {"rules/medical.yaml", "session/session.yaml", "medications/medications.yaml"} <= names
    assert len(FILES) >= 20


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(DATA).as_posix())
def test_every_source_has_a_kind_and_an_identifier(path):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    sources = _sources(data)
    assert sources, f"{path.name} cites no source"
    for raw in sources:
        source = Source.model_validate(raw)  # refuses a missing kind or identifier
        assert (
            source.has_identifier
            or source.not_found
            or source.kind
            in {
                "project_decision",
                "project_notes",
            }
        ), raw


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(DATA).as_posix())
def test_no_mirror_is_cited_except_as_the_copy_read(path):
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        for url in URL.findall(line):
            if is_mirror(url):
                assert line.strip().startswith("copy_read:"), f"{path.name}:{number}: {url}"


def test_no_rule_rests_on_weak_sources_without_review():
    for rule in shipped_rules().rules:
        assert rule.unconfirmed or not only_weak(rule.sources), rule.id
    for setting in shipped_rules().settings.values():
        assert setting.unconfirmed or not only_weak(setting.sources), setting.key
    session = session_rules()
    by_id = {s.id: s for s in session.sources}
    for where, ids, marked in session.cited_values():
        assert marked or not only_weak(by_id[i] for i in ids if i in by_id), where
    for template in builtin_protocols().values():
        known = {s.id: s for s in template.sources}
        for where, source_id, marked in template.cited_values():
            assert marked or not only_weak([known[source_id]]), (template.key, where)


def test_no_project_decision_is_cited_as_a_url():
    with pytest.raises(ValidationError, match="project decision"):
        Source.model_validate(
            {"citation": "Holdspace issue 5", "kind": "project_decision", "url": "https://x.org/"}
        )


def test_a_mirror_url_is_refused_as_the_source():
    with pytest.raises(ValidationError, match="mirror"):
        Source.model_validate(
            {
                "citation": "A PubMed record",
                "kind": "primary_study",
                "url": "http://togows.dbcls.jp/x",
            }
        )
    copy = Source.model_validate(
        {
            "citation": "A study",
            "kind": "primary_study",
            "pmid": "1",
            "copy_read": "http://togows.dbcls.jp/x",
        }
    )
    assert copy.link == "https://pubmed.ncbi.nlm.nih.gov/1/"


def test_a_source_without_identifier_must_say_so():
    with pytest.raises(ValidationError, match="doi, pmid, nct or official url"):
        Source.model_validate({"citation": "Someone 2020", "kind": "primary_study"})


def test_the_loader_refuses_a_rule_on_community_sources_alone(tmp_path):
    rule = """title: T
licence: t
rules:
  - id: community-only
    condition: {fact: medical.arrhythmia, eq: true}
    outcome: exclude
    message: From a chart.
    sources: [{citation: A chart, kind: community, url: "https://example.org/"}]
    last_reviewed: 2026-11-27
"""
    (tmp_path / "r.yaml").write_text(rule, encoding="utf-8")
    with pytest.raises(RulesError, match=r"community-only.*unconfirmed"):
        load_rules(tmp_path)
    (tmp_path / "r.yaml").write_text(
        rule.replace("    outcome: exclude\n", "    outcome: exclude\n    unconfirmed: true\n"),
        encoding="utf-8",
    )
    assert load_rules(tmp_path).rules[0].unconfirmed


def test_checked_medications_say_what_was_confirmed():
    from holdspace.screening.medications import medication_list

    drugs = medication_list().drugs.values()
    checked = [d for d in drugs if d.checked]
    assert checked, "no entry of the medication list has been checked"
    for drug in checked:
        assert drug.checked is not None
        assert drug.checked.url.startswith("https://www.felleskatalogen.no/"), drug.key
        # The ATC code is either confirmed by the check, or the check says it was not.
        assert drug.atc[:4] in drug.checked.what.replace(" ", "") or "not checked" in (
            drug.checked.what
        ), drug.key
