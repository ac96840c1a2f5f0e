"""/api/v1/clients/{code}/intake, /medications and /screening: scoping, audit and every 4xx."""

from __future__ import annotations

import json

import pytest

from holdspace.api.services import api_token_create
from holdspace.audit.models import AuditEvent
from holdspace.people.actors import Actor
from holdspace.screening.models import MedicalHistory, Medication

from ..conftest import signed_in
from .helpers import record


def _token(member) -> str:  # type: ignore[no-untyped-def]
    _row, raw = api_token_create(by=Actor.command_line(member), user=member.user, name="t")
    return raw


def _call(method, path, member=None, body=None):  # type: ignore[no-untyped-def]
    from django.test import Client as HttpClient

    headers = {"Authorization": f"Bearer {_token(member)}"} if member else {}
    kwargs = {"content_type": "application/json", "data": json.dumps(body)} if body else {}
    return getattr(HttpClient(), method)(path, headers=headers, **kwargs)


def test_without_credentials_401(clinics):
    for path in ("intake", "medications", "screening"):
        assert _call("get", f"/api/v1/clients/{clinics.client.code}/{path}").status_code == 401


@pytest.mark.requirement("REQ-PRV-001")
def test_another_clinic_gets_404(clinics, outsider):
    for path in ("intake", "medications", "screening"):
        response = _call("get", f"/api/v1/clients/{clinics.client.code}/{path}", outsider)
        assert response.status_code == 404


def test_researchers_get_findings_but_403_for_intake(clinics, researcher, coordinator):
    record(clinics.client, coordinator, {"medication": ("Private blend", None)})
    base = f"/api/v1/clients/{clinics.client.code}"
    assert _call("get", f"{base}/intake", researcher).status_code == 403
    assert _call("get", f"{base}/medications", researcher).status_code == 403
    body = _call("get", f"{base}/screening", researcher).json()
    assert "unmatched-medication" in {f["rule_id"] for f in body["findings"]}
    assert "Private blend" not in json.dumps(body)


def test_write_and_read_intake(clinics, coordinator):
    base = f"/api/v1/clients/{clinics.client.code}"
    response = _call(
        "patch",
        f"{base}/intake",
        coordinator,
        {
            "medical": {"hypertension": "uncontrolled", "qtc_value": 430, "qtc_unit": "ms"},
            "psychiatric": {"suicide_risk": "low"},
            "vitals": {"measured_at": "2026-01-05T09:30:00Z", "systolic": 150,
                       "diastolic": 95, "heart_rate": 80},
            "experiences": [{"substance": "mdma", "context": "party", "times": 60,
                             "how_it_went": "difficult"}],
        },
    )  # fmt: skip
    assert response.status_code == 200, response.content
    assert response.json()["medical"]["hypertension"] == "uncontrolled"
    screening = _call("get", f"{base}/screening", coordinator).json()
    outcomes = {f["rule_id"]: f["outcome"] for f in screening["findings"]}
    assert outcomes["hypertension-uncontrolled"] == "exclude"
    assert outcomes["prior-mdma-use"] == "monitor"
    assert screening["status"] == "pending_decision"
    assert screening["findings"][0]["source"] and screening["findings"][0]["url"]
    assert AuditEvent.objects.filter(action="screening.view", channel="api").exists()


@pytest.mark.requirement("REQ-SCR-006")
def test_bad_intake_is_422_and_nothing_is_half_saved(clinics, coordinator):
    response = _call(
        "patch",
        f"/api/v1/clients/{clinics.client.code}/intake",
        coordinator,
        {"medical": {"arrhythmia": True},
         "vitals": {"measured_at": "2026-01-05T09:30:00Z", "systolic": 400, "diastolic": 80,
                    "heart_rate": 70}},
    )  # fmt: skip
    assert response.status_code == 422
    assert "systolic" in response.json()["errors"]
    assert not MedicalHistory.objects.exists()


def test_a_qtc_without_a_unit_is_422(clinics, coordinator):
    response = _call(
        "patch", f"/api/v1/clients/{clinics.client.code}/intake", coordinator,
        {"medical": {"qtc_value": 430}},
    )  # fmt: skip
    assert response.status_code == 422
    assert "qtc_unit" in response.json()["errors"]


def test_a_malformed_body_is_422(clinics, coordinator):
    response = _call(
        "put", f"/api/v1/clients/{clinics.client.code}/intake", coordinator,
        {"medical": {"hypertension": "sometimes"}},
    )  # fmt: skip
    assert response.status_code == 422


def test_medications_add_and_list(clinics, coordinator):
    base = f"/api/v1/clients/{clinics.client.code}/medications"
    unmatched = _call("post", base, coordinator, {"name": "Mystery"})
    assert unmatched.status_code == 422
    assert "name" in unmatched.json()["errors"]
    added = _call("post", base, coordinator, {"name": "Zoloft", "dose": "50 mg"})
    assert added.status_code == 201
    assert added.json()["name"] == "sertraline"
    kept = _call("post", base, coordinator, {"name": "Mystery", "keep_unmatched": True})
    assert kept.status_code == 201 and kept.json()["matched"] is False
    listed = _call("get", base, coordinator).json()
    assert {m["name"] for m in listed} == {"sertraline", "Mystery"}
    assert Medication.objects.count() == 2


def test_the_screening_shows_the_signed_decision(clinics, coordinator, lead):
    from holdspace.screening import services

    from ..factories import PASSWORD

    record(clinics.client, coordinator, {"medical": {}, "psychiatric": {}})
    services.decision_sign(
        by=Actor.command_line(lead), client=clinics.client, decision="eligible", reason="",
        secret=PASSWORD,
    )  # fmt: skip
    body = _call("get", f"/api/v1/clients/{clinics.client.code}/screening", lead).json()
    assert body["eligible"] is True
    assert body["decision"]["decision"] == "eligible"
    assert body["decision"]["ruleset_version"] == body["ruleset_version"]


def test_session_auth_works_too(clinics, therapist):
    response = signed_in(therapist).get(f"/api/v1/clients/{clinics.client.code}/screening")
    assert response.status_code == 200


def test_recording_the_last_dose_through_the_api(clinics, coordinator, researcher, outsider):
    import datetime as dt

    from django.utils import timezone

    base = f"/api/v1/clients/{clinics.client.code}/medications"
    start = {"name": "Cipralex", "dose": "10 mg", "start_date": "2025-01-01"}
    added = _call("post", base, coordinator, start).json()
    assert _call("get", f"{base}/{added['id']}", coordinator).json()["name"] == "escitalopram"
    today = timezone.localdate()
    body = {"dose": "5 mg", "stop_date": today.isoformat()}
    response = _call("patch", f"{base}/{added['id']}", coordinator, body)
    assert response.status_code == 200
    assert response.json()["stop_date"] == today.isoformat()
    screening = _call("get", f"/api/v1/clients/{clinics.client.code}/screening", coordinator)
    assert (
        screening.json()["washout"][0]["earliest_session_date"]
        == (today + dt.timedelta(days=14)).isoformat()
    )
    before_start = {"dose": "5 mg", "stop_date": "2024-12-31"}
    assert _call("patch", f"{base}/{added['id']}", coordinator, before_start).status_code == 422
    assert _call("patch", f"{base}/999999", coordinator, body).status_code == 404
    assert _call("patch", f"{base}/{added['id']}", researcher, body).status_code == 403
    assert _call("patch", f"{base}/{added['id']}", outsider, body).status_code == 404
