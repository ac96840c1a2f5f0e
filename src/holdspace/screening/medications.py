"""The medication list (`data/medications/medications.yaml`): names to classes and ATC codes."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml
from django.conf import settings
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from holdspace.core.clinical_text import in_reader_language
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
    nb: str = ""  # the generic name spelt in Norwegian (core/clinical_text.py)
    brands: list[str] = []
    classes: list[str] = Field(min_length=1)
    atc: str = Field(pattern=r"^[A-Z][0-9]{2}[A-Z]{2}[0-9]{2}$")
    checked: Check | None = None  # None: still to be checked by a pharmacist


class _ListFile(BaseModel):
    model_config = ConfigDict(extra="ignore")
    title: str
    licence: str
    classes: dict[str, str]
    classes_nb: dict[str, str] = {}  # the class names in Norwegian Bokmål
    sources: list[Source] = Field(min_length=1)
    medications: list[_Entry]


@dataclass(frozen=True)
class Drug:
    key: str  # the generic name
    brands: tuple[str, ...]
    classes: tuple[str, ...]
    atc: str
    checked: Check | None = None
    nb: str = ""  # the generic name in Norwegian spelling

    @property
    def name(self) -> str:
        """The generic name in the reader's language."""
        return in_reader_language(self.key, self.nb)

    @property
    def label(self) -> str:
        return f"{self.name} ({', '.join(self.brands)})" if self.brands else self.name


@dataclass(frozen=True)
class MedicationList:
    drugs: dict[str, Drug]
    by_name: dict[str, Drug]  # every generic and brand name, lower case
    class_labels: dict[str, str]
    class_labels_nb: dict[str, str] = field(default_factory=dict)

    def class_text(self, key: str) -> str:
        """A drug class's name in the reader's language ("SSRI"), not its key ("ssri")."""
        return in_reader_language(
            self.class_labels.get(key, key), self.class_labels_nb.get(key, "")
        )

    def match(self, name: str) -> Drug | None:
        """The drug whose generic or brand name is `name` (or `generic (brands)` as offered).

        Strengths, forms and a maker's name around it are ignored ("cipralex 10mg",
        "Escitalopram Orion"), and spelling is folded so the Norwegian generic name finds the
        drug too ("sertralin", "fluoksetin")."""
        text = name.strip().lower()
        if not text:
            return None
        found = self.by_name.get(text)
        if found is None and "(" in text:
            found = self.by_name.get(text.split("(", 1)[0].strip())
        if found is None:
            folded = self._folded()
            words = _name_words(text)
            found = folded.get(fold(" ".join(words)))
            for word in words:
                found = found or folded.get(fold(word))
        return found

    def _folded(self) -> dict[str, Drug]:
        cached: dict[str, Drug] | None = getattr(self, "_folded_index", None)
        if cached is None:
            cached = {fold(name): drug for name, drug in self.by_name.items()}
            object.__setattr__(self, "_folded_index", cached)  # a frozen dataclass's memo
        return cached

    def search(self, query: str, limit: int = 20) -> list[Drug]:
        """Drugs with a name containing the query, strengths and forms ignored, spelling folded;
        failing that, drugs named by any one word of it ("escitalopram orion")."""
        words = _name_words(query.strip().lower())
        if not words:
            return []
        whole = fold(" ".join(words))

        def names(drug: Drug) -> list[str]:
            return [fold(name) for name in (drug.key, drug.nb or drug.key, *drug.brands)]

        hits = [d for d in self.drugs.values() if any(whole in n for n in names(d))]
        if not hits:
            folded_words = {fold(w) for w in words}
            hits = [d for d in self.drugs.values() if folded_words & set(names(d))]
        return hits[:limit]


# Words that say how much or in what form, not which drug (English and Norwegian).
_FORM_WORDS = frozenset(
    {
        "mg",
        "mcg",
        "µg",
        "g",
        "ml",
        "mg/ml",
        "tablet",
        "tablets",
        "tab",
        "tabs",
        "tabl",
        "tablett",
        "tabletter",
        "capsule",
        "capsules",
        "kapsel",
        "kapsler",
        "depot",
        "retard",
        "smeltetablett",
        "mikstur",
        "dråper",
        "drops",
        "injection",
        "injeksjon",
        "oral",
        "solution",
    }
)


def _name_words(text: str) -> list[str]:
    words = []
    for word in text.replace(",", " ").split():
        bare = word.strip("().")
        if not bare or bare in _FORM_WORDS or any(ch.isdigit() for ch in bare):
            continue  # "10mg", "20", "2,5mg", "tablett"
        words.append(bare)
    return words


def fold(name: str) -> str:
    """A spelling key shared by English and Norwegian generic names: sertraline/sertralin,
    fluoxetine/fluoksetin, quetiapine/kvetiapin, clomipramine/klomipramin, lithium/litium."""
    text = name.lower().strip()
    for old, new in (("x", "ks"), ("ph", "f"), ("th", "t"), ("qu", "kv")):
        text = text.replace(old, new)
    text = "".join(
        "k" if ch == "c" and (i + 1 == len(text) or text[i + 1] not in "eiy") else ch
        for i, ch in enumerate(text)
    )
    return text.removesuffix("e")


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
            entry.generic,
            tuple(entry.brands),
            tuple(entry.classes),
            entry.atc,
            entry.checked,
            entry.nb,
        )
        drugs[drug.key] = drug
        # The Norwegian spelling is a name of its own where it differs ("litium", "sertralin").
        nb_name = [entry.nb] if entry.nb and entry.nb.lower() != entry.generic.lower() else []
        for name in (entry.generic, *nb_name, *entry.brands):
            if name.lower() in by_name:
                raise RulesError(f"{path.name}: the name {name!r} is listed twice")
            by_name[name.lower()] = drug
    return MedicationList(drugs, by_name, parsed.classes, parsed.classes_nb)


@cache
def medication_list() -> MedicationList:
    return load_medication_list(Path(settings.DATA_DIR) / "medications" / "medications.yaml")
