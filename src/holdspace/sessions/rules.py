"""The session's reviewed data file (`data/session/session.yaml`), validated at start-up.

Every number here is a default for review or a rule with its source; clinics hold their own
copy of the adjustable ones in `SessionSettings`.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from holdspace.core.sources import Source, only_weak

DATA_FILE = Path(__file__).resolve().parents[1] / "data" / "session" / "session.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Cadence(_Strict):
    every_minutes: int = Field(ge=5, le=240)
    unconfirmed: bool = False
    source: str
    after_alert_minutes: int = Field(ge=1, le=240)
    after_alert_unconfirmed: bool = False
    after_alert_source: str


class Thresholds(_Strict):
    unconfirmed: bool = False
    systolic_watch: int | None = None
    systolic_act: int | None = None
    diastolic_watch: int | None = None
    diastolic_act: int | None = None
    heart_rate_watch: int | None = None
    heart_rate_act: int | None = None
    temperature_watch: float | None = None
    temperature_act: float | None = None
    spo2_watch_below: int | None = None
    spo2_act_below: int | None = None
    sources: list[str]


class Plausible(_Strict):
    systolic: tuple[int, int]
    diastolic: tuple[int, int]
    heart_rate: tuple[int, int]
    temperature: tuple[float, float]
    spo2: tuple[int, int]


class Suds(_Strict):
    max: int = Field(ge=1, le=100)
    unconfirmed: bool = False
    source: str


class Window(_Strict):
    start_minutes: int = Field(ge=0)
    end_minutes: int = Field(ge=1)
    source: str


class Team(_Strict):
    min_therapists: int = Field(ge=1)
    source: str


class Item(_Strict):
    key: str
    label: str


class Criterion(_Strict):
    key: str
    label: str
    computed: bool


class Discharge(_Strict):
    source: str
    criteria: list[Criterion]
    dispositions: list[str]


class SeriousCriterion(_Strict):
    key: str
    label: str
    deadline_days: int = Field(ge=1)


class AdverseEvents(_Strict):
    valence_source: str
    valence_unconfirmed: bool = False
    serious_criteria_source: str
    serious_criteria: list[SeriousCriterion]
    deadline_source: str
    deadline_unconfirmed: bool = False
    special_interest: list[str]
    special_interest_unconfirmed: bool = False


class Loinc(_Strict):
    source: str
    blood_pressure_panel: str
    systolic: str
    diastolic: str
    heart_rate: str
    temperature: str
    spo2: str
    body_weight: str
    body_height: str


class SessionRules(_Strict):
    licence: str
    sources: list[Source]
    cadence: Cadence
    thresholds: Thresholds
    plausible: Plausible
    suds: Suds
    supplemental_window: Window
    team: Team
    min_observation_hours: int
    min_observation_source: str
    setting_checklist: list[Item]
    discharge: Discharge
    adverse_events: AdverseEvents
    loinc: Loinc

    @model_validator(mode="after")
    def _sources_known(self) -> SessionRules:
        known = {s.id for s in self.sources} | {"none"}
        cited = [
            self.cadence.source,
            self.cadence.after_alert_source,
            self.suds.source,
            self.supplemental_window.source,
            self.team.source,
            self.min_observation_source,
            self.discharge.source,
            self.adverse_events.valence_source,
            self.adverse_events.serious_criteria_source,
            self.adverse_events.deadline_source,
            self.loinc.source,
            *self.thresholds.sources,
        ]
        unknown = sorted({c for c in cited if c not in known})
        if unknown:
            raise ValueError(f"unknown source id(s): {', '.join(unknown)}")
        by_id = {s.id: s for s in self.sources}
        for where, ids, unconfirmed in self.cited_values():
            if only_weak(by_id[i] for i in ids if i in by_id) and not unconfirmed:
                raise ValueError(
                    f"{where}: only secondary or community sources; mark it unconfirmed"
                )
        if self.supplemental_window.end_minutes <= self.supplemental_window.start_minutes:
            raise ValueError("supplemental_window: end must be after start")
        return self

    def cited_values(self) -> list[tuple[str, list[str], bool]]:
        """Each sourced value: where it is, the ids of its sources, and its review mark."""
        ae = self.adverse_events
        return [
            ("cadence.every_minutes", [self.cadence.source], self.cadence.unconfirmed),
            (
                "cadence.after_alert_minutes",
                [self.cadence.after_alert_source],
                self.cadence.after_alert_unconfirmed,
            ),
            ("thresholds", list(self.thresholds.sources), self.thresholds.unconfirmed),
            ("suds.max", [self.suds.source], self.suds.unconfirmed),
            ("supplemental_window", [self.supplemental_window.source], False),
            ("team.min_therapists", [self.team.source], False),
            ("min_observation_hours", [self.min_observation_source], False),
            ("discharge", [self.discharge.source], False),
            ("adverse_events.valence", [ae.valence_source], ae.valence_unconfirmed),
            ("adverse_events.serious_criteria", [ae.serious_criteria_source], False),
            ("adverse_events.deadline_days", [ae.deadline_source], ae.deadline_unconfirmed),
            ("loinc", [self.loinc.source], False),
        ]


class RulesError(ValueError):
    pass


@cache
def session_rules() -> SessionRules:
    """The shipped rules; a file that does not fit raises RulesError naming the field."""
    try:
        raw = yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))
        return SessionRules.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise RulesError(f"{DATA_FILE.name}: field {where}: {first['msg']}") from exc


def checklist_labels() -> dict[str, str]:
    return {item.key: item.label for item in session_rules().setting_checklist}
