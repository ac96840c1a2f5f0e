"""Imports of real-world FHIR Questionnaire shapes (LHC-Forms PHQ-9, synthetic fixture):
weighted questions, an unweighted question (69722-7), a calculated total, nested groups and a
contained answerValueSet; each scores exactly as the shipped PHQ-9 does. And a FHIR
QuestionnaireResponse posted to /clients/{code}/responses is scored the same way."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client as HttpClient

from holdspace.api.services import api_token_create
from holdspace.measures import library
from holdspace.measures.definitions import DefinitionError
from holdspace.measures.fhir import questionnaire_import
from holdspace.measures.scoring import score
from holdspace.people.actors import Actor

from .helpers import phq9

FIXTURE = Path(__file__).parent / "fixtures" / "lhc_phq9_full.json"
pytestmark = pytest.mark.django_db


def _form() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text())


def _nested(form: dict[str, Any]) -> dict[str, Any]:
    """The nine questions in a group inside a group; total and difficulty outside."""
    nested = copy.deepcopy(form)
    questions, rest = nested["item"][:9], nested["item"][9:]
    nested["item"] = [
        {
            "linkId": "/outer",
            "type": "group",
            "text": "Over the last two weeks",
            "item": [{"linkId": "/inner", "type": "group", "item": questions}],
        },
        {"linkId": "/intro", "type": "display", "text": "Thank you."},
        *rest,
    ]
    return nested


def _value_set(form: dict[str, Any]) -> dict[str, Any]:
    """The weighted options moved to a contained ValueSet named by answerValueSet."""
    shaped = copy.deepcopy(form)
    first = shaped["item"][0]["answerOption"]
    shaped["contained"] = [
        {
            "resourceType": "ValueSet",
            "id": "phq-answers",
            "status": "active",
            "compose": {
                "include": [
                    {
                        "system": "http://loinc.org",
                        "concept": [
                            {
                                "code": o["valueCoding"]["code"],
                                "display": o["valueCoding"]["display"],
                                "extension": [
                                    e for e in o["extension"] if e["url"].endswith("ordinalValue")
                                ],
                            }
                            for o in first
                        ],
                    }
                ]
            },
        }
    ]
    for item in shaped["item"][:9]:
        del item["answerOption"]
        item["answerValueSet"] = "#phq-answers"
    return shaped


@pytest.mark.parametrize("shape", ["flat", "nested", "value_set"])
def test_each_shape_scores_as_the_shipped_phq9(shape: str) -> None:
    form = {
        "flat": _form,
        "nested": lambda: _nested(_form()),
        "value_set": lambda: _value_set(_form()),
    }[shape]()
    definition, report = questionnaire_import(form, code="PHQ-9-LHC")
    actions = {r["linkId"]: r["action"] for r in report}
    assert actions["/69722-7"] == "kept, not scored"
    assert actions["/44261-6"] == "left out"  # the calculated total
    assert [actions[f"/{c}"] for c in ("44250-9", "44260-8")] == ["scored", "scored"]
    if shape == "nested":
        assert actions["/outer"] == actions["/inner"] == "group"
    difficulty = definition.items[-1]
    assert difficulty.loinc == "69722-7" and not difficulty.scored
    shipped = library.shipped()["PHQ-9"]
    for answers in (phq9(0), phq9(7, 2), phq9(27, 3)):
        with_difficulty = answers | {difficulty.link_id: 3}
        assert score(definition, with_difficulty).total == score(shipped, answers).total


def test_what_cannot_be_scored_is_refused_by_item() -> None:
    outside = _value_set(_form())
    del outside["contained"]
    with pytest.raises(DefinitionError, match=r"/44250-9.*answerValueSet"):
        questionnaire_import(outside, code="X")
    mixed = _form()
    del mixed["item"][0]["answerOption"][1]["extension"][1]
    with pytest.raises(DefinitionError, match=r"/44250-9.*some options"):
        questionnaire_import(mixed, code="X")
    unweighted = _form()
    for item in unweighted["item"]:
        for option in item.get("answerOption", []):
            option["extension"] = []
    with pytest.raises(DefinitionError, match="nothing is scored"):
        questionnaire_import(unweighted, code="X")


def _response(answers: list[int], total: float, canonical: str) -> dict[str, Any]:
    form = _form()
    items = []
    for item, value in zip(form["item"][:9], answers, strict=True):
        option = item["answerOption"][value]
        items.append({"linkId": item["linkId"], "answer": [{"valueCoding": option["valueCoding"]}]})
    items.append({"linkId": "/44261-6", "answer": [{"valueDecimal": total}]})
    items.append(
        {
            "linkId": "/69722-7",
            "answer": [
                {
                    "valueCoding": {
                        "system": "http://loinc.org",
                        "code": "LA6571-9",
                        "display": "Somewhat difficult",
                    }
                }
            ],
        }
    )
    return {
        "resourceType": "QuestionnaireResponse",
        "status": "completed",
        "questionnaire": canonical,
        "item": [{"linkId": "/outer", "item": items}],
    }


def test_post_a_fhir_questionnaire_response(clinics, lead, therapist) -> None:  # type: ignore[no-untyped-def]
    def api(member):  # type: ignore[no-untyped-def]
        _row, raw = api_token_create(by=Actor.command_line(member), user=member.user, name="t")
        return HttpClient(headers={"Authorization": f"Bearer {raw}"})

    imported = api(lead).post(
        "/api/v1/clinic-instruments",
        json.dumps({"code": "PHQ-9-LHC", "questionnaire": _form()}),
        content_type="application/json",
    )
    assert imported.status_code == 201
    items = {r["linkId"]: r["action"] for r in imported.json()["items"]}
    assert items["/69722-7"] == "kept, not scored"

    url = f"/api/v1/clients/{clinics.client.code}/responses"
    answers = [1, 2, 0, 3, 1, 0, 2, 1, 0]
    body = _response(answers, total=10, canonical=_form()["url"])
    reply = api(therapist).post(url, json.dumps(body), content_type="application/json")
    assert reply.status_code == 201, reply.content
    data = reply.json()
    assert data["instrument_code"] == "PHQ-9-LHC"
    assert data["score"]["total"] == sum(answers) == 10
    assert data["notes"] == []

    # The same answers to the shipped PHQ-9 (its canonical URL) score the same; a form
    # total that disagrees is reported, ours kept.
    shipped = _response(
        answers, total=12, canonical="https://holdspace.org/fhir/Questionnaire/PHQ-9"
    )
    reply = api(therapist).post(url, json.dumps(shipped), content_type="application/json")
    assert reply.status_code == 201, reply.content
    assert reply.json()["score"]["total"] == 10
    assert "12" in reply.json()["notes"][0]

    unknown = api(therapist).post(
        url,
        json.dumps(_response(answers, 10, "https://x.example/q")),
        content_type="application/json",
    )
    assert unknown.status_code == 422 and "questionnaire" in unknown.json()["errors"]
    outsider = api(therapist).post(
        f"/api/v1/clients/{clinics.south_client.code}/responses",
        json.dumps(body),
        content_type="application/json",
    )
    assert outsider.status_code == 404
