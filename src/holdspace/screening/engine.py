"""Run the rules over one client's intake facts, with their clinic's overrides applied."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import BooleanField, CharField, F, IntegerField, QuerySet, Value
from django.db.models.functions import Cast
from django.utils import timezone

from holdspace.core.clinical_text import in_reader_language
from holdspace.core.compiled import CompiledQueries
from holdspace.people.models import Client, Clinic

from .medications import medication_list
from .models import (
    MedicalHistory,
    Medication,
    PriorExperience,
    PsychiatricHistory,
    QtcUnit,
    RuleOverride,
    SettingOverride,
    Substance,
)
from .rules import Rule, RuleSet, condition_facts, evaluate, shipped_rules

# Stronger first: the order findings are listed in.
OUTCOME_ORDER = {"exclude": 0, "medical_review": 1, "taper_washout": 2, "monitor": 3}


@dataclass(frozen=True)
class EffectiveRule:
    rule: Rule
    enabled: bool
    outcome: str
    changed_by_clinic: bool


@dataclass(frozen=True)
class ClinicRules:
    """The shipped rules as one clinic runs them."""

    rules: tuple[EffectiveRule, ...]
    values: dict[str, int]  # setting key -> value in force
    version: str

    def washout_days(self, rule: Rule) -> int:
        if isinstance(rule.washout_days, str):
            return self.values[rule.washout_days]
        return int(rule.washout_days or 0)


@dataclass(frozen=True)
class Finding:
    rule_id: str
    outcome: str
    message: str
    citation: str
    url: str
    unconfirmed: bool
    medication: str = ""
    changed_by_clinic: bool = False
    message_nb: str = ""  # shown to a Norwegian reader; the signed record keeps the English

    @property
    def text(self) -> str:
        return in_reader_language(self.message, self.message_nb)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "outcome": self.outcome,
            "message": self.message,
            "citation": self.citation,
            "url": self.url,
            "unconfirmed": self.unconfirmed,
            "medication": self.medication,
        }


@dataclass(frozen=True)
class TaperMatch:
    medication: Medication
    rule: Rule
    washout_days: int
    drug_class: str


@dataclass
class Evaluation:
    findings: list[Finding]
    tapers: list[TaperMatch]
    version: str
    facts: dict[str, Any] = field(default_factory=dict)


def clinic_rules(clinic: Clinic | int, ruleset: RuleSet | None = None) -> ClinicRules:
    ruleset = ruleset or shipped_rules()
    clinic_id = clinic if isinstance(clinic, int) else clinic.pk
    latest_rule: dict[str, tuple[bool, str]] = {}
    latest_setting: dict[str, int] = {}
    changes = 0
    # The clinic's rule and setting changes in one round trip, newest first.
    for kind, key, enabled, outcome, value in _override_rows(clinic_id):
        changes += 1
        if kind == "rule":
            latest_rule.setdefault(key, (bool(enabled), outcome or ""))
        elif value is not None:
            latest_setting.setdefault(key, value)
    rules = []
    for rule in ruleset.rules:
        row = latest_rule.get(rule.id)
        rules.append(
            EffectiveRule(
                rule=rule,
                enabled=row[0] if row is not None else True,
                outcome=(row[1] if row is not None and row[1] else rule.outcome),
                changed_by_clinic=row is not None and (not row[0] or bool(row[1])),
            )
        )
    values = {key: s.default for key, s in ruleset.settings.items()}
    for key, value in latest_setting.items():
        if key in values:
            values[key] = value
    return ClinicRules(tuple(rules), values, f"{ruleset.digest}-c{changes}")


def _override_rows(clinic_id: int) -> list[tuple[str, str, bool | None, str | None, int | None]]:
    """(kind, rule id or setting key, enabled, outcome, value) of every rule and setting
    change of the clinic, newest first: the two tables as one UNION ALL, its SQL compiled once
    per process (`core.compiled`: the clinic is a bound value)."""
    union = _override_sql.bound("overrides", _override_query, clinic_id=clinic_id)
    # Newest first within each table, as their Meta ordering (a clinic has a few rows).
    rows = sorted(union.rows(), key=lambda row: (row[5], row[6]), reverse=True)
    return [row[:5] for row in rows]


_override_sql = CompiledQueries()


def _override_query(clinic_id: int) -> QuerySet[Any]:
    """The clinic's rule and setting changes as one UNION ALL. Typed casts keep the columns of
    both parts alike on PostgreSQL, NULLs included."""

    def columns(**named: Any) -> dict[str, Any]:
        return {f"o_{name}": expression for name, expression in named.items()}

    rule_rows = (
        RuleOverride.objects.filter(clinic_id=clinic_id)
        .order_by()
        .annotate(
            **columns(
                kind=Cast(Value("rule"), CharField()),
                key=Cast(F("rule_id"), CharField()),
                enabled=Cast(F("enabled"), BooleanField()),
                outcome=Cast(F("outcome"), CharField()),
                value=Cast(Value(None), IntegerField()),
                at=F("changed_at"),
                pk=F("pk"),
            )
        )
    )
    setting_rows = (
        SettingOverride.objects.filter(clinic_id=clinic_id)
        .order_by()
        .annotate(
            **columns(
                kind=Cast(Value("setting"), CharField()),
                key=Cast(F("key"), CharField()),
                enabled=Cast(Value(None), BooleanField()),
                outcome=Cast(Value(None), CharField()),
                value=Cast(F("value"), IntegerField()),
                at=F("changed_at"),
                pk=F("pk"),
            )
        )
    )
    names = ("o_kind", "o_key", "o_enabled", "o_outcome", "o_value", "o_at", "o_pk")
    return rule_rows.values_list(*names).union(setting_rows.values_list(*names), all=True)


def _client_facts(client: Client, today: dt.date) -> dict[str, Any]:
    return _facts(
        MedicalHistory.objects.filter(client=client).first(),
        PsychiatricHistory.objects.filter(client=client).first(),
        list(PriorExperience.objects.filter(client=client)),
    )


def _facts(
    medical: MedicalHistory | None,
    psychiatric: PsychiatricHistory | None,
    experiences: list[PriorExperience],
) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    facts["medical.recorded"] = medical is not None
    if medical is not None:
        for name in (
            "hypertension",
            "arrhythmia",
            "other_cardiovascular",
            "liver_disease",
            "glaucoma",
            "diabetes",
            "hyperthyroidism",
            "pregnant",
            "breastfeeding",
        ):
            facts[f"medical.{name}"] = getattr(medical, name)
        facts["medical.qtc_ms"] = (
            medical.qtc_value
            if medical.qtc_value is not None and medical.qtc_unit == QtcUnit.MS
            else None
        )
    facts["psychiatric.recorded"] = psychiatric is not None
    if psychiatric is not None:
        for name in (
            "psychotic_disorder",
            "bipolar_1",
            "mdd_psychotic_features",
            "dissociative_identity_disorder",
            "eating_disorder_purging",
            "personality_disorder",
            "alcohol_use_disorder",
            "alcohol_in_remission",
            "cannabis_use_disorder",
            "cannabis_in_remission",
            "other_sud_last_12_months",
            "suicide_risk",
        ):
            facts[f"psychiatric.{name}"] = getattr(psychiatric, name)
    facts["experience.mdma_uses"] = sum(
        e.times for e in experiences if e.substance == Substance.MDMA
    )
    facts["experience.difficult"] = any(e.how_it_went == "difficult" for e in experiences)
    return facts


def medication_facts(medication: Medication, today: dt.date) -> dict[str, Any]:
    drug = medication_list().drugs.get(medication.list_key) if medication.list_key else None
    stop = medication.stop_date
    taking = stop is None or stop >= today
    return {
        "medication.name": medication.name,
        "medication.class": list(drug.classes) if drug is not None else [],
        "medication.atc": drug.atc if drug is not None else None,
        "medication.matched": drug is not None,
        "medication.taking": taking,
        "medication.days_since_stop": 0 if taking or stop is None else (today - stop).days,
    }


def _source(rule: Rule, outcome: str, changed: bool, medication: str = "") -> Finding:
    return Finding(
        rule_id=rule.id,
        outcome=outcome,
        message=rule.message,
        message_nb=rule.message_nb,
        citation=rule.source.citation,
        url=rule.source.link,
        unconfirmed=rule.unconfirmed,
        medication=medication,
        changed_by_clinic=changed,
    )


def evaluate_client(
    client: Client, *, today: dt.date | None = None, rules: ClinicRules | None = None
) -> Evaluation:
    today = today or timezone.localdate()
    rules = rules or clinic_rules(client.clinic_id)
    facts = _client_facts(client, today)
    medications = list(Medication.objects.filter(client=client))
    return _evaluate(facts, medications, rules, today)


def _facts_of(ids: list[int]) -> dict[int, dict[str, Any]]:
    """The intake facts of many clients (all but the medications'), each table read once for
    all of them: the latest history row per client, as `.first()` picks."""
    medical: dict[int, MedicalHistory] = {}
    for row in MedicalHistory.objects.filter(client_id__in=ids):  # newest first (Meta)
        medical.setdefault(row.client_id, row)
    psychiatric: dict[int, PsychiatricHistory] = {}
    for p_row in PsychiatricHistory.objects.filter(client_id__in=ids):
        psychiatric.setdefault(p_row.client_id, p_row)
    experiences: dict[int, list[PriorExperience]] = {pk: [] for pk in ids}
    for e_row in PriorExperience.objects.filter(client_id__in=ids):
        experiences[e_row.client_id].append(e_row)
    return {pk: _facts(medical.get(pk), psychiatric.get(pk), experiences[pk]) for pk in ids}


def taper_matches(
    clients: Sequence[Client], *, today: dt.date | None = None
) -> dict[int, list[TaperMatch]]:
    """Each client's medications that need a taper and washout (`Evaluation.tapers`), without
    the rest of the evaluation: only the clinic's taper rules are run, so the other intake
    tables are read only if a taper rule names one of their facts (the shipped ones name
    medication facts alone): two queries for any number of clients, not six. One client who
    takes no medication (most on an overview) needs no rules read, as a taper rule is per
    medication: one query then. Many clients are read in the same number of queries whatever
    they take, so that a page's count does not depend on its rows."""
    today = today or timezone.localdate()
    ids = [client.pk for client in clients]
    medications: dict[int, list[Medication]] = {pk: [] for pk in ids}
    for m_row in _medications_of(ids):
        medications[m_row.client_id].append(m_row)
    found: dict[int, list[TaperMatch]] = {pk: [] for pk in ids}
    if len(ids) == 1 and not medications[ids[0]]:
        return found
    rules = {clinic: clinic_rules(clinic) for clinic in sorted({c.clinic_id for c in clients})}
    tapering = {
        clinic: ClinicRules(
            tuple(e for e in effective.rules if _makes_tapers(e)),
            effective.values,
            effective.version,
        )
        for clinic, effective in rules.items()
    }
    needed = {
        fact
        for effective in tapering.values()
        for e in effective.rules
        for fact in condition_facts(e.rule.parsed)
        if not fact.startswith("medication.")
    }
    facts = (
        _facts_of(ids)
        if needed
        else {pk: {} for pk in ids}  # no taper rule asks a fact outside the medication
    )
    for client in clients:
        found[client.pk] = _evaluate(
            facts[client.pk], medications[client.pk], tapering[client.clinic_id], today
        ).tapers
    return found


def _medications_of(ids: list[int]) -> Iterable[Medication]:
    """The clients' medications; for one client (an overview, a screening page) by SQL
    compiled once per process."""
    if len(ids) != 1:
        return Medication.objects.filter(client_id__in=ids)
    one: list[Medication] = _medications_sql.bound(
        "medications", _one_client_medications, client_id=ids[0]
    ).objects()
    return one


def _one_client_medications(client_id: int) -> QuerySet[Medication]:
    return Medication.objects.filter(client_id=client_id)


_medications_sql = CompiledQueries()


def _makes_tapers(effective: EffectiveRule) -> bool:
    """Whether `_evaluate` can make a TaperMatch from this rule (see there)."""
    return (
        effective.rule.per_medication
        and effective.rule.outcome == "taper_washout"
        and effective.enabled
        and effective.outcome == "taper_washout"
    )


def _evaluate(
    facts: dict[str, Any], medications: list[Medication], rules: ClinicRules, today: dt.date
) -> Evaluation:
    findings: list[Finding] = []
    tapers: list[TaperMatch] = []
    for effective in rules.rules:
        rule = effective.rule
        if not rule.per_medication:
            if effective.enabled and evaluate(rule.parsed, facts, rules.values):
                findings.append(_source(rule, effective.outcome, effective.changed_by_clinic))
            continue
        for medication in medications:
            med_facts = medication_facts(medication, today)
            if not evaluate(rule.parsed, {**facts, **med_facts}, rules.values):
                continue
            if rule.outcome == "taper_washout":
                days = rules.washout_days(rule)
                classes = med_facts["medication.class"]
                if effective.enabled and effective.outcome == "taper_washout":
                    tapers.append(TaperMatch(medication, rule, days, classes[0] if classes else ""))
                if med_facts["medication.days_since_stop"] >= days:
                    continue  # the washout is over: nothing left to decide
            if effective.enabled:
                findings.append(
                    _source(rule, effective.outcome, effective.changed_by_clinic, medication.name)
                )
    findings.sort(key=lambda f: (OUTCOME_ORDER.get(f.outcome, 9), f.rule_id, f.medication))
    return Evaluation(findings, tapers, rules.version, facts)
