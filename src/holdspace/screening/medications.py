"""The medication list (`data/medications/medications.yaml`): names to classes and ATC codes."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from django.conf import settings
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from holdspace.core.sources import Source

from .rules import RulesError


class Check(BaseModel):
    """What a reviewer compared with public product information, and where."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    url: str = Field(pattern=r"^https://")
    what: str = Field(min_length=3)


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    generic: str
    brands: list[str] = []
    classes: list[str] = Field(min_length=1)
    atc: str = Field(pattern=r"^[A-Z][0-9]{2}[A-Z]{2}[0-9]{2}$")
    checked: Check | None = None  # None: still to be checked by a pharmacist


class _ListFile(BaseModel):
    model_config = ConfigDict(extra="ignore")
    title: str
    licence: str
    classes: dict[str, str]
    sources: list[Source] = Field(min_length=1)
    medications: list[_Entry]


@dataclass(frozen=True)
class Drug:
    key: str  # the generic name
    brands: tuple[str, ...]
    classes: tuple[str, ...]
    atc: str
    checked: Check | None = None

    @property
    def label(self) -> str:
        return f"{self.key} ({', '.join(self.brands)})" if self.brands else self.key


@dataclass(frozen=True)
class MedicationList:
    drugs: dict[str, Drug]
    by_name: dict[str, Drug]  # every generic and brand name, lower case
    class_labels: dict[str, str]

    def match(self, name: str) -> Drug | None:
        """The drug whose generic or brand name is `name` (or `generic (brands)` as offered)."""
        text = name.strip().lower()
        if not text:
            return None
        found = self.by_name.get(text)
        if found is None and "(" in text:
            found = self.by_name.get(text.split("(", 1)[0].strip())
        return found

    def search(self, query: str, limit: int = 20) -> list[Drug]:
        text = query.strip().lower()
        hits = [
            drug
            for drug in self.drugs.values()
            if text in drug.key.lower() or any(text in b.lower() for b in drug.brands)
        ]
        return hits[:limit]


def load_medication_list(path: Path) -> MedicationList:
    try:
        parsed = _ListFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (ValidationError, yaml.YAMLError) as error:
        raise RulesError(f"{path.name}: {error}") from error
    drugs: dict[str, Drug] = {}
    by_name: dict[str, Drug] = {}
    for entry in parsed.medications:
        unknown = set(entry.classes) - set(parsed.classes)
        if unknown:
            raise RulesError(f"{path.name}: {entry.generic}: unknown class {sorted(unknown)}")
        drug = Drug(
            entry.generic, tuple(entry.brands), tuple(entry.classes), entry.atc, entry.checked
        )
        drugs[drug.key] = drug
        for name in (entry.generic, *entry.brands):
            if name.lower() in by_name:
                raise RulesError(f"{path.name}: the name {name!r} is listed twice")
            by_name[name.lower()] = drug
    return MedicationList(drugs, by_name, parsed.classes)


@cache
def medication_list() -> MedicationList:
    return load_medication_list(Path(settings.DATA_DIR) / "medications" / "medications.yaml")
