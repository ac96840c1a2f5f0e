"""The earliest medicine-session date runs only the taper rules, reading what they name, and a
clinic's rule and setting changes are read in one query: the client overview asks for both."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from holdspace.people.actors import Actor
from holdspace.screening import engine, selectors, services
from holdspace.screening.rules import load_rules, shipped_rules

from .helpers import record

pytestmark = pytest.mark.django_db


def _tapers(matches: list[engine.TaperMatch]) -> list[tuple[int, str, int, str]]:
    return [(m.medication.pk, m.rule.id, m.washout_days, m.drug_class) for m in matches]


@pytest.fixture
def medicated(clinics, coordinator):  # type: ignore[no-untyped-def]
    """Clients with an SSRI stopped 3 days ago, an MAOI still taken and an unlisted name, with
    the intake histories beside them."""
    record(clinics.client, coordinator, {"medical": {}, "medication": ("escitalopram", 3)})
    record(clinics.client, coordinator, {"medication": ("Nardil", None)})
    record(clinics.other_client, coordinator, {"medication": ("sertraline", 40)})
    record(clinics.other_client, coordinator, {"medication": ("a herbal tea", None)})
    return [clinics.client, clinics.other_client, clinics.south_client]


def test_the_earliest_dates_read_the_medications_and_the_clinic_changes_only(medicated):
    with CaptureQueriesContext(connection) as queries:
        dates = selectors.earliest_medicine_session_dates(medicated)
    # The medications of every client, then each clinic's rule and setting changes (two
    # clinics): no medical, psychiatric or experience rows, which no taper rule names.
    tables = [q["sql"] for q in queries.captured_queries]
    assert len(tables) == 3, tables
    assert not any("history" in sql or "priorexperience" in sql for sql in tables)
    today = timezone.localdate()
    assert dates == {
        medicated[0].pk: today + dt.timedelta(days=14),  # the MAOI still taken: 14 from today
        medicated[1].pk: None,  # sertraline stopped long ago
        medicated[2].pk: None,
    }


def test_a_client_without_medications_is_one_query(clinics, coordinator, lead):
    record(clinics.client, coordinator, {"medical": {}, "psychiatric": {}})
    services.rule_override_set(
        by=Actor.command_line(lead),
        rule_id="maoi-irreversible-washout",
        enabled=False,
        outcome="",
        reason="Ours.",
    )
    with CaptureQueriesContext(connection) as queries:
        assert selectors.earliest_medicine_session_date(clinics.client) is None
    assert len(queries) == 1  # the medications: none, so no taper rule can match
    assert engine.taper_matches([clinics.client]) == {clinics.client.pk: []}
    # Many clients: the rules are read whatever the clients take (a constant count).
    with CaptureQueriesContext(connection) as queries:
        engine.taper_matches([clinics.client, clinics.other_client])
    assert len(queries) == 2


def test_the_tapers_are_those_of_the_whole_evaluation(medicated, lead):
    by = Actor.command_line(lead)
    # The clinic turns one taper rule off and lengthens a washout that is a setting.
    services.rule_override_set(
        by=by, rule_id="maoi-irreversible-washout", enabled=False, outcome="", reason="Ours."
    )
    longest = shipped_rules().settings["ssri_snri_washout_days"].maximum
    services.setting_override_set(
        by=by, key="ssri_snri_washout_days", value=longest, reason="Our protocol."
    )
    found = engine.taper_matches(medicated)
    for client in medicated:
        assert _tapers(found[client.pk]) == _tapers(engine.evaluate_client(client).tapers)
    [match] = found[medicated[0].pk]
    assert (match.rule.id, match.washout_days) == ("ssri-snri-taper", longest)
    assert [m.medication.name for m in found[medicated[1].pk]] == ["sertraline"]


TAPER_IF_PREGNANT = """title: Test
licence: test
rules:
  - id: ssri-in-pregnancy
    condition:
      all: [{fact: medication.class, in: [ssri]}, {fact: medical.pregnant, eq: true}]
    outcome: taper_washout
    washout_days: 30
    message: A message.
    sources: [{citation: A source, kind: primary_study, url: "https://example.org/"}]
    last_reviewed: 2026-11-27
"""


def test_a_taper_rule_naming_an_intake_fact_has_the_facts_read(
    clinics, coordinator, monkeypatch, tmp_path: Path
):
    (tmp_path / "t.yaml").write_text(TAPER_IF_PREGNANT, encoding="utf-8")
    monkeypatch.setattr(engine, "shipped_rules", lambda: load_rules(tmp_path))
    record(clinics.client, coordinator, {"medical": {"pregnant": True}})
    record(clinics.client, coordinator, {"medication": ("escitalopram", None)})
    record(clinics.other_client, coordinator, {"medical": {"pregnant": False}})
    record(clinics.other_client, coordinator, {"medication": ("escitalopram", None)})
    clients = [clinics.client, clinics.other_client]
    found = engine.taper_matches(clients)
    assert [m.washout_days for m in found[clinics.client.pk]] == [30]
    assert found[clinics.other_client.pk] == []
    for client in clients:
        assert _tapers(found[client.pk]) == _tapers(engine.evaluate_client(client).tapers)


def test_the_clinic_changes_are_one_query_and_the_newest_wins(clinics, lead):
    by = Actor.command_line(lead)
    services.rule_override_set(
        by=by, rule_id="qtc-prolongation", enabled=True, outcome="exclude", reason="First."
    )
    services.rule_override_set(
        by=by, rule_id="qtc-prolongation", enabled=False, outcome="", reason="Then off."
    )
    services.setting_override_set(by=by, key="qtc_review_ms", value=480, reason="First.")
    services.setting_override_set(by=by, key="qtc_review_ms", value=490, reason="Then.")
    with CaptureQueriesContext(connection) as queries:
        rules = engine.clinic_rules(lead.clinic_id)
    assert len(queries) == 1
    qtc = next(e for e in rules.rules if e.rule.id == "qtc-prolongation")
    assert (qtc.enabled, qtc.outcome, qtc.changed_by_clinic) == (False, "medical_review", True)
    assert rules.values["qtc_review_ms"] == 490
    assert rules.version.endswith("-c4")
    # Another clinic runs the shipped rules.
    other = engine.clinic_rules(clinics.south_client.clinic_id)
    assert all(e.enabled and not e.changed_by_clinic for e in other.rules)
    assert other.version.endswith("-c0")
