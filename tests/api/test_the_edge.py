"""Issue 9's findings at the API's edge: a refused request changes nothing and answers 4xx
with the field named, in one error shape; reads go through the owning app's selector."""

from __future__ import annotations

import json

import pytest

from holdspace.audit.models import AuditEvent
from holdspace.people.actors import Actor
from holdspace.people.models import Client
from holdspace.screening import services as screening_services
from holdspace.screening.models import MedicalHistory, PsychiatricHistory

from ..conftest import signed_in

pytestmark = pytest.mark.django_db

NOTE_TEXT = "CANARY-note-text-4711"
MEDICAL = {
    "hypertension": "uncontrolled", "arrhythmia": False, "qtc_value": None, "qtc_unit": "",
    "other_cardiovascular": False, "liver_disease": False, "glaucoma": False, "diabetes": False,
    "hyperthyroidism": False, "pregnant": True, "breastfeeding": False, "weight_kg": None,
    "height_cm": None,
}  # fmt: skip
PSYCHIATRIC = {
    "psychotic_disorder": False, "bipolar_1": False, "mdd_psychotic_features": False,
    "dissociative_identity_disorder": False, "eating_disorder_purging": False,
    "personality_disorder": False, "alcohol_use_disorder": "none", "alcohol_in_remission": False,
    "cannabis_use_disorder": "none", "cannabis_in_remission": False,
    "other_sud_last_12_months": False, "suicide_risk": "high",
}  # fmt: skip


def _send(browser, method, url, body):  # type: ignore[no-untyped-def]
    return getattr(browser, method)(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def note(clinics, therapist):  # type: ignore[no-untyped-def]
    from holdspace.courses.models import Course
    from holdspace.integration import services

    course = Course.objects.create(
        clinic=clinics.north, template_key="t", template_name="t", protocol={},
        start_date="2026-01-01", created_by=therapist, status="active",
    )  # fmt: skip
    course.clients.add(clinics.client)
    return services.note_create(
        by=Actor.command_line(therapist), course=course, client=clinics.client, text=NOTE_TEXT
    )


@pytest.mark.requirement("REQ-PRV-002")
def test_a_researcher_patching_a_note_gets_403_and_no_text(note, clinics, researcher):
    url = f"/api/v1/clients/{clinics.client.code}/integration/notes/{note.pk}"
    before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    for body in ({}, {"text": "changed"}, {"sign": True}):
        answer = _send(signed_in(researcher), "patch", url, body)
        assert answer.status_code == 403
        assert NOTE_TEXT not in answer.content.decode()
        assert answer.json()["detail"] and answer.json()["errors"] == {}
    note.refresh_from_db()
    assert note.text == NOTE_TEXT and note.signed_at is None
    assert not AuditEvent.objects.filter(id__gt=before, action__contains="integration").exists()


def test_a_therapist_reading_a_note_through_patch_is_audited(note, clinics, therapist):
    url = f"/api/v1/clients/{clinics.client.code}/integration/notes/{note.pk}"
    answer = _send(signed_in(therapist), "patch", url, {})
    assert answer.status_code == 200 and answer.json()["text"] == NOTE_TEXT
    assert AuditEvent.objects.filter(
        action="integration_note.view", target_id=str(note.pk)
    ).exists()


@pytest.fixture
def intake(clinics, coordinator):  # type: ignore[no-untyped-def]
    by = Actor.command_line(coordinator)
    screening_services.intake_record(
        by=by, client=clinics.client, medical=MEDICAL, psychiatric=PSYCHIATRIC
    )
    return clinics.client


@pytest.mark.requirement("REQ-SCR-007")
@pytest.mark.parametrize(
    "body",
    [
        {"medical": 42},
        "x",
        False,
        {"medical": {"pregnant": False}},  # a partial document
        {"medical": {**MEDICAL, "pregnant": False}},  # psychiatric left out
        {"medical": {**MEDICAL, "qtc_unit": "ms\x00"}, "psychiatric": PSYCHIATRIC},
    ],
)
def test_a_malformed_or_partial_put_of_the_intake_changes_nothing(intake, coordinator, body):
    url = f"/api/v1/clients/{intake.code}/intake"
    versions = MedicalHistory.objects.count(), PsychiatricHistory.objects.count()
    answer = _send(signed_in(coordinator), "put", url, body)
    assert answer.status_code == 422, answer.content
    assert answer.json()["errors"]
    assert (MedicalHistory.objects.count(), PsychiatricHistory.objects.count()) == versions
    current = MedicalHistory.objects.filter(client=intake).first()
    assert current.hypertension == "uncontrolled" and current.pregnant is True


@pytest.mark.requirement("REQ-SCR-007")
def test_a_patch_of_the_intake_keeps_every_fact_not_sent(intake, coordinator):
    url = f"/api/v1/clients/{intake.code}/intake"
    answer = _send(signed_in(coordinator), "patch", url, {"medical": {"diabetes": True}})
    assert answer.status_code == 200, answer.content
    medical = answer.json()["medical"]
    assert medical["diabetes"] is True
    assert medical["hypertension"] == "uncontrolled" and medical["pregnant"] is True
    assert answer.json()["psychiatric"]["suicide_risk"] == "high"
    assert MedicalHistory.objects.count() == 2  # a new version; the first stays


def test_an_intake_vitals_reading_in_year_1_is_refused(intake, coordinator):
    url = f"/api/v1/clients/{intake.code}/intake"
    vitals = {"measured_at": "0001-01-01T00:00:00+14:00", "systolic": 120, "diastolic": 80,
              "heart_rate": 70}  # fmt: skip
    answer = _send(signed_in(coordinator), "patch", url, {"vitals": vitals})
    assert answer.status_code == 422
    assert "vitals.measured_at" in answer.json()["errors"]
    assert signed_in(coordinator).get(url).status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("post", "/api/v1/clients", {"given_name": "A\x00", "family_name": "B"}, "given_name"),
        ("get", "/api/v1/clients?q=x%00", None, "q"),
        ("get", "/api/v1/clients/HS%00X", None, "code"),
        ("post", "/api/v1/clients/{code}/medications", {"name": "Zoloft\x00"}, "name"),
    ],
)
def test_a_nul_byte_answers_422_naming_the_field(clinics, coordinator, method, path, body, field):
    url = path.format(code=clinics.client.code)
    browser = signed_in(coordinator)
    answer = _send(browser, method, url, body) if body is not None else browser.get(url)
    assert answer.status_code == 422, answer.content
    assert field in answer.json()["errors"]


