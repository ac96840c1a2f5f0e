"""The instrument definition format, validated by pydantic. No Django here.

A definition is one YAML file in `data/instruments/` (or a clinic's own, stored in the database):
what the instrument is, where it comes from and under which licence, its items in published
order, how it is scored, its bands and cut-offs, what counts as change, and which answers raise a
safety alert. `load_directory` refuses a broken file, naming the file and the field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from holdspace.core.clinical_text import in_reader_language
from holdspace.core.sources import SourceKind

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "instruments"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Option(Strict):
    value: float
    label: str = ""  # empty for structure-only instruments whose anchors we may not ship
    code: str = ""  # LOINC answer code (LA...) where one exists


class Item(Strict):
    link_id: str = Field(alias="linkId")
    type: Literal["choice", "yes-no", "scale-0-100", "number"]
    text: str = ""  # empty where the licence does not let us ship the wording
    loinc: str = ""
    options: list[Option] = []
    minimum: float | None = None  # for "number"
    maximum: float | None = None
    reverse: bool = False  # yes-no: yes scores 0, no scores 1 (DAST-10 item 3)
    required: bool = True
    scored: bool = True  # e.g. SDS days lost/unproductive are recorded but not in the total

    @model_validator(mode="after")
    def _shape(self) -> Item:
        if self.type == "choice" and not self.options:
            raise ValueError(f"item {self.link_id}: a choice item needs options")
        if self.type == "number" and (self.minimum is None or self.maximum is None):
            raise ValueError(f"item {self.link_id}: a number item needs minimum and maximum")
        return self

    def allowed_range(self) -> tuple[float, float]:
        if self.type == "choice":
            values = [o.value for o in self.options]
            return min(values), max(values)
        if self.type == "yes-no":
            return 0.0, 1.0
        if self.type == "scale-0-100":
            return 0.0, 100.0
        assert self.minimum is not None and self.maximum is not None  # noqa: S101  (validated)
        return self.minimum, self.maximum


class Subscale(Strict):
    name: str
    items: list[str]
    method: Literal["sum", "mean"] = "sum"


class Scoring(Strict):
    method: Literal["sum", "mean", "none"]
    multiplier: float = 1.0  # WHO-5: raw x 4 gives 0-100
    subscales: list[Subscale] = []
    percent_of_maximum: bool = False  # report subscales also as % of their maximum


class Band(Strict):
    minimum: float
    maximum: float
    label: str
    label_nb: str = ""  # Norwegian Bokmål (core/clinical_text.py)
    on: Literal["total", "raw"] = "total"

    @property
    def text(self) -> str:
        return in_reader_language(self.label, self.label_nb)


class CutOff(Strict):
    """A threshold on the total: `at_least` or `below`. `sex` limits it (AUDIT-C)."""

    label: str
    label_nb: str = ""  # Norwegian Bokmål (core/clinical_text.py)
    flag: str
    at_least: float | None = None
    below: float | None = None
    sex: Literal["female", "male"] | None = None
    on: Literal["total", "raw"] = "total"

    @property
    def text(self) -> str:
        return in_reader_language(self.label, self.label_nb)


class SubscaleRule(Strict):
    """A flag when every subscale reaches a % of its maximum (MEQ30 "complete" experience)."""

    flag: str
    all_subscales_percent_at_least: float


class ItemRule(Strict):
    """A flag when any of `items` is answered `at_least` (SDS: >=5 on any domain)."""

    flag: str
    items: list[str]
    at_least: float


class CountRule(Strict):
    """A flag when, per subscale, enough items reach `item_at_least` (PCL-5 DSM-5 rule)."""

    flag: str
    item_at_least: float
    minimum_per_subscale: dict[str, int]


class ChangeRule(Strict):
    """Change against the baseline, in points of the total. `better` is the good direction."""

    better: Literal["lower", "higher"]
    reliable: float | None = None
    meaningful: float | None = None
    source: str = ""


class Threshold(Strict):
    """One outcome threshold with its source. `unconfirmed` marks a convention or a reviewed
    default rather than a published, verified number."""

    source: str
    unconfirmed: bool = False


class ReliableChange(Threshold):
    """A published reliable-change threshold in points, or Jacobson-Truax from a normative SD
    and test-retest reliability: 1.96 * sd * sqrt(2) * sqrt(1 - reliability)."""

    points: float | None = Field(default=None, gt=0)
    sd: float | None = Field(default=None, gt=0)
    reliability: float | None = Field(default=None, gt=0, lt=1)

    @model_validator(mode="after")
    def _one_way(self) -> ReliableChange:
        if (self.points is None) == (self.sd is None or self.reliability is None):
            raise ValueError("give either points, or sd and reliability (Jacobson-Truax)")
        return self

    @property
    def threshold(self) -> float:
        if self.points is not None:
            return self.points
        assert self.sd is not None and self.reliability is not None  # noqa: S101  (validated)
        return 1.96 * self.sd * (2 * (1 - self.reliability)) ** 0.5


class Response(Threshold):
    """Improvement by at least `points`, or by at least `percent` of the baseline."""

    points: float | None = Field(default=None, gt=0)
    percent: float | None = Field(default=None, gt=0, le=100)

    @model_validator(mode="after")
    def _one_way(self) -> Response:
        if (self.points is None) == (self.percent is None):
            raise ValueError("give either points or percent")
        return self


class Remission(Threshold):
    """An endpoint total at or below `at_most` (where lower is better), optionally only with
    reliable change as well ("recovered" in Jacobson-Truax terms)."""

    at_most: float
    needs_reliable_change: bool = False


class Diagnosis(Threshold):
    """A provisional diagnosis: the total at or above `at_least`."""

    at_least: float


class OutcomeRules(Strict):
    """Categories for outcome reports. Clinically meaningful change is `change.meaningful`."""

    reliable_change: ReliableChange | None = None
    response: Response | None = None
    remission: Remission | None = None
    provisional_diagnosis: Diagnosis | None = None


class SafetyRule(Strict):
    """An answer that raises a safety alert: `item` answered `at_least` this value."""

    item: str
    at_least: float
    severity: Literal["watch", "act"]
    reason_code: str
    source: str = ""


class Source(Strict):
    """A cited source. Shipped files follow holdspace.core.sources.Source (kind, identifier);
    definitions imported from FHIR or written by a clinic may carry only a citation."""

    citation: str
    kind: SourceKind | None = None
    doi: str = ""
    pmid: str = ""
    nct: str = ""
    url: str = ""
    copy_read: str = ""
    not_found: str = ""


class Definition(Strict):
    code: str
    name: str
    version: str
    citation: str
    sources: list[Source] = []
    licence: str
    licence_verdict: Literal["text", "structure-only"]
    licence_note: str = ""
    usable: bool = True  # False: not enough is confirmed to administer it (PPS scale)
    usable_note: str = ""
    recall_period: str = ""
    rated_by: Literal["self", "clinician"] = "self"
    loinc_panel: str = ""
    loinc_total: str = ""
    score_entry_only: bool = False  # the clinician enters the total (BDI-II, CAPS-5, SDS)
    total_range: tuple[float, float] | None = None  # for score entry only
    items: list[Item]
    scoring: Scoring
    bands: list[Band] = []
    cut_offs: list[CutOff] = []
    subscale_rules: list[SubscaleRule] = []
    item_rules: list[ItemRule] = []
    count_rules: list[CountRule] = []
    change: ChangeRule | None = None
    outcomes: OutcomeRules | None = None
    safety: list[SafetyRule] = []
    notes: list[str] = []
    # Imported FHIR Questionnaires: the form's own linkIds (theirs -> ours), and the linkId of
    # the form's calculated total, so a QuestionnaireResponse can be read and its total checked.
    source_link_ids: dict[str, str] = {}
    source_total_link_id: str = ""
    source_url: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> Definition:
        ids = [item.link_id for item in self.items]
        if ids != [str(n) for n in range(1, len(ids) + 1)]:
            raise ValueError('items: linkIds must be "1", "2", ... in published order')
        if self.licence_verdict == "structure-only" and any(item.text for item in self.items):
            raise ValueError("items: a structure-only instrument must not carry item text")
        known = set(ids)
        for subscale in self.scoring.subscales:
            unknown = set(subscale.items) - known
            if unknown:
                raise ValueError(f"scoring.subscales.{subscale.name}: unknown items {unknown}")
        for rule in self.safety:
            if rule.item not in known:
                raise ValueError(f"safety: unknown item {rule.item}")
        for item_rule in self.item_rules:
            if set(item_rule.items) - known:
                raise ValueError(f"item_rules.{item_rule.flag}: unknown items")
        names = {subscale.name for subscale in self.scoring.subscales}
        for count_rule in self.count_rules:
            if set(count_rule.minimum_per_subscale) - names:
                raise ValueError(f"count_rules.{count_rule.flag}: unknown subscales")
        if self.score_entry_only and self.total_range is None:
            raise ValueError("total_range: needed when score_entry_only")
        return self

    def band_text(self, label: str) -> str:
        """A stored band or cut-off label (English) in the reader's language."""
        named: list[Band | CutOff] = [*self.bands, *self.cut_offs]
        return next((each.text for each in named if each.label == label), label)

    def item(self, link_id: str) -> Item | None:
        return next((item for item in self.items if item.link_id == link_id), None)

    @property
    def has_text(self) -> bool:
        return self.licence_verdict == "text" and all(item.text for item in self.items)


class DefinitionError(Exception):
    """A definition file that does not follow the schema: names the file and the field."""


def parse_definition(data: object, *, origin: str) -> Definition:
    try:
        return Definition.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise DefinitionError(f"{origin}: field {field}: {first['msg']}") from exc


def load_file(path: Path) -> Definition:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise DefinitionError(f"{path.name}: not valid YAML: {exc}") from exc
    return parse_definition(data, origin=path.name)


def load_directory(directory: Path | None = None) -> dict[str, Definition]:
    found: dict[str, Definition] = {}
    for path in sorted((directory or DATA_DIR).glob("*.yaml")):
        definition = load_file(path)
        if definition.code in found:
            raise DefinitionError(f"{path.name}: field code: {definition.code} is defined twice")
        found[definition.code] = definition
    return found
