"""Protocol templates: reviewed YAML data files under `data/protocols/`, validated by pydantic.

A file that does not fit the schema stops the start (`ImproperlyConfigured` naming the file and
the field), so a broken template never silently proposes a schedule. Clinics clone a template
into a `ClinicProtocolTemplate` row; its definition is validated by the same schema.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from django.core.exceptions import ImproperlyConfigured
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from holdspace.core.clinical_text import in_reader_language
from holdspace.core.sources import Source, only_weak

PROTOCOL_DIR = Path(__file__).resolve().parent.parent / "data" / "protocols"

Timepoint = Literal[
    "baseline",
    "before_first_medicine_session",
    "before_each_medicine_session",
    "day_after_each_medicine_session",
    "end",
    "follow_up_6_months",
    "follow_up_12_months",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Team(_Strict):
    min_therapists_for_medicine_session: int = Field(ge=1, le=6)
    requires_medical_lead: bool
    source: str


class OvernightStay(_Strict):
    expected: bool
    unconfirmed: bool = False
    source: str


class Preparation(_Strict):
    count: int = Field(ge=0, le=30)
    duration_minutes: int = Field(ge=15, le=600)
    spacing_days: int = Field(ge=1, le=60)
    spacing_unconfirmed: bool = False
    start_time: dt.time
    source: str


class Dose(_Strict):
    initial_mg: float = Field(gt=0, le=500)
    supplemental_mg: float | None = Field(default=None, gt=0, le=500)
    supplemental_note: str = ""
    source: str


class MedicineSessions(_Strict):
    duration_minutes: int = Field(ge=60, le=24 * 60)
    spacing_days: int = Field(ge=1, le=180)
    min_spacing_days: int = Field(ge=1, le=180)
    min_spacing_unconfirmed: bool = False
    first_after_preparation_days: int = Field(ge=0, le=90)
    first_after_preparation_unconfirmed: bool = False
    start_time: dt.time
    source: str
    doses: list[Dose] = Field(min_length=1, max_length=10)

    @model_validator(mode="after")
    def _spacing_floor_below_spacing(self) -> MedicineSessions:
        if self.min_spacing_days > self.spacing_days:
            raise ValueError("min_spacing_days must not exceed spacing_days")
        return self


class FollowUps(_Strict):
    offsets_days: list[int] = Field(min_length=1)
    duration_minutes: int = Field(ge=15, le=600)
    start_time: dt.time
    source: str
    unconfirmed: bool = False


class CheckIns(_Strict):
    days: int = Field(ge=0, le=30)
    duration_minutes: int = Field(ge=5, le=120)
    start_time: dt.time
    source: str
    unconfirmed: bool = False


class OutcomeAssessment(_Strict):
    weeks_after_baseline: list[int] = Field(min_length=1)
    duration_minutes: int = Field(ge=15, le=600)
    start_time: dt.time
    source: str
    unconfirmed: bool = False


class MeasureAt(_Strict):
    instrument: str = Field(min_length=1)
    timepoints: list[Timepoint] = Field(min_length=1)
    source: str
    unconfirmed: bool = False


class ProtocolTemplate(_Strict):
    key: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str = Field(min_length=3)
    name_nb: str = ""  # the name in Norwegian Bokmål (core/clinical_text.py)
    description: str = ""
    clients: Literal[1, 2]
    licence: str
    sources: list[Source] = Field(min_length=1)
    team: Team
    overnight_stay: OvernightStay
    preparation: Preparation
    medicine_sessions: MedicineSessions
    integration_after_each: FollowUps
    check_ins_after_each: CheckIns
    outcome_assessment: OutcomeAssessment
    measures: list[MeasureAt] = []

    @model_validator(mode="after")
    def _every_source_is_named(self) -> ProtocolTemplate:
        known = {source.id for source in self.sources}
        cited = [
            self.team.source,
            self.overnight_stay.source,
            self.preparation.source,
            self.medicine_sessions.source,
            self.integration_after_each.source,
            self.check_ins_after_each.source,
            self.outcome_assessment.source,
            *(dose.source for dose in self.medicine_sessions.doses),
            *(measure.source for measure in self.measures),
        ]
        unknown = sorted({cite for cite in cited if cite not in known})
        if unknown:
            raise ValueError(f"cites unknown source(s): {', '.join(unknown)}")
        by_id = {source.id: source for source in self.sources}
        for where, source_id, marked in self.cited_values():
            if only_weak([by_id[source_id]]) and not marked:
                raise ValueError(
                    f"{where}: only secondary or community sources; mark it unconfirmed"
                )
        return self

    @property
    def label(self) -> str:
        """The name in the reader's language."""
        return in_reader_language(self.name, self.name_nb)

    def cited_values(self) -> list[tuple[str, str, bool]]:
        """Each sourced part: where it is, its source id, and whether it is marked for review."""
        med = self.medicine_sessions
        parts: list[tuple[str, str, bool]] = [
            ("team", self.team.source, False),
            ("overnight_stay", self.overnight_stay.source, self.overnight_stay.unconfirmed),
            ("preparation", self.preparation.source, self.preparation.spacing_unconfirmed),
            (
                "medicine_sessions",
                med.source,
                med.min_spacing_unconfirmed or med.first_after_preparation_unconfirmed,
            ),
            (
                "integration_after_each",
                self.integration_after_each.source,
                self.integration_after_each.unconfirmed,
            ),
            (
                "check_ins_after_each",
                self.check_ins_after_each.source,
                self.check_ins_after_each.unconfirmed,
            ),
            (
                "outcome_assessment",
                self.outcome_assessment.source,
                self.outcome_assessment.unconfirmed,
            ),
        ]
        parts += [(f"doses[{i}]", dose.source, False) for i, dose in enumerate(med.doses)]
        # An instrument may be listed twice (PCL-5 during the course, and again at follow-up,
        # each with its own source): the second and later entries carry their position.
        seen: set[str] = set()
        for i, m in enumerate(self.measures):
            where = f"measures.{m.instrument}" + (f"#{i}" if m.instrument in seen else "")
            seen.add(m.instrument)
            parts.append((where, m.source, m.unconfirmed))
        return parts

    @property
    def medicine_session_count(self) -> int:
        return len(self.medicine_sessions.doses)


class ProtocolError(ValueError):
    """A template definition that does not fit the schema, with the field named."""


def protocol_parse(data: object, *, origin: str) -> ProtocolTemplate:
    try:
        return ProtocolTemplate.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise ProtocolError(f"{origin}: field {field}: {first['msg']}") from error


def protocol_parse_yaml(text: str, *, origin: str) -> ProtocolTemplate:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ProtocolError(f"{origin}: not valid YAML: {error}") from error
    return protocol_parse(data, origin=origin)


def load_protocols(directory: Path = PROTOCOL_DIR) -> dict[str, ProtocolTemplate]:
    """Every built-in template by key. Raises ImproperlyConfigured naming file and field."""
    found: dict[str, ProtocolTemplate] = {}
    for path in sorted(directory.glob("*.yaml")):
        try:
            template = protocol_parse_yaml(path.read_text(encoding="utf-8"), origin=path.name)
        except ProtocolError as error:
            raise ImproperlyConfigured(f"Protocol template {error}") from error
        if template.key in found:
            raise ImproperlyConfigured(f"Protocol template {path.name}: field key: duplicate")
        found[template.key] = template
    return found


@cache
def builtin_protocols() -> dict[str, ProtocolTemplate]:
    return load_protocols()