def test_page_numbers_are_bounded(clinics, lead):
    answer = signed_in(lead).get("/api/v1/clients?page=4611686018427387904")
    assert answer.status_code == 422 and "page" in answer.json()["errors"]
    assert signed_in(lead).get("/api/v1/clients?page_size=100000").status_code == 422


def test_a_body_over_the_limit_answers_413_as_json(clinics, coordinator, settings):
    body = {"given_name": "A" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10), "family_name": "B"}
    answer = _send(signed_in(coordinator), "post", "/api/v1/clients", body)
    assert answer.status_code == 413
    assert answer.json()["detail"]
    assert Client.objects.count() == 3  # the fixture's


def test_every_refusal_has_one_shape(clinics, coordinator, researcher, outsider):
    base = f"/api/v1/clients/{clinics.client.code}"
    answers = [
        _send(signed_in(coordinator), "post", f"{base}/medications", {"name": 5}),  # pydantic
        _send(
            signed_in(coordinator), "post", f"{base}/medications", {"name": "Mystery"}
        ),  # service
        signed_in(researcher).get(f"{base}/intake"),  # 403
        signed_in(outsider).get(base),  # 404
    ]
    for answer in answers:
        assert set(answer.json()) == {"detail", "errors"}, answer.json()
    assert [a.status_code for a in answers] == [422, 422, 403, 404]


def test_a_coordinator_opens_a_client_record_through_the_api(clinics, coordinator, researcher):
    body = {"given_name": "Referred", "family_name": "Person", "birth_date": "1980-02-03"}
    created = _send(signed_in(coordinator), "post", "/api/v1/clients", body)
    assert created.status_code == 201, created.content
    assert created.json()["identity"]["family_name"] == "Person"
    refused = _send(signed_in(researcher), "post", "/api/v1/clients", body)
    assert refused.status_code == 403
    year_one = _send(
        signed_in(coordinator), "post", "/api/v1/clients", {**body, "birth_date": "0001-01-01"}
    )
    assert year_one.status_code == 422 and "birth_date" in year_one.json()["errors"]


def test_the_openapi_schema_names_each_schema_once_and_documents_every_refusal(lead):
    schema = signed_in(lead).get("/api/v1/openapi.json").json()
    names = schema["components"]["schemas"]
    assert "IntegrationNoteOut" in names and "SessionEntryOut" in names
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            statuses = ["401", "403", "404", "422", "429", "500"]
            if "requestBody" in operation:
                statuses += ["400", "413"]
            for status in statuses:
                assert status in operation["responses"], (path, method, status)
    vitals = names["VitalIn"]["properties"]["systolic"]
    assert vitals["maximum"] == 1000  # the edge's bounds are in the schema
