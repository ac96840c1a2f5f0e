"""/api/v1/instruments and a client's assignments and responses: every 4xx, and FHIR."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.test import Client as HttpClient
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from holdspace.api.services import api_token_create
from holdspace.measures import library
from holdspace.measures.scoring import score
from holdspace.people.actors import Actor

from .helpers import actor, phq9

pytestmark = pytest.mark.django_db

FIXTURE = Path(__file__).parent / "fixtures" / "lhc_phq9_shape.json"


def _api(member):  # type: ignore[no-untyped-def]
    _row, raw = api_token_create(by=Actor.command_line(member), user=member.user, name="t")
    return HttpClient(headers={"Authorization": f"Bearer {raw}"})


def _post(client, path, body):  # type: ignore[no-untyped-def]
    return client.post(path, json.dumps(body), content_type="application/json")


def test_instruments_list_and_detail(clinics, therapist):
    api = _api(therapist)
    codes = {row["code"] for row in api.get("/api/v1/instruments").json()}
    assert {"PCL-5", "PHQ-9", "AUDIT-C", "MEQ30"} <= codes
    detail = api.get("/api/v1/instruments/PHQ-9").json()
    assert detail["loinc_panel"] == "44249-1" and detail["items"][0]["linkId"] == "1"


def test_unknown_instrument_is_404(clinics, therapist):
    api = _api(therapist)
    assert api.get("/api/v1/instruments/NOPE").status_code == 404
    assert _post(api, "/api/v1/instruments/NOPE/score", {"answers": {}}).status_code == 404


def test_without_credentials_401(clinics):
    assert HttpClient().get("/api/v1/instruments").status_code == 401
    reply = HttpClient().post(
        "/api/v1/instruments/PHQ-9/score", "{}", content_type="application/json"
    )
    assert reply.status_code == 401


def test_stateless_score(clinics, therapist):
    reply = _post(_api(therapist), "/api/v1/instruments/PHQ-9/score", {"answers": phq9(10, 1)})
    assert reply.status_code == 200
    assert reply.json() == {
        "instrument": "PHQ-9",
        "version": "2001.1",
        "total": 11.0,
        "subscales": {},
        "band": "moderate",
        "flags": ["phq9.mdd-cut-off", "phq9.item9"],
    }


def test_score_with_sex_for_auditc(clinics, therapist):
    body = {"answers": {"1": 1, "2": 1, "3": 1}, "sex": "female"}
    assert _post(_api(therapist), "/api/v1/instruments/AUDIT-C/score", body).json()["band"] == (
        "positive screen"
    )
    bad = _post(_api(therapist), "/api/v1/instruments/AUDIT-C/score", body | {"sex": "x"})
    assert bad.status_code == 422 and "sex" in bad.json()["errors"]


@pytest.mark.parametrize(
    "answers, item",
    [
        (phq9(3) | {"10": 1}, "10"),  # unknown linkId
        (phq9(3) | {"2": 4}, "2"),  # out of range
        (phq9(3) | {"3": "often"}, "3"),  # not a number
        ({k: v for k, v in phq9(3).items() if k != "5"}, "5"),  # missing
    ],
)
def test_wrong_answers_are_422_naming_the_item(clinics, therapist, answers, item):
    reply = _post(_api(therapist), "/api/v1/instruments/PHQ-9/score", {"answers": answers})
    assert reply.status_code == 422
    assert f"answers.{item}" in reply.json()["errors"] and f"item {item}" in reply.json()["detail"]


def test_malformed_body_is_422(clinics, therapist):
    assert _post(_api(therapist), "/api/v1/instruments/PHQ-9/score", {"nope": 1}).status_code == 422


def test_client_assignments_read_and_write(clinics, therapist):
    api = _api(therapist)
    path = f"/api/v1/clients/{clinics.client.code}/assignments"
    made = _post(api, path, {"instrument_code": "PCL-5", "due_on": "2030-01-01", "timepoint": "b"})
    assert made.status_code == 201
    assert [a["instrument_code"] for a in api.get(path).json()] == ["PCL-5"]


def test_client_routes_are_scoped(clinics, therapist_off_team, outsider, researcher):
    for member in (therapist_off_team, outsider):
        api = _api(member)
        assert api.get(f"/api/v1/clients/{clinics.client.code}/responses").status_code == 404
        body = {"instrument_code": "PCL-5", "due_on": "2030-01-01"}
        assert (
            _post(api, f"/api/v1/clients/{clinics.client.code}/assignments", body).status_code
            == 404
        )
    research = _api(researcher)
    body = {"instrument_code": "PHQ-9", "answers": phq9(3)}
    assert (
        _post(research, f"/api/v1/clients/{clinics.client.code}/responses", body).status_code == 403
    )
    assert research.get(f"/api/v1/clients/{clinics.client.code}/responses").status_code == 200


def test_assign_unknown_or_unusable_instrument(clinics, therapist):
    api = _api(therapist)
    path = f"/api/v1/clients/{clinics.client.code}/assignments"
    assert _post(api, path, {"instrument_code": "NOPE", "due_on": "2030-01-01"}).status_code == 404
    assert _post(api, path, {"instrument_code": "PPS", "due_on": "2030-01-01"}).status_code == 422
    assert _post(api, path, {"instrument_code": "PCL-5", "due_on": "soon"}).status_code == 422


def test_client_responses_write_score_and_read(clinics, therapist):
    api = _api(therapist)
    path = f"/api/v1/clients/{clinics.client.code}/responses"
    made = _post(api, path, {"instrument_code": "PHQ-9", "answers": phq9(15)})
    assert made.status_code == 201 and made.json()["score"]["band"] == "moderately severe"
    bad = _post(api, path, {"instrument_code": "PHQ-9", "answers": phq9(3) | {"1": 9}})
    assert bad.status_code == 422 and "answers.1" in bad.json()["errors"]
    total = _post(api, path, {"instrument_code": "BDI-II", "answers": {"total": 30}})
    assert total.status_code == 201 and total.json()["score"]["band"] == "severe"
    assert len(api.get(path).json()) == 2


@pytest.mark.parametrize("code", sorted(library.shipped()))
def test_every_instrument_exports_as_a_valid_fhir_questionnaire(clinics, therapist, code):
    resource = _api(therapist).get(f"/api/v1/instruments/{code}/fhir").json()
    Questionnaire.model_validate(resource)
    assert resource["copyright"]
    if code == "PHQ-9":
        assert resource["code"][0]["code"] == "44249-1"
        option = resource["item"][0]["answerOption"][2]
        assert option["extension"][0]["valueDecimal"] == 2
        assert option["valueCoding"]["code"] == "LA6570-1"


def test_a_response_exports_as_a_valid_questionnaire_response(clinics, therapist):
    from holdspace.measures import services

    score = services.response_record(
        by=actor(therapist), client=clinics.client, instrument_code="PHQ-9", answers=phq9(4)
    )
    path = f"/api/v1/clients/{clinics.client.code}/responses/{score.response.pk}/fhir"
    resource = _api(therapist).get(path).json()
    QuestionnaireResponse.model_validate(resource)
    assert resource["status"] == "completed" and len(resource["item"]) == 9


def test_a_lhc_forms_phq9_imports_and_scores_the_same_as_ours(clinics, lead, therapist, outsider):
    questionnaire = json.loads(FIXTURE.read_text())
    reply = _post(
        _api(lead),
        "/api/v1/clinic-instruments",
        {"code": "PHQ-9-LHC", "questionnaire": questionnaire},
    )
    assert reply.status_code == 201
    imported = library.definition_for(clinics.north.pk, "PHQ-9-LHC")
    for answers in (phq9(0), phq9(7, 2), phq9(24, 3)):
        ours = score(library.shipped()["PHQ-9"], answers).total
        assert score(imported, answers).total == ours
    api = _api(therapist)
    result = _post(api, "/api/v1/instruments/PHQ-9-LHC/score", {"answers": phq9(7, 2)}).json()
    assert result["total"] == 9
    # measures.selectors.clinic_instruments_for_user: the clinic's own, never another clinic's.
    listed = api.get("/api/v1/clinic-instruments").json()
    assert [row["code"] for row in listed] == ["PHQ-9-LHC"]
    assert _api(outsider).get("/api/v1/clinic-instruments").json() == []


def test_import_refuses_other_roles_and_bad_questionnaires(clinics, lead, therapist):
    questionnaire = json.loads(FIXTURE.read_text())
    body = {"code": "X1", "questionnaire": questionnaire}
    assert _post(_api(therapist), "/api/v1/clinic-instruments", body).status_code == 403
    del questionnaire["item"][0]["answerOption"][0]["extension"][1]
    reply = _post(_api(lead), "/api/v1/clinic-instruments", body | {"questionnaire": questionnaire})
    assert reply.status_code == 422 and "ordinalValue" in reply.json()["detail"]
    not_fhir = _post(_api(lead), "/api/v1/clinic-instruments", body | {"questionnaire": {"a": 1}})
    assert not_fhir.status_code == 422
    shipped = _post(_api(lead), "/api/v1/clinic-instruments", body | {"code": "PHQ-9"})
    assert shipped.status_code == 422


def test_scoring_rules_and_clinic_instruments_can_be_read(clinics, lead):
    api = _api(lead)
    rules = api.get("/api/v1/instruments/PHQ-9/score").json()
    assert rules["change"]["meaningful"] == 5 and rules["safety"][0]["item"] == "9"
    assert api.get("/api/v1/clinic-instruments").json() == []
    _post(
        api,
        "/api/v1/clinic-instruments",
        {"code": "PHQ-9-LHC", "questionnaire": json.loads(FIXTURE.read_text())},
    )
    assert [row["code"] for row in api.get("/api/v1/clinic-instruments").json()] == ["PHQ-9-LHC"]
