"""Which instrument definitions a clinic can use: the shipped files, then its own.

The files are read once at start-up (`load_shipped`, from AppConfig.ready) and a broken file
stops the start with the file and field named. A clinic's own definition (admin or FHIR import)
with the same code replaces the shipped one for that clinic.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from holdspace.core.compiled import CompiledQueries

from .definitions import Definition, load_directory
from .models import InstrumentDefinition

_shipped: dict[str, Definition] = {}


def load_shipped() -> dict[str, Definition]:
    global _shipped
    _shipped = load_directory()
    return _shipped


def shipped() -> dict[str, Definition]:
    if not _shipped:
        load_shipped()
    return _shipped


def band_text(code: str, label: str) -> str:
    """A stored score band in the reader's language (the shipped definition's translation)."""
    definition = shipped().get(code)
    return definition.band_text(label) if definition is not None and label else label


def definitions_for(clinic_id: int | None) -> dict[str, Definition]:
    found = dict(shipped())
    if clinic_id is not None:
        # The clinic's own, by SQL compiled once per process (`core.compiled`): every page
        # that shows measures asks.
        for row in _own_sql.bound("own", _own_query, clinic_id=clinic_id).objects():
            found[row.code] = row.definition()
    return dict(sorted(found.items()))


def _own_query(clinic_id: int) -> QuerySet[InstrumentDefinition]:
    return InstrumentDefinition.objects.filter(clinic_id=clinic_id, is_active=True)


_own_sql = CompiledQueries()


def definition_for(clinic_id: int | None, code: str) -> Definition:
    """The definition this clinic uses for `code`; 404 if there is none."""
    if clinic_id is not None:
        row = InstrumentDefinition.objects.filter(
            clinic_id=clinic_id, code=code, is_active=True
        ).first()
        if row is not None:
            return row.definition()
    definition = shipped().get(code)
    if definition is None:
        raise Http404("No such instrument.")
    return definition
