"""The clinical content register lists every rule, threshold and instrument."""

from __future__ import annotations

import pytest
import yaml

from holdspace import regulatory
from holdspace.regulatory import content

DATA = regulatory.PACKAGE_DIR / "data"


@pytest.mark.requirement("REQ-REG-005")
def test_every_rule_and_instrument_is_in_the_register():
    rows = content.register(DATA)
    items = " ".join(row.item for row in rows)
    for path in (DATA / "rules").glob("*.yaml"):
        for rule in yaml.safe_load(path.read_text())["rules"]:
            assert rule["id"] in items, rule["id"]
    titles = {row.item.split(" (version")[0] for row in rows}
    for path in (DATA / "instruments").glob("*.yaml"):
        assert yaml.safe_load(path.read_text())["name"] in titles, path.name


@pytest.mark.requirement("REQ-REG-005")
def test_thresholds_carry_their_confirmation_status_and_source():
    rows = {(r.file, r.item): r for r in content.register(DATA)}
    heart_rate = rows[("session/session.yaml", "thresholds.heart_rate_watch")]
    assert heart_rate.status.startswith("UNCONFIRMED")
    assert "Vizeli" in heart_rate.source
    item9 = next(r for (f, i), r in rows.items() if f == "instruments/phq9.yaml" and "item9" in i)
    assert "at_least=1" in item9.value


@pytest.mark.requirement("REQ-REG-005")
def test_an_entry_without_a_source_is_reported_and_odd_files_do_not_break_it(tmp_path):
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "x.yaml").write_text(
        "title: X\nrules:\n  - {id: no-source, outcome: exclude, last_reviewed: 2026-01-01}\n"
    )
    (tmp_path / "list.yaml").write_text("- just a list\n")
    (tmp_path / "broken.yaml").write_text("a: [unclosed\n")
    rows = {r.item: r for r in content.register(tmp_path)}
    assert rows["rules[0] no-source"].status == "NO SOURCE"
    assert rows["rules[0] no-source"].reviewed == "2026-01-01"
    assert rows["(file)"].status.startswith("UNREADABLE")
    assert "NO SOURCE" in content.to_markdown(list(rows.values()))
