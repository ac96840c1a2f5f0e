"""FHIR Bulk Data refusals as OperationOutcomes (every error path of kick-off, status,
download and DELETE), the manifest's `error` files, and screening's vital signs as
vital-sign Observations (LOINC, UCUM, `_since`, de-identified date shift)."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from holdspace.exports import fhir, fhir_sql
from holdspace.exports.deid import shift_days
from holdspace.exports.models import ExportJob, ExportStatus
from holdspace.exports.services import Checker, export_settings, export_start, job_directory
from holdspace.people.actors import Actor
from holdspace.screening.models import MedicalHistory, VitalsReading

from .test_fhir_bulk import _get, _outcome, _refused, _run_export, _token, _validate

pytestmark = pytest.mark.django_db


def _delete(path: str, token: str):  # type: ignore[no-untyped-def]
    return HttpClient().delete(path, headers={"Authorization": f"Bearer {token}"})


def _codes(response) -> list[object]:  # type: ignore[no-untyped-def]
    return [issue["code"] for issue in _outcome(response)]


def test_every_bulk_data_refusal_is_an_operation_outcome(  # type: ignore[no-untyped-def]
    clinics, researcher, therapist, outsider
) -> None:
    token = _token(researcher)
    # Kick-off: each refused parameter is one issue naming it.
    for query, field in (
        ("_type=Patient,Spaceship", "_type"),
        ("_outputFormat=text/csv", "_outputFormat"),
        ("_since=2026-01-01T00:00:00", "_since"),
        ("_since=yesterday", "_since"),
        ("_elements=id", "_elements"),
        ("_typeFilter=Patient%3Factive%3Dtrue", "_typeFilter"),
        ("profile=everything", "profile"),
    ):
        refused = _get(f"/api/v1/fhir/$export?{query}", token)
        assert refused.status_code == 422, query
        assert _refused(refused) == [field], query
        assert _codes(refused) == ["invalid"]
    # No token: 401; a role that may not export, or not identity: 403.
    anonymous = HttpClient().get("/api/v1/fhir/$export", headers={"Prefer": "respond-async"})
    assert anonymous.status_code == 401 and _codes(anonymous) == ["login"]
    assert _codes(_get("/api/v1/fhir/$export", _token(therapist))) == ["forbidden"]
    identified = _get("/api/v1/fhir/Patient/$export?profile=identified", token)
    assert identified.status_code == 403 and _codes(identified) == ["forbidden"]
    # Another clinic's group, an unknown job, an unknown file: 404.
    other_group = _get(f"/api/v1/fhir/Group/clinic-{outsider.clinic.slug}/$export", token)
    assert other_group.status_code == 404 and _codes(other_group) == ["not-found"]
    assert _codes(_get("/api/v1/fhir/bulkstatus/999999", token)) == ["not-found"]
    assert _delete("/api/v1/fhir/bulkstatus/999999", token).status_code == 404
    assert _codes(_delete("/api/v1/fhir/bulkstatus/999999", token)) == ["not-found"]
    # A POST kick-off (not offered) and a path that is no route: still OperationOutcomes.
    posted = HttpClient().post("/api/v1/fhir/$export", headers={"Authorization": f"Bearer {token}"})
    assert posted.status_code == 405 and posted["Allow"] == "GET"
    assert _codes(posted) == ["not-supported"]
    assert _codes(_get("/api/v1/fhir/Spaceship/$export", token)) == ["not-found"]
    assert not ExportJob.objects.exists()  # nothing refused was stored

    # A second kick-off while one runs: 429 with Retry-After.
    job = export_start(by=Actor.command_line(researcher), format="fhir", run=False)
    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.RUNNING)
    again = _get("/api/v1/fhir/$export", token)
    assert again.status_code == 429 and again["Retry-After"] and _codes(again) == ["throttled"]
    # The same job from another clinic's token: 404; its files before it is done: 404.
    elsewhere = _token(outsider)
    assert _codes(_get(f"/api/v1/fhir/bulkstatus/{job.pk}", elsewhere)) == ["not-found"]
    early = _get(f"/api/v1/fhir/bulkfiles/{job.pk}/Patient.ndjson", token)
    assert early.status_code == 404 and _codes(early) == ["not-found"]
    # A failed export: the status URL answers 500 with an OperationOutcome, no inside detail.
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportStatus.FAILED, errors=["The export failed (OperationalError)."]
    )
    failed = _get(f"/api/v1/fhir/bulkstatus/{job.pk}", token)
    assert failed.status_code == 500
    [issue] = _outcome(failed)
    assert issue["code"] == "exception" and "OperationalError" in str(issue["diagnostics"])

    # The rest of the API keeps its {detail, errors} shape.
    other_api = _get("/api/v1/clients/NOSUCHCODE", token)
    assert other_api.status_code == 404
    assert set(other_api.json()) == {"detail", "errors"}


def test_a_resource_that_does_not_validate_goes_to_the_error_file(  # type: ignore[no-untyped-def]
    record, researcher, monkeypatch
) -> None:
    real = fhir.SOURCES["Patient"]

    def patients_one_broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        for number, resource in enumerate(real(*args, **kwargs)):
            if number == 1:
                resource = {**resource, "birthDate": "31/12/1999"}  # not a FHIR date
            yield resource

    monkeypatch.setitem(fhir.SOURCES, "Patient", patients_one_broken)
    # The Python path (fhir_sql writes pseudonymous Patients on PostgreSQL: test_fhir_sql.py).
    monkeypatch.setattr(fhir_sql, "handles", lambda resource_type, privacy: False)
    manifest, resources = _run_export(_token(researcher), "/api/v1/fhir/$export?_type=Patient")
    # The broken one is left out, the others written; the error file says which and where.
    assert len(resources["Patient"]) == len(record.clients) - 1
    [error] = manifest["error"]  # type: ignore[misc]
    assert error["type"] == "OperationOutcome"
    lines = b"".join(_get(error["url"], _token(researcher)).streaming_content).decode()
    [outcome] = [_validate(line) for line in lines.splitlines()]
    [issue] = outcome["issue"]  # type: ignore[misc]
    assert issue["code"] == "invalid" and issue["expression"] == ["Patient.birthDate"]
    assert "1999" not in lines  # the value is not repeated: it may be clinical


def test_checker_validates_the_first_of_each_type_and_every_new_shape() -> None:
    checker = Checker()
    good = {"resourceType": "Patient", "id": "a"}
    for _ in range(Checker.FIRST):
        assert checker.problem(good) is None
    # Past the first hundred, a known shape is not checked again, a new shape is.
    assert checker.problem({"resourceType": "Patient", "id": "b", "active": "x"}) is not None
    assert Checker(every=True).problem({"resourceType": "Patient", "id": "-"}) is None
    assert Checker(every=True).problem({"resourceType": "Patient", "birthDate": "x"}) is not None


def test_answer_items_made_once_match_the_shared_mapping() -> None:
    from holdspace.measures import fhir as measures_fhir
    from holdspace.measures import library

    definitions = dict(library.shipped())
    answers = fhir._Answers(definitions)
    for code in ("PHQ-9", "GAD-7", "DAST-10"):
        definition = definitions[code]
        for seed in range(6):
            given = {
                item.link_id: (
                    item.options[(seed + n) % len(item.options)].value
                    if item.options
                    else bool((seed + n) % 2)
                    if item.type == "yes-no"
                    else seed + n
                )
                for n, item in enumerate(definition.items)
                if (seed + n) % 5  # some items unanswered
            }
            expected = measures_fhir.response_items(given, definition)
            assert answers.items(code, given) == expected, (code, seed)
            assert answers.items(code, given) == expected  # and again, from what was made


def _screening_rows(client, at: dt.datetime) -> tuple[VitalsReading, MedicalHistory]:  # type: ignore[no-untyped-def]
    reading = VitalsReading.objects.create(
        client=client,
        measured_at=at,
        systolic=128,
        diastolic=84,
        heart_rate=66,
        temperature_c=Decimal("36.6"),
    )
    history = MedicalHistory.objects.create(client=client, weight_kg=Decimal("72.5"), height_cm=176)
    # A version without weight or height gives no Observation.
    MedicalHistory.objects.create(client=client)
    return reading, history


def test_screening_vitals_weight_and_height_are_vital_sign_observations(  # type: ignore[no-untyped-def]
    clinics, researcher
) -> None:
    at = (timezone.now() - dt.timedelta(days=40)).replace(microsecond=0)
    reading, history = _screening_rows(clinics.client, at)
    token = _token(researcher)
    _manifest, found = _run_export(token, "/api/v1/fhir/$export?_type=Observation")
    by_id = {o["id"]: o for o in found["Observation"]}
    bp = by_id[f"baseline-{reading.pk}-bp"]
    assert bp["category"][0]["coding"][0]["code"] == "vital-signs"
    assert bp["code"]["coding"][0] == {
        "system": "http://loinc.org",
        "code": "85354-9",
        "display": "Blood pressure panel",
    }
    pressures = {c["code"]["coding"][0]["code"]: c["valueQuantity"] for c in bp["component"]}
    assert pressures["8480-6"]["value"] == 128 and pressures["8462-4"]["value"] == 84
    assert pressures["8480-6"]["code"] == "mm[Hg]"
    assert pressures["8480-6"]["system"] == "http://unitsofmeasure.org"
    assert bp["effectiveDateTime"] == at.isoformat()
    assert bp["subject"] == {"reference": f"Patient/{clinics.client.code}"}
    assert by_id[f"baseline-{reading.pk}-hr"]["valueQuantity"]["code"] == "/min"
    assert by_id[f"baseline-{reading.pk}-temp"]["valueQuantity"]["value"] == 36.6
    assert f"baseline-{reading.pk}-spo2" not in by_id  # not measured at screening
    weight = by_id[f"history-{history.pk}-weight"]
    height = by_id[f"history-{history.pk}-height"]
    assert weight["code"]["coding"][0]["code"] == "29463-7"
    assert weight["valueQuantity"] == {
        "value": 72.5,
        "unit": "kg",
        "system": "http://unitsofmeasure.org",
        "code": "kg",
    }
    assert height["code"]["coding"][0]["code"] == "8302-2"
    assert height["valueQuantity"]["code"] == "cm" and height["valueQuantity"]["value"] == 176
    assert len([i for i in by_id if i.startswith("history-")]) == 2

    # _since: only what was recorded after it.
    ExportJob.objects.update(status=ExportStatus.DONE)
    mark = timezone.now()
    VitalsReading.objects.filter(pk=reading.pk).update(recorded_at=mark + dt.timedelta(seconds=1))
    since = mark.isoformat().replace("+00:00", "Z")
    _manifest, changed = _run_export(
        token, f"/api/v1/fhir/$export?_type=Observation&_since={since}"
    )
    assert {o["id"].rsplit("-", 1)[0] for o in changed["Observation"]} == {f"baseline-{reading.pk}"}

    # De-identified: the research id, and the date moved back by the client's shift.
    ExportJob.objects.update(status=ExportStatus.DONE)
    _manifest, deid = _run_export(
        token, "/api/v1/fhir/$export?_type=Observation&profile=deidentified"
    )
    shifted = {o["id"]: o for o in deid["Observation"]}[f"baseline-{reading.pk}-bp"]
    days = shift_days(export_settings(clinics.north).deid_secret, clinics.client.code)
    assert shifted["effectiveDateTime"] == (at - dt.timedelta(days=days)).isoformat()
    assert clinics.client.code not in str(shifted)


def test_screening_vitals_in_csv_and_parquet(clinics, researcher) -> None:  # type: ignore[no-untyped-def]
    import pyarrow.parquet as pq

    at = (timezone.now() - dt.timedelta(days=40)).replace(microsecond=0)
    _screening_rows(clinics.client, at)
    by = Actor.command_line(researcher)
    csv_job = export_start(by=by, format="csv", profile="deidentified")
    research_id = next(iter(csv.DictReader((job_directory(csv_job) / "clients.csv").open())))[
        "record_id"
    ]
    [baseline] = list(csv.DictReader((job_directory(csv_job) / "baseline_vitals.csv").open()))
    days = shift_days(export_settings(clinics.north).deid_secret, clinics.client.code)
    local = timezone.localtime(at) - dt.timedelta(days=days)
    assert baseline == {
        "record_id": research_id,
        "measured_at": local.strftime("%Y-%m-%d %H:%M:%S"),
        "systolic": "128",
        "diastolic": "84",
        "heart_rate": "66",
        "temperature_c": "36.6",
    }
    [body] = list(csv.DictReader((job_directory(csv_job) / "body_measures.csv").open()))
    assert (body["weight_kg"], body["height_cm"]) == ("72.5", "176")
    parquet_job = export_start(by=by, format="parquet")
    table = pq.read_table(job_directory(parquet_job) / "body_measures.parquet")
    assert table.column("weight_kg").to_pylist() == [72.5]
    assert str(table.schema.field("height_cm").type) == "int64"


def test_screening_vitals_in_the_redcap_records_pass_the_import_rules(  # type: ignore[no-untyped-def]
    clinics, researcher
) -> None:
    from .redcap_rules import check_dictionary, check_records

    at = (timezone.now() - dt.timedelta(days=40)).replace(microsecond=0)
    _screening_rows(clinics.client, at)
    VitalsReading.objects.create(  # a second reading, without temperature
        client=clinics.client, measured_at=at, systolic=122, diastolic=80, heart_rate=70
    )
    job = export_start(by=Actor.command_line(researcher), format="redcap")
    folder = job_directory(job)
    problems, fields = check_dictionary((folder / "data_dictionary.csv").read_text())
    assert problems == []
    records_text = (folder / "records.csv").read_text()

    def rows(name: str) -> set[tuple[str, str]]:
        return {tuple(r.values())[:2] for r in csv.DictReader((folder / name).open())}  # type: ignore[misc]

    assert (
        check_records(
            records_text,
            fields,
            events={r["unique_event_name"] for r in csv.DictReader((folder / "events.csv").open())},
            mapping={
                (r["unique_event_name"], r["form"])
                for r in csv.DictReader((folder / "instrument_event_mapping.csv").open())
            },
            repeating=rows("repeating_forms_events.csv"),
        )
        == []
    )
    records = list(csv.DictReader(records_text.splitlines()))
    baseline = [r for r in records if r["redcap_repeat_instrument"] == "baseline_vitals"]
    assert [(r["redcap_repeat_instance"], r["baseline_temp"]) for r in baseline] == [
        ("1", "36.6"),
        ("2", ""),
    ]
    assert baseline[0]["redcap_event_name"] == "enrolment_arm_1"
    assert baseline[0]["baseline_time"] == timezone.localtime(at).strftime("%Y-%m-%d %H:%M:%S")
    [body] = [r for r in records if r["redcap_repeat_instrument"] == "body_measures"]
    assert (body["body_weight"], body["body_height"], body["body_measures_complete"]) == (
        "72.5",
        "176",
        "2",
    )
