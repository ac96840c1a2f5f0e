"""FHIR Bulk Data export read as a client would: kick-off, poll, manifest, download, validate
every line with fhir.resources; `_since`; another clinic's token; cancel."""

from __future__ import annotations

import datetime as dt
import importlib
import json

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from holdspace.api.services import api_token_create
from holdspace.audit.models import AuditEvent
from holdspace.exports.models import ExportJob, ExportStatus
from holdspace.people.actors import Actor
from holdspace.people.models import Client, ClientIdentity, Membership

pytestmark = pytest.mark.django_db


def _token(member: Membership) -> str:
    _row, raw = api_token_create(by=Actor.command_line(member), user=member.user, name="bulk")
    return raw


def _get(path: str, token: str, **headers: str):  # type: ignore[no-untyped-def]
    return HttpClient().get(
        path,
        headers={
            "Authorization": f"Bearer {token}",
            "Accept": "application/fhir+json",
            "Prefer": "respond-async",
            **headers,
        },
    )


def _validate(line: str) -> dict[str, object]:
    data = json.loads(line)
    kind = str(data["resourceType"])
    module = importlib.import_module(f"fhir.resources.R4B.{kind.lower()}")
    getattr(module, kind).model_validate(data)
    return data


def _outcome(response) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    """The issues of an OperationOutcome body, which must validate (FHIR R4)."""
    assert response["Content-Type"] == "application/fhir+json", response.content
    data = _validate(response.content.decode())
    assert data["resourceType"] == "OperationOutcome"
    issues: list[dict[str, object]] = data["issue"]  # type: ignore[assignment]
    assert issues and all(i["severity"] == "error" and i["diagnostics"] for i in issues)
    return issues


def _refused(response) -> list[object]:  # type: ignore[no-untyped-def]
    """The parameters an OperationOutcome names in `expression`."""
    return [e for issue in _outcome(response) for e in issue.get("expression", [])]  # type: ignore[attr-defined]


def _run_export(token: str, path: str) -> tuple[dict[str, object], dict[str, list[dict]]]:
    kick = _get(path, token)
    assert kick.status_code == 202, kick.content
    status_url = kick["Content-Location"]
    assert "/api/v1/fhir/bulkstatus/" in status_url
    done = _get(status_url, token)
    assert done.status_code == 200, done.content
    assert done["Content-Type"] == "application/json"
    assert "Expires" in done
    manifest = done.json()
    assert set(manifest) >= {"transactionTime", "request", "requiresAccessToken", "output", "error"}
    assert manifest["requiresAccessToken"] is True
    assert manifest["request"].endswith(path)
    resources: dict[str, list[dict]] = {}
    for entry in manifest["output"]:
        file = _get(entry["url"], token)
        assert file.status_code == 200
        assert file["Content-Type"] == "application/fhir+ndjson"
        lines = b"".join(file.streaming_content).decode().splitlines()
        assert len(lines) == entry["count"]
        for line in lines:
            data = _validate(line)
            assert data["resourceType"] == entry["type"]  # one type per file
            resources.setdefault(entry["type"], []).append(data)
        # No other person's token reads the file.
    return manifest, resources


