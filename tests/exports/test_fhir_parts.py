"""On PostgreSQL an export builds its QuestionnaireResponses in one forked process and its other
types in another, both in one snapshot (services._write_fhir_parts): the files, the manifest's
entries and the error file are byte for byte what one process writes; a cancel stops both
processes and removes the files; a process that fails fails the export."""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from pathlib import Path

import pytest
from django.db import connection, transaction

from holdspace.exports import fhir, services
from holdspace.exports.deid import Privacy
from holdspace.exports.models import ExportJob, ExportProfile, ExportStatus
from holdspace.exports.services import export_run, export_start, job_directory
from holdspace.people.actors import Actor

from .test_fhir_sql import _awkward_records

pytestmark = [
    # The parts read on connections of their own: the rows must be committed.
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="parts run on PostgreSQL only"),
]


def _run(member, monkeypatch, *, parallel: bool, profile: str, types=()):  # type: ignore[no-untyped-def]
    """(the job, each file's bytes by name, whether the export ran in parts)."""
    parts = []
    real = services._write_fhir_parts

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        parts.append(args[-1])
        return real(*args, **kwargs)

    with monkeypatch.context() as patched:
        patched.setattr(services, "PARALLEL", parallel)
        patched.setattr(services, "_write_fhir_parts", spy)
        job = export_start(
            by=Actor.command_line(member),
            format="fhir",
            types=list(types),
            profile=profile,
            run=False,
        )
        job = export_run(job.pk)
    assert job.status == ExportStatus.DONE, job.errors
    files = {
        str(entry["name"]): (job_directory(job) / str(entry["name"])).read_bytes()
        for entry in job.files
    }
    assert sorted(p.name for p in job_directory(job).iterdir()) == sorted(files)
    return job, files, parts


@pytest.mark.parametrize(
    ("profile", "who"),
    [
        (ExportProfile.PSEUDONYMOUS, "researcher"),
        (ExportProfile.DEIDENTIFIED, "researcher"),
        (ExportProfile.IDENTIFIED, "lead"),
    ],
)
def test_the_parts_write_what_one_process_writes(  # type: ignore[no-untyped-def]
    record, clinics, monkeypatch, request, profile, who
) -> None:
    member = request.getfixturevalue(who)
    _awkward_records(record, clinics)
    serial, serial_files, serial_parts = _run(member, monkeypatch, parallel=False, profile=profile)
    parallel, parallel_files, parts = _run(member, monkeypatch, parallel=True, profile=profile)
    assert serial_parts == []
    [[apart, rest]] = parts  # every type: the QuestionnaireResponses apart, the rest together
    assert apart == ["QuestionnaireResponse"] and "Observation" in rest and "Patient" in rest
    assert parallel.files == serial.files
    assert list(parallel_files) == list(serial_files)
    for name, written in serial_files.items():
        assert parallel_files[name] == written, name
    assert {"QuestionnaireResponse.ndjson", "Observation.ndjson"} <= set(serial_files)


def test_the_error_file_is_in_the_order_of_the_types(record, researcher, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Lines of three types that do not validate, two of them built in one part and one in
    the other: the error file holds them type by type, as one process writes them."""
    patient, response = fhir.patient, fhir.questionnaire_response
    vital = fhir.vital_observation

    def broken_patient(subject: str, system: str) -> dict[str, object]:
        return {**patient(subject, system), "birthDate": "31/12/1999"}

    def broken_response(*args, **kwargs):  # type: ignore[no-untyped-def]
        return {**response(*args, **kwargs), "unknownElement": 1}

    def broken_vital(prefix: str, pk: object, suffix: str, fields: dict[str, object]):  # type: ignore[no-untyped-def]
        made = vital(prefix, pk, suffix, fields)
        return {**made, "unknownElement": 1} if suffix == "hr" else made

    monkeypatch.setattr(fhir, "patient", broken_patient)
    monkeypatch.setattr(fhir, "questionnaire_response", broken_response)
    monkeypatch.setattr(fhir, "vital_observation", broken_vital)
    types = ["Patient", "QuestionnaireResponse", "Observation"]
    profile = ExportProfile.PSEUDONYMOUS
    serial, serial_files, _ = _run(
        researcher, monkeypatch, parallel=False, profile=profile, types=types
    )
    parallel, parallel_files, parts = _run(
        researcher, monkeypatch, parallel=True, profile=profile, types=types
    )
    assert parts == [[["QuestionnaireResponse"], ["Patient", "Observation"]]]
    assert parallel.files == serial.files
    assert parallel_files == serial_files
    errors = serial_files[services.ERROR_FILE].decode().splitlines()
    kinds = [str(json.loads(line)["issue"][0]["diagnostics"]).split("/")[0] for line in errors]
    assert kinds == sorted(kinds, key=types.index)
    assert set(kinds) == set(types)


def _slow_part(monkeypatch, *, fail: bool = False) -> list[int]:  # type: ignore[no-untyped-def]
    """The QuestionnaireResponse part sleeps (or fails) before writing; the pids forked."""
    real = services._write_type
    forked: list[int] = []
    real_fork = os.fork

    def fork() -> int:
        pid = real_fork()
        if pid:
            forked.append(pid)
        return pid

    def slow(job, directory, resource_type, *args):  # type: ignore[no-untyped-def]
        if resource_type == "QuestionnaireResponse":
            if fail:
                raise ValueError("a part that fails")
            time.sleep(60)
        return real(job, directory, resource_type, *args)

    monkeypatch.setattr(services, "_write_type", slow)
    monkeypatch.setattr(os, "fork", fork)
    monkeypatch.setattr(services, "POLL_SECONDS", 0.05)
    return forked


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_a_cancel_stops_both_parts(record, researcher, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    forked = _slow_part(monkeypatch)
    job = export_start(by=Actor.command_line(researcher), format="fhir", run=False)
    seen: list[int] = []

    def cancel(percent: int) -> None:
        seen.append(percent)
        ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.CANCELLED)

    started = time.monotonic()
    job = export_run(job.pk, on_progress=cancel)
    assert time.monotonic() - started < 30  # not the 60 s the slow part sleeps
    assert job.status == ExportStatus.CANCELLED
    assert seen  # the progress was written while the parts ran
    assert not job_directory(job).exists()
    assert len(forked) == 2 and all(map(_gone, forked))


def test_a_part_that_fails_fails_the_export(record, researcher, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    forked = _slow_part(monkeypatch, fail=True)
    job = export_start(by=Actor.command_line(researcher), format="fhir", run=False)
    with pytest.raises(services.PartFailed, match="ValueError"):
        export_run(job.pk)
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED
    assert job.errors == ["The export failed (PartFailed)."]
    assert not Path(job_directory(job)).exists()
    assert len(forked) == 2 and all(map(_gone, forked))


def test_inside_a_transaction_the_export_runs_in_one_process() -> None:
    privacy = Privacy(profile=ExportProfile.PSEUDONYMOUS, secret="s", today=dt.date(2026, 11, 30))
    with transaction.atomic():
        assert services._parts(["Patient", "QuestionnaireResponse"], privacy) is None
    assert services._parts(["Patient", "QuestionnaireResponse"], privacy) == [
        ["QuestionnaireResponse"],
        ["Patient"],
    ]
    assert services._parts(["QuestionnaireResponse"], privacy) is None
