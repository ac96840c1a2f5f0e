"""Start-up check of the data files: the rules and the medication list they rely on."""

from __future__ import annotations

from .medications import MedicationList, medication_list
from .rules import Compare, Condition, RulesError, RuleSet, shipped_rules


def _classes_named(condition: Condition) -> set[str]:
    if isinstance(condition, Compare):
        if condition.fact == "medication.class" and isinstance(condition.value, list):
            return {str(v) for v in condition.value}
        if condition.fact == "medication.class":
            return {str(condition.value)}
        return set()
    return set().union(*(_classes_named(p) for p in condition.parts))


def check_classes(ruleset: RuleSet, drugs: MedicationList) -> None:
    """Every drug class a rule names must be a class of the medication list."""
    for rule in ruleset.rules:
        missing = _classes_named(rule.parsed) - set(drugs.class_labels)
        if missing:
            raise RulesError(
                f"rule {rule.id}: drug class {', '.join(sorted(missing))} is not in "
                "medications.yaml"
            )


def check_data_files() -> None:
    check_classes(shipped_rules(), medication_list())
