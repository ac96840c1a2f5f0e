"""A clinic's own definitions (platform admin): validated, and used by that clinic only."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from holdspace.measures import library, services
from holdspace.measures.models import InstrumentDefinition

from .helpers import actor, assign

pytestmark = pytest.mark.django_db


def _wai_with_text() -> dict[str, object]:
    body = library.shipped()["WAI-SR"].model_dump(mode="json", by_alias=True)
    body["version"] = "2006.1-north"
    body["licence_verdict"] = "text"
    body["licence_note"] = "Written SPR permission on file (synthetic test)."
    for item in body["items"]:  # type: ignore[union-attr]
        item["text"] = f"Synthetic test wording {item['linkId']}"  # type: ignore[index]
    return body


def test_a_broken_body_is_refused_naming_the_field(clinics):
    row = InstrumentDefinition(clinic=clinics.north, code="X", version="1", body={"code": "X"})
    with pytest.raises(ValidationError, match="field"):
        row.full_clean()


def test_licensed_text_for_a_structure_only_instrument_applies_to_that_clinic_only(
    clinics, therapist
):
    row = InstrumentDefinition(
        clinic=clinics.north, code="WAI-SR", version="2006.1-north", body=_wai_with_text()
    )
    row.full_clean()
    row.save()
    assert library.definition_for(clinics.north.pk, "WAI-SR").has_text
    assert not library.definition_for(clinics.south.pk, "WAI-SR").has_text
    assignment = assign(therapist, clinics.client, code="WAI-SR")
    assert services.link_issue(by=actor(therapist), assignment=assignment)


def test_the_clinics_own_are_read_by_sql_compiled_once_and_a_new_one_counts(clinics, monkeypatch):
    built = []
    original = library._own_query
    monkeypatch.setattr(
        library, "_own_query", lambda clinic_id: built.append(clinic_id) or original(clinic_id)
    )
    library._own_sql.clear()
    assert not library.definitions_for(clinics.north.pk)["WAI-SR"].has_text
    InstrumentDefinition.objects.create(
        clinic=clinics.north, code="WAI-SR", version="2006.1-north", body=_wai_with_text()
    )
    assert library.definitions_for(clinics.north.pk)["WAI-SR"].has_text
    assert not library.definitions_for(clinics.south.pk)["WAI-SR"].has_text
    assert len(built) == 1