def test_bulk_export_end_to_end_as_a_client_reads_it(record, researcher, outsider) -> None:  # type: ignore[no-untyped-def]
    lead_elsewhere = outsider
    token = _token(researcher)
    manifest, resources = _run_export(token, "/api/v1/fhir/$export")

    expected = {
        "Patient",
        "Questionnaire",
        "QuestionnaireResponse",
        "Observation",
        "MedicationStatement",
        "AdverseEvent",
        "Encounter",
        "CarePlan",
        "Procedure",
        "Consent",
    }
    assert expected == set(resources), set(resources)
    # Free text stays out of a pseudonymous export: the medication by its list key only.
    assert all("Sertraline" not in json.dumps(m) for m in resources["MedicationStatement"])
    clinic_codes = set(
        Client.objects.filter(clinic=researcher.clinic).values_list("code", flat=True)
    )
    assert {p["id"] for p in resources["Patient"]} == clinic_codes
    # Pseudonymous: no names, no birth dates, no contact.
    for patient in resources["Patient"]:
        assert "name" not in patient and "birthDate" not in patient and "telecom" not in patient
    vitals = [o for o in resources["Observation"] if o["id"].startswith("vital-")]
    assert vitals and vitals[0]["code"]["coding"][0]["system"] == "http://loinc.org"
    # Every reference to a patient points at one exported.
    for kind, rows in resources.items():
        for row in rows:
            ref = (row.get("subject") or row.get("patient") or {}).get("reference")
            if ref:
                assert ref.removeprefix("Patient/") in clinic_codes, kind

    # The export is audited: who, what, which profile.
    start = AuditEvent.objects.filter(action="export.start").order_by("id").last()
    assert start is not None and start.actor_id == researcher.user_id
    assert AuditEvent.objects.filter(action="export.download").count() == len(manifest["output"])

    # Another clinic's token: the status, the files and the clinic's Group are 404.
    job = ExportJob.objects.get(requested_by=researcher)
    other = _token(lead_elsewhere)
    assert _get(f"/api/v1/fhir/bulkstatus/{job.pk}", other).status_code == 404
    assert _get(manifest["output"][0]["url"], other).status_code == 404
    slug = researcher.clinic.slug
    assert _get(f"/api/v1/fhir/Group/clinic-{slug}/$export", other).status_code == 404

    # _since: only what changed after it, and _type: only the types asked for.
    mark = timezone.now()
    client = Client.objects.filter(clinic=researcher.clinic).order_by("pk").first()
    assert client is not None
    Client.objects.filter(pk=client.pk).update(updated_at=mark + dt.timedelta(seconds=1))
    since = mark.isoformat().replace("+00:00", "Z")
    _manifest, changed = _run_export(
        token, f"/api/v1/fhir/Group/clinic-{slug}/$export?_type=Patient,Consent&_since={since}"
    )
    assert set(changed) == {"Patient"}
    assert [p["id"] for p in changed["Patient"]] == [client.code]

    # DELETE: the status URL is then 404 and the files are gone.
    assert (
        HttpClient()
        .delete(f"/api/v1/fhir/bulkstatus/{job.pk}", headers={"Authorization": f"Bearer {token}"})
        .status_code
        == 202
    )
    assert _get(f"/api/v1/fhir/bulkstatus/{job.pk}", token).status_code == 404
    assert _get(manifest["output"][0]["url"], token).status_code == 404


def test_running_export_answers_202_with_progress(clinics, researcher) -> None:  # type: ignore[no-untyped-def]
    from holdspace.exports.services import export_start

    job = export_start(by=Actor.command_line(researcher), format="fhir", run=False)
    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.RUNNING, progress=40)
    token = _token(researcher)
    response = _get(f"/api/v1/fhir/bulkstatus/{job.pk}", token)
    assert response.status_code == 202
    assert response["X-Progress"].startswith("40%")
    # A second kick-off while one runs: 429 with Retry-After.
    again = _get("/api/v1/fhir/$export", token)
    assert again.status_code == 429 and again["Retry-After"]


def test_kick_off_refusals_name_the_field(clinics, researcher, therapist) -> None:  # type: ignore[no-untyped-def]
    token = _token(researcher)
    bad_type = _get("/api/v1/fhir/$export?_type=Patient,Spaceship", token)
    assert bad_type.status_code == 422 and _refused(bad_type) == ["_type"]
    bad_format = _get("/api/v1/fhir/$export?_outputFormat=text/csv", token)
    assert bad_format.status_code == 422 and _refused(bad_format) == ["_outputFormat"]
    naive = _get("/api/v1/fhir/$export?_since=2026-01-01T00:00:00", token)
    assert naive.status_code == 422 and _refused(naive) == ["_since"]
    # Researchers never get identity; therapists do not export at all.
    assert _get("/api/v1/fhir/$export?profile=identified", token).status_code == 403
    assert _get("/api/v1/fhir/$export", _token(therapist)).status_code == 403
    assert not ExportJob.objects.exists()


def test_identified_export_for_a_medical_lead_who_asks(clinics, lead) -> None:  # type: ignore[no-untyped-def]
    ClientIdentity.objects.filter(client=clinics.client).update(family_name="Nordmann")
    token = _token(lead)
    _manifest, plain = _run_export(token, "/api/v1/fhir/Patient/$export?_type=Patient")
    assert all("name" not in p for p in plain["Patient"])
    ExportJob.objects.update(status=ExportStatus.DONE)
    _manifest, named = _run_export(
        token, "/api/v1/fhir/Patient/$export?_type=Patient&profile=identified"
    )
    names = {p["id"]: p["name"][0]["family"] for p in named["Patient"]}
    assert names[clinics.client.code] == "Nordmann"
    starts = AuditEvent.objects.filter(action="export.start").order_by("id")
    assert "profile:identified" in starts.last().fields  # type: ignore[union-attr]
