"""Run the rules over one client's intake facts, with their clinic's overrides applied."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from holdspace.core.clinical_text import in_reader_language
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
from .rules import Rule, RuleSet, evaluate, shipped_rules

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
    latest_rule: dict[str, RuleOverride] = {}
    overrides = RuleOverride.objects.filter(clinic_id=clinic_id).order_by("-changed_at", "-pk")
    for override in overrides:
        latest_rule.setdefault(override.rule_id, override)
    latest_setting: dict[str, SettingOverride] = {}
    setting_rows = SettingOverride.objects.filter(clinic_id=clinic_id).order_by(
        "-changed_at", "-pk"
    )
    for setting_row in setting_rows:
        latest_setting.setdefault(setting_row.key, setting_row)
    rules = []
    for rule in ruleset.rules:
        row = latest_rule.get(rule.id)
        rules.append(
            EffectiveRule(
                rule=rule,
                enabled=row.enabled if row is not None else True,
                outcome=(row.outcome if row is not None and row.outcome else rule.outcome),
                changed_by_clinic=row is not None and (not row.enabled or bool(row.outcome)),
            )
        )
    values = {key: s.default for key, s in ruleset.settings.items()}
    for key, setting_row in latest_setting.items():
        if key in values:
            values[key] = setting_row.value
    changes = len(overrides) + len(setting_rows)
    return ClinicRules(tuple(rules), values, f"{ruleset.digest}-c{changes}")


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


def evaluate_clients(
    clients: Sequence[Client], *, today: dt.date | None = None
) -> dict[int, Evaluation]:
    """`evaluate_client` for many clients in a constant number of queries: each intake table
    read once for all of them (the latest history row per client, as `.first()` picks), the
    rules once per clinic."""
    today = today or timezone.localdate()
    ids = [client.pk for client in clients]
    medical: dict[int, MedicalHistory] = {}
    for row in MedicalHistory.objects.filter(client_id__in=ids):  # newest first (Meta)
        medical.setdefault(row.client_id, row)
    psychiatric: dict[int, PsychiatricHistory] = {}
    for p_row in PsychiatricHistory.objects.filter(client_id__in=ids):
        psychiatric.setdefault(p_row.client_id, p_row)
    experiences: dict[int, list[PriorExperience]] = {pk: [] for pk in ids}
    for e_row in PriorExperience.objects.filter(client_id__in=ids):
        experiences[e_row.client_id].append(e_row)
    medications: dict[int, list[Medication]] = {pk: [] for pk in ids}
    for m_row in Medication.objects.filter(client_id__in=ids):
        medications[m_row.client_id].append(m_row)
    rules = {clinic: clinic_rules(clinic) for clinic in sorted({c.clinic_id for c in clients})}
    return {
        client.pk: _evaluate(
            _facts(medical.get(client.pk), psychiatric.get(client.pk), experiences[client.pk]),
            medications[client.pk],
            rules[client.clinic_id],
            today,
        )
        for client in clients
    }


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
