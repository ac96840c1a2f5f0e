"""REDCap-ready, CSV and Parquet exports: the REDCap pair passes every documented import
rule (tests/exports/redcap_rules.py); CSV and Parquet hold the same rows."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client as HttpClient

from holdspace.exports.models import ExportJob, ExportStatus
from holdspace.exports.services import export_start, job_directory
from holdspace.measures.models import Response
from holdspace.people.actors import Actor
from holdspace.people.models import Client, Membership
from holdspace.sessions.models import AdverseEvent, VitalReading

from .redcap_rules import check_dictionary, check_records

pytestmark = pytest.mark.django_db


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _export(member: Membership, fmt: str, profile: str = "pseudonymous") -> ExportJob:
    job = export_start(by=Actor.command_line(member), format=fmt, profile=profile)
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE, job.errors
    return job


def test_redcap_csv_and_parquet_exports_round_trip(record, researcher) -> None:  # type: ignore[no-untyped-def]
    clinic_clients = Client.objects.filter(clinic=researcher.clinic)

    job = _export(researcher, "redcap")
    folder = job_directory(job)
    names = {f["name"] for f in job.files}
    assert {
        "data_dictionary.csv",
        "records.csv",
        "events.csv",
        "instrument_event_mapping.csv",
        "repeating_forms_events.csv",
        "README.txt",
    } <= names
    problems, fields = check_dictionary((folder / "data_dictionary.csv").read_text())
    assert problems == []
    events = {r["unique_event_name"] for r in _csv((folder / "events.csv").read_text())}
    mapping = {
        (r["unique_event_name"], r["form"])
        for r in _csv((folder / "instrument_event_mapping.csv").read_text())
    }
    repeating = {
        (r["event_name"], r["form_name"])
        for r in _csv((folder / "repeating_forms_events.csv").read_text())
    }
    records_text = (folder / "records.csv").read_text()
    assert (
        check_records(records_text, fields, events=events, mapping=mapping, repeating=repeating)
        == []
    )
    records = _csv(records_text)
    enrolled = [r for r in records if r["redcap_event_name"] == "enrolment_arm_1"]
    assert {r["record_id"] for r in enrolled} == set(clinic_clients.values_list("code", flat=True))
    vitals = [r for r in records if r["redcap_repeat_instrument"] == "vitals"]
    assert len(vitals) == VitalReading.objects.filter(session__client__in=clinic_clients).count()
    events_rows = [r for r in records if r["redcap_repeat_instrument"] == "adverse_event"]
    assert (
        len(events_rows) == AdverseEvent.objects.filter(session__client__in=clinic_clients).count()
    )
    answered = [
        r for r in records if r["redcap_repeat_instrument"] not in ("", "vitals", "adverse_event")
    ]
    assert len(answered) == Response.objects.filter(client__in=clinic_clients).count()
    # The dictionary flags no identifier in a pseudonymous export; names never appear.
    assert all(f["Identifier?"] == "" for f in fields)

    # The checker is not a rubber stamp: a broken file is caught.
    broken = records_text.replace("enrolment_arm_1", "Enrolment Arm", 1)
    assert check_records(broken, fields, events=events, mapping=mapping, repeating=repeating)

    csv_job = _export(researcher, "csv")
    vitals_csv = _csv((job_directory(csv_job) / "vitals.csv").read_text())
    assert len(vitals_csv) == len(vitals)
    import pyarrow.parquet as pq

    parquet_job = _export(researcher, "parquet")
    table = pq.read_table(job_directory(parquet_job) / "vitals.parquet")
    assert table.num_rows == len(vitals)
    assert str(table.schema.field("systolic").type) == "int64"

    # The Exports page lists the finished jobs and hands out a file.
    from tests.conftest import sign_in

    browser = sign_in(HttpClient(), researcher.user)
    page = browser.get("/exports/")
    assert page.status_code == 200
    assert b"records.csv" in page.content and b"vitals.parquet" in page.content
    download = browser.get(f"/exports/{job.pk}/files/records.csv")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == (folder / "records.csv").read_bytes()
