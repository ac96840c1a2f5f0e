"""The screening rules: YAML files in `data/rules/`, validated at start-up, evaluated safely.

A condition is a small tree, never code:

    {all: [cond, ...]}           every part holds
    {any: [cond, ...]}           at least one part holds
    {not: cond}                  the part does not hold
    {fact: NAME, OP: VALUE}      OP is one of eq, ne, in, lt, le, gt, ge

VALUE is a literal (number, text, true/false, or a list for `in`) or `{setting: KEY}`, a clinic
setting declared in a `settings:` block. A fact that is unknown (e.g. no QTc recorded) makes
every comparison false. `medication.*` facts make the rule run once per medication.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from holdspace.core.clinical_text import in_reader_language
from holdspace.core.sources import Source, only_weak

OUTCOMES = ("exclude", "medical_review", "taper_washout", "monitor")
Outcome = Literal["exclude", "medical_review", "taper_washout", "monitor"]
OPERATORS = ("eq", "ne", "in", "lt", "le", "gt", "ge")

# Every fact a condition may name, with what it holds. Documented in docs/screening.md.
FACTS: dict[str, str] = {
    "medical.recorded": "bool",
    "medical.hypertension": "none | controlled | uncontrolled",
    "medical.arrhythmia": "bool",
    "medical.qtc_ms": "int (QTc in ms) or unknown",
    "medical.other_cardiovascular": "bool",
    "medical.liver_disease": "bool",
    "medical.glaucoma": "bool",
    "medical.diabetes": "bool",
    "medical.hyperthyroidism": "bool",
    "medical.pregnant": "bool",
    "medical.breastfeeding": "bool",
    "psychiatric.recorded": "bool",
    "psychiatric.psychotic_disorder": "bool",
    "psychiatric.bipolar_1": "bool",
    "psychiatric.mdd_psychotic_features": "bool",
    "psychiatric.dissociative_identity_disorder": "bool",
    "psychiatric.eating_disorder_purging": "bool",
    "psychiatric.personality_disorder": "bool",
    "psychiatric.alcohol_use_disorder": "none | mild | moderate | severe",
    "psychiatric.alcohol_in_remission": "bool",
    "psychiatric.cannabis_use_disorder": "none | mild | moderate | severe",
    "psychiatric.cannabis_in_remission": "bool",
    "psychiatric.other_sud_last_12_months": "bool",
    "psychiatric.suicide_risk": "none | low | moderate | high",
    "experience.mdma_uses": "int: total MDMA/ecstasy uses recorded",
    "experience.difficult": "bool: any prior experience recorded as difficult",
    "medication.name": "text as recorded",
    "medication.class": "list of drug classes from the medication list (empty if unmatched)",
    "medication.atc": "ATC code or unknown",
    "medication.matched": "bool: the name matched the medication list",
    "medication.taking": "bool: no stop date, or a stop date in the future",
    "medication.days_since_stop": "int: 0 while taking; days since the last dose otherwise",
}


class RulesError(ImproperlyConfigured):
    """A rules file is broken. The message names the file and the rule."""


# The condition tree --------------------------------------------------------------------------


@dataclass(frozen=True)
class SettingRef:
    key: str


@dataclass(frozen=True)
class Compare:
    fact: str
    op: str
    value: Any


@dataclass(frozen=True)
class Junction:
    kind: str  # "all", "any" or "not"
    parts: tuple[Condition, ...]


Condition = Compare | Junction


def parse_condition(raw: Any, path: str = "condition") -> Condition:
    """Turn the YAML tree into a Condition, refusing anything outside the grammar."""
    if not isinstance(raw, Mapping) or not raw:
        raise ValueError(f"{path}: expected a mapping such as {{fact: ..., eq: ...}}")
    keys = set(raw)
    if keys in ({"all"}, {"any"}):
        kind = next(iter(keys))
        parts = raw[kind]
        if not isinstance(parts, list) or not parts:
            raise ValueError(f"{path}.{kind}: expected a non-empty list of conditions")
        return Junction(
            kind, tuple(parse_condition(p, f"{path}.{kind}[{i}]") for i, p in enumerate(parts))
        )
    if keys == {"not"}:
        return Junction("not", (parse_condition(raw["not"], f"{path}.not"),))
    if "fact" in keys:
        fact = raw["fact"]
        if not isinstance(fact, str) or fact not in FACTS:
            raise ValueError(f"{path}: unknown fact {fact!r}")
        ops = keys - {"fact"}
        if len(ops) != 1 or not ops <= set(OPERATORS):
            raise ValueError(f"{path}: expected exactly one of {', '.join(OPERATORS)} beside fact")
        op = next(iter(ops))
        value = raw[op]
        if isinstance(value, Mapping):
            if set(value) != {"setting"} or not isinstance(value["setting"], str):
                raise ValueError(f"{path}.{op}: a mapping value must be {{setting: KEY}}")
            value = SettingRef(value["setting"])
        elif op == "in" and not isinstance(value, list):
            raise ValueError(f"{path}.in: expected a list")
        elif op != "in" and isinstance(value, list):
            raise ValueError(f"{path}.{op}: a list is only allowed with `in`")
        return Compare(fact, op, value)
    raise ValueError(
        f"{path}: expected all, any, not or fact; found {', '.join(sorted(map(str, keys)))}"
    )


def condition_facts(condition: Condition) -> set[str]:
    if isinstance(condition, Compare):
        return {condition.fact}
    return set().union(*(condition_facts(p) for p in condition.parts))


def condition_settings(condition: Condition) -> set[str]:
    if isinstance(condition, Compare):
        return {condition.value.key} if isinstance(condition.value, SettingRef) else set()
    return set().union(*(condition_settings(p) for p in condition.parts))


def _compare(op: str, fact: Any, value: Any) -> bool:
    if fact is None:
        return False
    if op == "in":
        if isinstance(fact, list | tuple | set):
            return any(item in value for item in fact)
        return bool(fact in value)
    if isinstance(fact, list | tuple | set):  # a list fact compared with eq: membership
        return value in fact if op == "eq" else value not in fact if op == "ne" else False
    try:
        match op:
            case "eq":
                return bool(fact == value)
            case "ne":
                return bool(fact != value)
            case "lt":
                return bool(fact < value)
            case "le":
                return bool(fact <= value)
            case "gt":
                return bool(fact > value)
            case "ge":
                return bool(fact >= value)
    except TypeError:
        return False
    return False


def evaluate(condition: Condition, facts: Mapping[str, Any], values: Mapping[str, int]) -> bool:
    if isinstance(condition, Junction):
        results = (evaluate(p, facts, values) for p in condition.parts)
        if condition.kind == "all":
            return all(results)
        if condition.kind == "any":
            return any(results)
        return not next(results)
    value = condition.value
    if isinstance(value, SettingRef):
        value = values[value.key]
    return _compare(condition.op, facts.get(condition.fact), value)


# The file schema ------------------------------------------------------------------------------


class Setting(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    label_nb: str = ""  # the label in Norwegian Bokmål (core/clinical_text.py)
    default: int
    minimum: int
    maximum: int
    unit: str
    unconfirmed: bool = False
    note: str = ""
    sources: list[Source] = Field(min_length=1)

    @property
    def source(self) -> Source:
        return self.sources[0]

    @property
    def text(self) -> str:
        """The label in the reader's language."""
        return in_reader_language(self.label, self.label_nb)


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    condition: Any
    outcome: Outcome
    message: str = Field(min_length=3)
    message_nb: str = ""  # the message in Norwegian Bokmål (core/clinical_text.py)
    sources: list[Source] = Field(min_length=1)
    last_reviewed: dt.date
    washout_days: int | str | None = None  # a number of days, or a setting key
    unconfirmed: bool = False
    note: str = ""

    @field_validator("condition")
    @classmethod
    def _parse(cls, raw: Any) -> Condition:
        return parse_condition(raw)

    @property
    def parsed(self) -> Condition:
        parsed: Condition = self.condition  # parsed by the validator
        return parsed

    @property
    def text(self) -> str:
        """The message in the reader's language."""
        return in_reader_language(self.message, self.message_nb)

    @property
    def source(self) -> Source:
        """The first (main) source, for one-line displays."""
        return self.sources[0]

    @property
    def per_medication(self) -> bool:
        return any(f.startswith("medication.") for f in condition_facts(self.parsed))


class RuleFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str
    licence: str
    settings: list[Setting] = []
    rules: list[Rule] = []


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    settings: dict[str, Setting]
    digest: str  # a short hash of the shipped files: part of every rule-set version

    def rule(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)


def _rule_label(raw: Any, index: int) -> str:
    if isinstance(raw, Mapping) and isinstance(raw.get("id"), str):
        return str(raw["id"])
    return f"#{index + 1}"


def load_rules(directory: Path) -> RuleSet:
    """Read and check every `*.yaml` in the directory. Raise RulesError naming file and rule."""
    rules: list[tuple[str, Rule]] = []
    settings: dict[str, Setting] = {}
    digest = hashlib.sha256()
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise RulesError(f"No screening rules found in {directory}.")
    for path in files:
        text = path.read_text(encoding="utf-8")
        digest.update(path.name.encode() + b"\0" + text.encode())
        try:
            raw = yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise RulesError(f"{path.name}: not valid YAML: {error}") from error
        if not isinstance(raw, dict):
            raise RulesError(f"{path.name}: expected a mapping with title, licence and rules")
        raw_rules = raw.get("rules") or []
        if not isinstance(raw_rules, list):
            raise RulesError(f"{path.name}: rules must be a list")
        for index, raw_rule in enumerate(raw_rules):
            try:
                rules.append((path.name, Rule.model_validate(raw_rule)))
            except ValidationError as error:
                problems = "; ".join(
                    f"{'.'.join(str(p) for p in e['loc']) or 'rule'}: {e['msg']}"
                    for e in error.errors()
                )
                raise RulesError(
                    f"{path.name}: rule {_rule_label(raw_rule, index)}: {problems}"
                ) from error
        try:
            parsed = RuleFile.model_validate({**raw, "rules": []})
        except ValidationError as error:
            raise RulesError(f"{path.name}: {error}") from error
        for setting in parsed.settings:
            if setting.key in settings:
                raise RulesError(f"{path.name}: setting {setting.key} is declared twice")
            if only_weak(setting.sources) and not setting.unconfirmed:
                raise RulesError(
                    f"{path.name}: setting {setting.key}: only secondary or community sources; "
                    "mark it unconfirmed: true for medical review"
                )
            if not setting.minimum <= setting.default <= setting.maximum:
                raise RulesError(f"{path.name}: setting {setting.key}: default outside its limits")
            settings[setting.key] = setting
    seen: set[str] = set()
    for where, rule in rules:
        if rule.id in seen:
            raise RulesError(f"{where}: rule {rule.id}: the id is used twice")
        seen.add(rule.id)
        needed = condition_settings(rule.parsed)
        if isinstance(rule.washout_days, str):
            needed.add(rule.washout_days)
        for key in needed - set(settings):
            raise RulesError(f"{where}: rule {rule.id}: unknown setting {key!r}")
        if only_weak(rule.sources) and not rule.unconfirmed:
            raise RulesError(
                f"{where}: rule {rule.id}: only secondary or community sources; "
                "mark it unconfirmed: true for medical review"
            )
        if rule.outcome == "taper_washout" and rule.washout_days is None:
            raise RulesError(f"{where}: rule {rule.id}: a taper rule needs washout_days")
        if rule.outcome == "taper_washout" and not rule.per_medication:
            raise RulesError(f"{where}: rule {rule.id}: a taper rule must be about a medication")
    return RuleSet(tuple(rule for _file, rule in rules), settings, digest.hexdigest()[:10])


def rules_directory() -> Path:
    return Path(django_settings.DATA_DIR) / "rules"


@cache
def shipped_rules() -> RuleSet:
    return load_rules(rules_directory())
