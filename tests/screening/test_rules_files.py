"""A broken rules file refuses to start, naming the file and the rule; conditions are never code."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from holdspace.screening.checks import check_classes
from holdspace.screening.medications import medication_list
from holdspace.screening.rules import RulesError, evaluate, load_rules, parse_condition

HEADER = "title: Test\nlicence: test\n"
RULE = """rules:
  - id: {rule_id}
    condition: {condition}
    outcome: {outcome}
    message: A message.
    sources: [{{citation: A source, kind: primary_study, url: "https://example.org/"}}]
    last_reviewed: 2026-11-27
"""


def _write(tmp_path: Path, name: str, body: str) -> Path:
    (tmp_path / name).write_text(HEADER + body, encoding="utf-8")
    return tmp_path


def _rule(rule_id: str = "r1", condition: str = "{fact: medical.arrhythmia, eq: true}",
          outcome: str = "exclude") -> str:  # fmt: skip
    return RULE.format(rule_id=rule_id, condition=condition, outcome=outcome)


def test_a_valid_file_loads(tmp_path):
    ruleset = load_rules(_write(tmp_path, "ok.yaml", _rule()))
    assert [r.id for r in ruleset.rules] == ["r1"]


@pytest.mark.parametrize(
    "condition, problem",
    [
        ("{fact: medical.arrhythmia, equals: true}", "exactly one of"),
        ("{fact: medical.heartbeat, eq: true}", "unknown fact"),
        ("{all: []}", "non-empty list"),
        ("\"__import__('os').system('true')\"", "expected a mapping"),
        ("{fact: medical.qtc_ms, gt: [1, 2]}", "only allowed with `in`"),
        ("{fact: medical.qtc_ms, gt: {python: x}}", "setting: KEY"),
    ],
)
def test_a_broken_condition_names_the_file_and_the_rule(tmp_path, condition, problem):
    _write(tmp_path, "broken.yaml", _rule("my-rule", condition))
    with pytest.raises(RulesError) as error:
        load_rules(tmp_path)
    assert "broken.yaml" in str(error.value)
    assert "my-rule" in str(error.value)
    assert problem in str(error.value)


def test_an_unknown_outcome_is_refused(tmp_path):
    _write(tmp_path, "x.yaml", _rule("r2", outcome="approve"))
    with pytest.raises(RulesError, match=r"x\.yaml: rule r2: outcome"):
        load_rules(tmp_path)


def test_a_taper_rule_needs_a_washout(tmp_path):
    _write(tmp_path, "t.yaml", _rule("t1", "{fact: medication.class, in: [ssri]}", "taper_washout"))
    with pytest.raises(RulesError, match=r"t\.yaml: rule t1: a taper rule needs washout_days"):
        load_rules(tmp_path)


def test_an_unknown_setting_is_refused(tmp_path):
    _write(tmp_path, "s.yaml", _rule("s1", "{fact: medical.qtc_ms, ge: {setting: nope}}"))
    with pytest.raises(RulesError, match=r"s\.yaml: rule s1: unknown setting 'nope'"):
        load_rules(tmp_path)


def test_invalid_yaml_names_the_file(tmp_path):
    (tmp_path / "bad.yaml").write_text("rules: [\n  - {id: ", encoding="utf-8")
    with pytest.raises(RulesError, match=r"bad\.yaml: not valid YAML"):
        load_rules(tmp_path)


def test_a_duplicate_rule_id_is_refused(tmp_path):
    _write(tmp_path, "a.yaml", _rule("same"))
    _write(tmp_path, "b.yaml", _rule("same"))
    with pytest.raises(RulesError, match="rule same: the id is used twice"):
        load_rules(tmp_path)


def test_a_rule_naming_a_class_the_medication_list_lacks_is_refused(tmp_path):
    _write(tmp_path, "c.yaml", _rule("c1", "{fact: medication.class, in: [unicorns]}", "exclude"))
    with pytest.raises(RulesError, match="rule c1: drug class unicorns"):
        check_classes(load_rules(tmp_path), medication_list())


def test_unknown_facts_compare_false_not_true():
    condition = parse_condition({"fact": "medical.qtc_ms", "lt": 500})
    assert evaluate(condition, {}, {}) is False
    assert evaluate(parse_condition({"not": {"fact": "medical.qtc_ms", "lt": 500}}), {}, {})


def test_the_medication_list_maps_norwegian_brands_to_class_and_atc():
    drug = medication_list().match("Cipralex")
    assert drug is not None
    assert (drug.key, drug.classes, drug.atc) == ("escitalopram", ("ssri",), "N06AB10")
    assert medication_list().match("lithionit").classes == ("lithium",)  # type: ignore[union-attr]
    assert medication_list().match("Vitamin Q") is None


def test_holdspace_refuses_to_start_with_a_broken_shipped_rule(tmp_path, settings):
    import shutil

    from django.apps import apps

    from holdspace.screening import medications, rules

    (tmp_path / "rules").mkdir()
    shutil.copytree(settings.DATA_DIR / "medications", tmp_path / "medications")
    _write(tmp_path / "rules", "clinic.yaml", _rule("broken-rule", "{fact: medical.qtc_ms}"))
    settings.DATA_DIR = tmp_path
    rules.shipped_rules.cache_clear()
    medications.medication_list.cache_clear()
    try:
        with pytest.raises(RulesError, match=r"clinic\.yaml: rule broken-rule"):
            apps.get_app_config("screening").ready()
    finally:
        rules.shipped_rules.cache_clear()
        medications.medication_list.cache_clear()


@given(
    st.recursive(
        st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8)),
        lambda children: st.one_of(
            st.lists(children, max_size=3),
            st.dictionaries(
                st.one_of(
                    st.sampled_from(["all", "any", "not", "fact", "eq", "in", "lt", "setting"]),
                    st.none(),
                    st.integers(),
                ),
                children,
                max_size=3,
            ),
        ),
        max_leaves=10,
    )
)
def test_any_yaml_shape_is_either_a_condition_or_a_clear_refusal(raw):
    try:
        condition = parse_condition(raw)
    except ValueError as error:
        assert str(error).startswith("condition")
    else:
        if not _needs_setting(condition):
            assert evaluate(condition, {}, {}) in (True, False)


def _needs_setting(condition) -> bool:  # type: ignore[no-untyped-def]
    from holdspace.screening.rules import condition_settings

    return bool(condition_settings(condition))
