"""The instrument files: every one loads, and a broken one stops the start naming file and field."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured

from holdspace.measures import definitions, library

SHIPPED = {
    "PCL-5", "PHQ-9", "GAD-7", "WHO-5", "AUDIT-C", "DAST-10", "EDI", "CSI-4", "PPS",
    "CAPS-5", "BDI-II", "SDS", "C-SSRS", "MEQ30", "CEQ", "EBI", "PIQ", "WAI-SR",
}  # fmt: skip
STRUCTURE_ONLY = {"CAPS-5", "BDI-II", "SDS", "C-SSRS", "MEQ30", "CEQ", "EBI", "PIQ", "WAI-SR"}


def test_every_instrument_the_issue_lists_is_shipped():
    assert set(library.shipped()) == SHIPPED


@pytest.mark.parametrize("code", sorted(STRUCTURE_ONLY))
def test_restricted_instruments_ship_no_item_text(code):
    definition = library.shipped()[code]
    assert definition.licence_verdict == "structure-only"
    assert not any(item.text for item in definition.items)


@pytest.mark.parametrize("code", sorted(SHIPPED))
def test_every_file_names_its_source_and_licence(code):
    definition = library.shipped()[code]
    assert definition.citation and definition.licence and definition.sources


def test_pcl5_and_phq9_ship_their_text_with_loinc_codes():
    pcl5, phq9 = library.shipped()["PCL-5"], library.shipped()["PHQ-9"]
    assert pcl5.has_text and phq9.has_text
    assert (pcl5.loinc_panel, pcl5.loinc_total) == ("101697-1", "101698-9")
    assert (phq9.loinc_panel, phq9.loinc_total) == ("44249-1", "44261-6")
    assert phq9.items[8].loinc == "44260-8"


def test_pcl5_clusters_follow_dsm5_not_the_wrong_public_mapping():
    subscales = {s.name[0]: s.items for s in library.shipped()["PCL-5"].scoring.subscales}
    assert subscales["C"] == ["6", "7"]
    assert subscales["D"] == [str(i) for i in range(8, 15)]
    assert subscales["E"] == [str(i) for i in range(15, 21)]


def test_pps_is_not_usable_until_its_scale_is_confirmed():
    assert library.shipped()["PPS"].usable is False


def _write(directory: Path, name: str, text: str) -> None:
    (directory / name).write_text(text, encoding="utf-8")


def test_a_broken_file_names_the_file_and_the_field(tmp_path):
    source = (definitions.DATA_DIR / "phq9.yaml").read_text()
    _write(tmp_path, "phq9.yaml", source.replace("method: sum", "method: median"))
    with pytest.raises(definitions.DefinitionError) as error:
        definitions.load_directory(tmp_path)
    assert "phq9.yaml" in str(error.value)
    assert "scoring.method" in str(error.value)


def test_item_ids_must_follow_published_order(tmp_path):
    source = (definitions.DATA_DIR / "dast10.yaml").read_text()
    _write(tmp_path, "dast10.yaml", source.replace("linkId: '2'", "linkId: '12'"))
    with pytest.raises(definitions.DefinitionError, match=r"dast10\.yaml.*items"):
        definitions.load_directory(tmp_path)


def test_structure_only_file_with_text_is_refused(tmp_path):
    source = (definitions.DATA_DIR / "csi4.yaml").read_text()  # still structure only
    _write(tmp_path, "csi4.yaml", source.replace("- linkId: '1'", "- linkId: '1'\n  text: Copied"))
    with pytest.raises(definitions.DefinitionError, match="structure-only"):
        definitions.load_directory(tmp_path)


def test_the_app_refuses_to_start_with_a_broken_file(tmp_path, monkeypatch):
    _write(tmp_path, "bad.yaml", "code: X\nname: X\n")
    monkeypatch.setattr(definitions, "DATA_DIR", tmp_path)
    with pytest.raises(ImproperlyConfigured, match=r"bad\.yaml: field version"):
        apps.get_app_config("measures").ready()


def test_not_yaml_is_named(tmp_path):
    _write(tmp_path, "odd.yaml", "code: [unclosed\n")
    with pytest.raises(definitions.DefinitionError, match=r"odd\.yaml: not valid YAML"):
        definitions.load_directory(tmp_path)
