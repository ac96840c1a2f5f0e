"""Every clinical rule and value the data files ship, with its sources and its status.

`clinical_rows()` reads the same validated files the apps load and returns one structured row
per rule or value. It feeds `docs/clinical-sources.md` (`holdspace clinical sources`), the
Clinical review page (the unconfirmed rows of the review areas), and any other register built
from the same files (e.g. a clinical content register for regulatory documents).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml
from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override

from holdspace.core.sources import Source, only_weak
from holdspace.courses.protocols import PROTOCOL_DIR, builtin_protocols
from holdspace.measures.definitions import load_directory
from holdspace.screening.medications import medication_list
from holdspace.screening.rules import shipped_rules
from holdspace.sessions.rules import session_rules

# Where a value applies. The first six are the areas of the Clinical review page.
AREAS: dict[str, str | Promise] = {
    "screening": _("Screening"),
    "washout": _("Washout"),
    "sessions": _("Medicine sessions"),
    "measure_alerts": _("Measure alerts"),
    "adverse_events": _("Adverse-event reporting"),
    "scheduling": _("Scheduling"),
    "instruments": _("Instruments"),
    "medications": _("Medication list"),
}
REVIEW_AREAS = (
    "screening",
    "washout",
    "sessions",
    "measure_alerts",
    "adverse_events",
    "scheduling",
)


@dataclass(frozen=True)
class ClinicalRow:
    key: str  # stable across releases: what a clinic's review decision refers to
    area: str  # a key of AREAS
    where: str  # the data file, relative to data/
    label: str
    value: str  # the shipped value, as text
    unconfirmed: bool  # marked for medical review in the file (or resting on weak sources)
    sources: tuple[Source, ...]
    note: str = ""

    @property
    def status(self) -> str:
        return "unconfirmed" if self.unconfirmed else "sourced"


def _rel(path: Path) -> str:
    return path.relative_to(Path(settings.DATA_DIR)).as_posix()


def _rules_files() -> dict[str, str]:
    """Which rules file declares each rule id and setting key."""
    found: dict[str, str] = {}
    for path in sorted((Path(settings.DATA_DIR) / "rules").glob("*.yaml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for entry in [*(raw.get("rules") or []), *(raw.get("settings") or [])]:
            found[str(entry.get("id") or entry.get("key"))] = _rel(path)
    return found


def _screening_rows() -> list[ClinicalRow]:
    ruleset = shipped_rules()
    files = _rules_files()
    rows: list[ClinicalRow] = []
    for key, setting in ruleset.settings.items():
        rows.append(
            ClinicalRow(
                key=f"screening.setting.{key}",
                area="washout" if "washout" in key else "screening",
                where=files.get(key, "rules/"),
                label=setting.label,
                value=f"{setting.default} {setting.unit}",
                unconfirmed=setting.unconfirmed,
                sources=tuple(setting.sources),
                note=setting.note,
            )
        )
    for rule in ruleset.rules:
        value = rule.outcome.replace("_", " ")
        if rule.washout_days is not None:
            days = rule.washout_days
            value += f", washout {days} days" if isinstance(days, int) else f", washout: {days}"
        rows.append(
            ClinicalRow(
                key=f"screening.rule.{rule.id}",
                area="washout" if rule.outcome == "taper_washout" else "screening",
                where=files.get(rule.id, "rules/"),
                label=rule.message,
                value=value,
                unconfirmed=rule.unconfirmed,
                sources=tuple(rule.sources),
                note=rule.note,
            )
        )
    return rows


def _session_value(where: str) -> str:
    rules = session_rules()
    ae = rules.adverse_events
    t = rules.thresholds
    values = {
        "cadence.every_minutes": f"every {rules.cadence.every_minutes} min",
        "cadence.after_alert_minutes": f"within {rules.cadence.after_alert_minutes} min",
        "thresholds": (
            f"watch: SBP>{t.systolic_watch}, HR>{t.heart_rate_watch}, T>{t.temperature_watch}; "
            f"act: SBP>{t.systolic_act}, DBP>{t.diastolic_act}, HR>{t.heart_rate_act}, "
            f"T>{t.temperature_act}; SpO2 below {t.spo2_watch_below}/{t.spo2_act_below}"
        ),
        "suds.max": f"0-{rules.suds.max}",
        "supplemental_window": (
            f"{rules.supplemental_window.start_minutes}-"
            f"{rules.supplemental_window.end_minutes} min after the first dose"
        ),
        "team.min_therapists": f"{rules.team.min_therapists} therapists",
        "min_observation_hours": f"{rules.min_observation_hours} h",
        "discharge": ", ".join(c.key for c in rules.discharge.criteria),
        "adverse_events.valence": "record every event, pleasant ones too",
        "adverse_events.serious_criteria": ", ".join(c.key for c in ae.serious_criteria),
        "adverse_events.deadline_days": ", ".join(
            f"{c.key} {c.deadline_days} d" for c in ae.serious_criteria
        ),
        "loinc": f"panel {rules.loinc.blood_pressure_panel}",
    }
    return values[where]


SESSION_LABELS = {
    "cadence.every_minutes": "Vital signs: how often",
    "cadence.after_alert_minutes": "Vital signs: next reading after an alert",
    "thresholds": "Vital-sign alert thresholds (watch and act)",
    "suds.max": "SUDS scale range",
    "supplemental_window": "Supplemental dose window",
    "team.min_therapists": "Therapists in the room",
    "min_observation_hours": "Minimum observation",
    "discharge": "Discharge criteria",
    "adverse_events.valence": "Adverse events: record pleasant events too",
    "adverse_events.serious_criteria": "Serious adverse event criteria",
    "adverse_events.deadline_days": "Serious adverse event reporting deadlines",
    "loinc": "LOINC codes of vital signs",
}


def _session_rows() -> list[ClinicalRow]:
    rules = session_rules()
    by_id = {s.id: s for s in rules.sources}
    rows: list[ClinicalRow] = []
    for where, ids, marked in rules.cited_values():
        sources = tuple(by_id[i] for i in ids if i in by_id)
        note = "" if sources else "No source: a Holdspace default for review."
        rows.append(
            ClinicalRow(
                key=f"sessions.{where}",
                area="adverse_events" if where.startswith("adverse_events") else "sessions",
                where="session/session.yaml",
                label=SESSION_LABELS[where],
                value=_session_value(where),
                unconfirmed=marked or only_weak(sources),
                sources=sources,
                note=note,
            )
        )
    special = rules.adverse_events
    rows.append(
        ClinicalRow(
            key="sessions.adverse_events.special_interest",
            area="adverse_events",
            where="session/session.yaml",
            label="Adverse events of special interest",
            value=", ".join(special.special_interest),
            unconfirmed=special.special_interest_unconfirmed,
            sources=(),
            note="An unverified lead in the research notes; no source found.",
        )
    )
    return rows


def _protocol_rows() -> list[ClinicalRow]:
    rows: list[ClinicalRow] = []
    for path in sorted(PROTOCOL_DIR.glob("*.yaml")):
        key = path.stem
        template = builtin_protocols()[key]
        by_id = {s.id: s for s in template.sources}
        for where, source_id, marked in template.cited_values():
            part = where.split("[")[0].split(".")[0]
            raw = getattr(template, part, None)
            if where.startswith("doses["):
                raw = template.medicine_sessions.doses[int(where[6:-1])]
            elif where.startswith("measures."):
                instrument, _hash, position = where[9:].partition("#")
                raw = (
                    template.measures[int(position)]
                    if position
                    else next(m for m in template.measures if m.instrument == instrument)
                )
            value = raw.model_dump_json(exclude={"source"}) if raw is not None else ""
            rows.append(
                ClinicalRow(
                    key=f"scheduling.{key}.{where}",
                    area="scheduling",
                    where=_rel(path),
                    label=f"{template.name}: {where.replace('_', ' ')}",
                    value=value,
                    unconfirmed=marked,
                    sources=(by_id[source_id],),
                )
            )
    return rows


def _instrument_rows() -> list[ClinicalRow]:
    rows: list[ClinicalRow] = []
    definitions = load_directory(Path(settings.DATA_DIR) / "instruments")
    for code, definition in sorted(definitions.items()):
        sources = tuple(Source.model_validate(s.model_dump()) for s in definition.sources)
        weak = only_weak(sources)
        rows.append(
            ClinicalRow(
                key=f"instruments.{code}",
                area="instruments",
                where=f"instruments/ ({code})",
                label=f"{definition.name}: items, scoring, bands and cut-offs",
                value=f"{definition.licence_verdict}; {len(definition.items)} items",
                unconfirmed=weak or not definition.usable,
                sources=sources,
                note=definition.citation,
            )
        )
        for rule in definition.safety:
            rows.append(
                ClinicalRow(
                    key=f"measure_alerts.{code}.item{rule.item}.{rule.severity}",
                    area="measure_alerts",
                    where=f"instruments/ ({code})",
                    label=f"{code}: item {rule.item} raises a safety alert",
                    value=f"answer at least {rule.at_least:g}: {rule.severity}",
                    # Alert tiers are project defaults (the notes give none): always reviewed.
                    unconfirmed=True,
                    sources=sources,
                    note=rule.source,
                )
            )
    return rows


def _medication_rows() -> list[ClinicalRow]:
    drugs = medication_list()
    path = Path(settings.DATA_DIR) / "medications" / "medications.yaml"
    file_sources = tuple(
        Source.model_validate(s)
        for s in yaml.safe_load(path.read_text(encoding="utf-8"))["sources"]
    )
    rows = []
    for drug in drugs.drugs.values():
        check = drug.checked
        rows.append(
            ClinicalRow(
                key=f"medications.{drug.key}",
                area="medications",
                where="medications/medications.yaml",
                label=drug.key,
                value=f"{drug.atc}; {', '.join(drug.brands)}",
                unconfirmed=check is None,
                sources=file_sources,
                note=(f"Checked: {check.what} ({check.url})" if check else "Not yet checked."),
            )
        )
    return rows


def clinical_rows() -> list[ClinicalRow]:
    """Every rule and value of the shipped data files, in a stable order."""
    return [
        *_screening_rows(),
        *_session_rows(),
        *_protocol_rows(),
        *_instrument_rows(),
        *_medication_rows(),
    ]


def _source_line(source: Source) -> str:
    parts = [f"*{source.kind_label}*: {source.citation}"]
    if source.link:
        parts.append(f"<{source.link}>")
    if source.copy_read:
        parts.append(f"(copy read: <{source.copy_read}>)")
    if source.not_found:
        parts.append(f"Not found: {source.not_found}")
    return " ".join(parts)


def render_markdown(rows: Iterable[ClinicalRow]) -> str:
    """The reviewer's document: every row by area, its value, status and sources."""
    with override("en"):
        return _render(list(rows))


def _render(listed: list[ClinicalRow]) -> str:
    out = [
        "# Clinical sources",
        "",
        "Generated from the data files under `src/holdspace/data/` by "
        "`holdspace clinical sources`; do not edit by hand. Every rule and value Holdspace "
        "applies, with its shipped value, its status and its sources. *Unconfirmed* values are "
        "defaults a clinic's medical lead reviews on the Clinical review page before the first "
        "medicine session. Not clinical advice.",
        "",
        f"{len(listed)} rows, {sum(r.unconfirmed for r in listed)} unconfirmed.",
    ]
    for area, title in AREAS.items():
        in_area = [r for r in listed if r.area == area]
        if not in_area:
            continue
        out += ["", f"## {title!s}", ""]
        for row in in_area:
            label = " ".join(row.label.split())
            out.append(f"- **{label}** (`{row.key}`, {row.where})")
            out.append(f"  - value: {' '.join(row.value.split())}; status: **{row.status}**")
            if row.note:
                out.append(f"  - note: {' '.join(row.note.split())}")
            if not row.sources:
                out.append("  - source: none found")
            for source in row.sources:
                out.append(f"  - {' '.join(_source_line(source).split())}")
    return "\n".join(out) + "\n"
