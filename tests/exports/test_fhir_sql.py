"""On PostgreSQL the large types' NDJSON lines come from raw rows (exports/fhir_sql.py): the same
records exported through that path and through the Python one (fhir.py) give the same
resources, value for value, in every profile and with `_since`; and a line fhir_sql wrote
that does not validate goes to the error file like any other."""

from __future__ import annotations

import datetime as dt
import json
import os
from decimal import Decimal
from pathlib import Path

import orjson
import pytest
from django.db import connection
from django.utils import timezone

from holdspace.exports import fhir, fhir_sql, services
from holdspace.exports.models import ExportProfile, ExportStatus
from holdspace.exports.services import export_run, export_start, job_directory
from holdspace.measures import fhir as measures_fhir
from holdspace.measures import library
from holdspace.measures.models import EnteredBy, Response, Score
from holdspace.people.actors import Actor
from holdspace.people.models import Client
from holdspace.screening.models import MedicalHistory, VitalsReading
from holdspace.sessions.models import VitalReading

from .test_fhir_bulk import _validate

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the SQL path is PostgreSQL's"),
]

TYPES = ["Patient", "QuestionnaireResponse", "Observation"]
# What JSON and COPY could get wrong: a quote, a backslash, a newline, a tab, non-ASCII.
AWKWARD = 'mild "\\ \n\tæøå ✓'


def _awkward_records(record, clinics) -> None:  # type: ignore[no-untyped-def]
    client = clinics.client  # (a client code is a FHIR id: letters, digits, '-' and '.')
    at = timezone.now() - dt.timedelta(days=3)
    # Microseconds: none, trailing zeros, all six digits; temperatures 37.0 and 36.8.
    for micro, temperature in ((0, "37.0"), (120000, "36.8"), (123456, "36.5")):
        reading = VitalReading.objects.filter(session__client=client).order_by("pk").first()
        assert reading is not None
        VitalReading.objects.create(
            session=reading.session,
            taken_at=at.replace(microsecond=micro),
            systolic=131,
            diastolic=79,
            heart_rate=64,
            temperature=temperature,
            spo2=None if micro else 97,
            recorded_by=reading.recorded_by,
        )
    VitalsReading.objects.create(
        client=client,
        measured_at=at.replace(microsecond=5),
        systolic=128,
        diastolic=84,
        heart_rate=66,
        temperature_c=Decimal("36.6"),
    )
    VitalsReading.objects.create(
        client=client, measured_at=at, systolic=122, diastolic=80, heart_rate=70
    )
    MedicalHistory.objects.create(client=client, weight_kg=Decimal("72.5"), height_cm=176)
    MedicalHistory.objects.create(client=client, height_cm=180)  # no weight
    MedicalHistory.objects.create(client=client)  # neither: no Observation
    scores = Score.objects.filter(client=client).order_by("pk")
    first, second = scores[0], scores[1]
    Score.objects.filter(pk=first.pk).update(band=AWKWARD, total=12.5)
    # An instrument the clinic no longer has: the concept falls back to its code.
    Score.objects.filter(pk=second.pk).update(instrument_code='OLD-"\\ø', band="")
    # Responses of each item type; the last three hold values SQL has no item for (a choice
    # outside the options, a scale answer that is not whole, JSON null): Python writes them.
    shipped = library.shipped()
    for instrument, answers, submitted in (
        ("PHQ-9", {"1": 2.0, "3": 1}, None),  # in progress, 2.0 for option 2
        ("SDS", {"1": 3.5, "2": 4}, at),  # number items
        ("DAST-10", {"1": True, "2": 0, "3": 1}, at),  # yes-no
        ("EBI", {"1": 55, "2": 60.0}, at),  # scale 0-100
        ("PHQ-9", {"1": 7}, at),
        ("EBI", {"1": 12.5}, at),
        ("SDS", {"1": None}, at),
    ):
        Response.objects.create(
            client=client,
            instrument_code=instrument,
            definition_version=shipped[instrument].version,
            answers=answers,
            entered_by=EnteredBy.CLINICIAN,
            submitted_at=submitted,
        )
    Response.objects.create(  # an instrument the clinic does not have: not exported
        client=client, instrument_code="GONE", definition_version="1", answers={"1": 1}
    )


def _export(researcher, monkeypatch, *, sql: bool, profile: str, since=None):  # type: ignore[no-untyped-def]
    with monkeypatch.context() as patched:
        if not sql:
            patched.setattr(fhir_sql, "handles", lambda resource_type, privacy: False)
        job = export_start(
            by=Actor.command_line(researcher),
            format="fhir",
            types=TYPES,
            profile=profile,
            since=since,
            run=False,
        )
        used = []
        real_lines = fhir_sql.lines

        def lines(*args, **kwargs):  # type: ignore[no-untyped-def]
            used.append(args[0])
            yield from real_lines(*args, **kwargs)

        patched.setattr(fhir_sql, "lines", lines)
        job = export_run(job.pk, validate_every=True)
    assert job.status == ExportStatus.DONE, job.errors
    assert not any(f.get("error") for f in job.files), job.files
    # Patients of a de-identified (birth year, "90+") or identified export stay in Python.
    expected = TYPES if profile == ExportProfile.PSEUDONYMOUS else TYPES[1:]
    assert used == (expected if sql else [])
    found: dict[str, list[dict[str, object]]] = {}
    for entry in job.files:
        text = Path(job_directory(job) / str(entry["name"])).read_text(encoding="utf-8")
        lines_ = text.splitlines()
        assert len(lines_) == entry["count"]
        found[str(entry["type"])] = sorted(
            (_validate(line) for line in lines_), key=lambda r: str(r["id"])
        )
    return found


@pytest.mark.parametrize(
    ("profile", "who"),
    [
        (ExportProfile.PSEUDONYMOUS, "researcher"),
        (ExportProfile.DEIDENTIFIED, "researcher"),
        (ExportProfile.IDENTIFIED, "lead"),
    ],
)
def test_postgresql_writes_the_same_resources_as_the_python_path(  # type: ignore[no-untyped-def]
    record, clinics, monkeypatch, request, profile, who
) -> None:
    member = request.getfixturevalue(who)
    _awkward_records(record, clinics)
    by_sql = _export(member, monkeypatch, sql=True, profile=profile)
    by_python = _export(member, monkeypatch, sql=False, profile=profile)
    assert set(by_sql) == set(TYPES)
    for kind in TYPES:
        assert len(by_sql[kind]) == len(by_python[kind])
        for written, built in zip(by_sql[kind], by_python[kind], strict=True):
            assert written == built
            # Same JSON types too (1 == 1.0 in Python, not in a stricter reader).
            assert json.dumps(written) == json.dumps(built)
    observations = {o["id"]: o for o in by_sql["Observation"]}
    assert any(o.get("interpretation") == [{"text": AWKWARD}] for o in observations.values())
    assert any(
        o["code"]
        == {  # type: ignore[comparison-overlap]
            "coding": [{"system": fhir.HS + "instrument-total", "code": 'OLD-"\\ø'}],
            "text": 'OLD-"\\ø total',
        }
        for o in observations.values()
    )
    times = {str(o["effectiveDateTime"]) for o in observations.values()}
    assert any(t.endswith(".120000+00:00") for t in times)
    assert any(t.endswith(".000005+00:00") for t in times)


def test_the_two_paths_agree_on_since(record, clinics, researcher, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _awkward_records(record, clinics)
    mark = timezone.now()
    VitalReading.objects.filter(pk=VitalReading.objects.order_by("pk")[0].pk).update(
        recorded_at=mark + dt.timedelta(seconds=1)
    )
    Client.objects.filter(pk=clinics.client.pk).update(updated_at=mark + dt.timedelta(seconds=1))
    profile = ExportProfile.PSEUDONYMOUS
    by_sql = _export(researcher, monkeypatch, sql=True, profile=profile, since=mark)
    by_python = _export(researcher, monkeypatch, sql=False, profile=profile, since=mark)
    assert by_sql == by_python
    assert [p["id"] for p in by_sql["Patient"]] == [clinics.client.code]
    assert {str(o["id"]).rsplit("-", 1)[0] for o in by_sql["Observation"]} == {
        f"vital-{VitalReading.objects.order_by('pk')[0].pk}"
    }


def test_a_line_postgresql_wrote_that_does_not_validate_goes_to_the_error_file(  # type: ignore[no-untyped-def]
    record, researcher, monkeypatch
) -> None:
    real = fhir.patient

    def broken(subject: str, system: str) -> dict[str, object]:
        return {**real(subject, system), "birthDate": "31/12/1999"}  # not a FHIR date

    monkeypatch.setattr(fhir, "patient", broken)
    job = export_start(
        by=Actor.command_line(researcher), format="fhir", types=["Patient"], run=False
    )
    job = export_run(job.pk)
    assert job.status == ExportStatus.DONE
    [errors] = job.files
    assert errors["error"] is True and errors["count"] == len(record.clients)
    lines = (job_directory(job) / str(errors["name"])).read_text().splitlines()
    outcome = _validate(lines[0])
    assert "Patient/HS-" in outcome["issue"][0]["diagnostics"]  # type: ignore[index]
    assert "31/12/1999" not in lines[0]  # values are never echoed


def test_a_reading_s_lines_are_checked_one_by_one(record, researcher, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A reading's vital signs are written as one block of lines: a line of it that does
    not validate goes to the error file, and the reading's other lines are still written."""
    real = fhir.vital_observation

    def broken(prefix: str, pk: object, suffix: str, fields: dict[str, object]):  # type: ignore[no-untyped-def]
        made = real(prefix, pk, suffix, fields)
        return {**made, "unknownElement": 1} if suffix == "hr" else made

    monkeypatch.setattr(fhir, "vital_observation", broken)
    readings = VitalReading.objects.filter(session__client__clinic=researcher.clinic)
    baseline = VitalsReading.objects.filter(client__clinic=researcher.clinic)
    with_rate = (
        readings.exclude(heart_rate=None).count() + baseline.exclude(heart_rate=None).count()
    )
    assert readings.exclude(heart_rate=None).exists()
    job = export_start(
        by=Actor.command_line(researcher), format="fhir", types=["Observation"], run=False
    )
    job = export_run(job.pk)
    assert job.status == ExportStatus.DONE
    files = {str(f["name"]): f for f in job.files}
    errors = files["OperationOutcome.ndjson"]
    assert errors["count"] == with_rate
    for line in (job_directory(job) / "OperationOutcome.ndjson").read_text().splitlines():
        assert "-hr was left out" in str(_validate(line)["issue"][0]["diagnostics"])  # type: ignore[index]
    written = (job_directory(job) / "Observation.ndjson").read_text().splitlines()
    assert len(written) == files["Observation.ndjson"]["count"]
    ids = {str(_validate(line)["id"]) for line in written}
    assert not any(i.endswith("-hr") for i in ids)
    for reading in readings.exclude(heart_rate=None).exclude(systolic=None):
        assert f"vital-{reading.pk}-bp" in ids  # the same block's other lines


def _jsonb(answers: dict[str, object]) -> bytes:
    """The answers as PostgreSQL's jsonb writes them (its own key order and spacing)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::jsonb::text", [json.dumps(answers)])
        [(text,)] = cursor.fetchall()
    return str(text).encode()


def _items(found: fhir_sql.Items, answers: bytes) -> bytes:
    """What the export writes as a response's items (the table, else the builder)."""
    try:
        return b",".join(map(found.pairs.__getitem__, answers[1:-1].split(b", ")))
    except KeyError:
        return found.mapped(answers)


def test_answer_tables_give_what_the_builder_gives() -> None:
    """Every value each shipped instrument's items allow (and some they do not: 2.0 for
    option 2, true for a choice, 12.5 on a 0-100 scale; a number item's decimals, integers,
    a string, null), looked up as jsonb writes it, gives the item
    measures.fhir.response_items makes."""
    for code, definition in library.shipped().items():
        found = fhir_sql.Items(definition)
        values: dict[str, list[object]] = {}
        for item in definition.items:
            allowed: list[object] = [o.value for o in item.options] + [True]
            if item.type == "number":  # (a string or null the builder takes only here)
                allowed += [0, 3, -1.25, 2.5, 1e-3, "x", None]
            if item.type == "scale-0-100":
                allowed += [0, 55, 60.0, 100, 12.5]
            if item.type == "yes-no":
                allowed += [False, 0, 1]
            values[item.link_id] = allowed
        for step in range(max((len(v) for v in values.values()), default=0)):
            answers = {link: v[step % len(v)] for link, v in values.items()}
            built = measures_fhir.response_items(answers, definition)
            expected = b",".join(orjson.dumps(item) for item in built)
            assert _items(found, _jsonb(answers)) == expected, (code, answers)
        assert _items(found, _jsonb({})) == b""


def test_link_ids_out_of_jsonb_order_are_mapped_by_the_builder() -> None:
    """jsonb writes keys shorter first: a definition whose items come in another order gets
    no table, and its responses' items keep the definition's order."""
    phq9 = library.shipped()["PHQ-9"]
    backwards = phq9.model_copy(update={"items": list(reversed(phq9.items))})
    found = fhir_sql.Items(backwards)
    assert not found.pairs
    answers = {"1": 2, "9": 0, "5": 1}
    written = _items(found, _jsonb(answers))
    assert [json.loads(f"[{written.decode()}]")[i]["linkId"] for i in range(3)] == ["9", "5", "1"]
    built = measures_fhir.response_items(answers, backwards)
    assert written == b",".join(orjson.dumps(item) for item in built)


def test_the_writer_finishes_a_short_write(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """writev may write less than asked: the rest follows, in order."""
    real = os.writev
    monkeypatch.setattr(os, "writev", lambda fd, buffers: real(fd, [bytes(buffers[0])[:3]]))
    writer = services._Writer(tmp_path / "out.ndjson")
    writer.write(b'{"a":1}\n')
    writer.write([b'{"b":2}\n', b'{"c":3}\n'])
    writer.write(b'{"d":4}\n')
    writer.close()
    assert (tmp_path / "out.ndjson").read_bytes() == b'{"a":1}\n{"b":2}\n{"c":3}\n{"d":4}\n'


@pytest.mark.skipif(not hasattr(os, "posix_fadvise"), reason="no posix_fadvise here (macOS)")
def test_the_writer_settles_what_it_wrote(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Every SETTLED bytes and at the end, the file is flushed to the disk and what was
    written since the last time is dropped from the page cache: every byte once, in order,
    the last range at close."""
    calls: list[tuple[str, int, int]] = []
    real_sync, real_advise = os.fdatasync, os.posix_fadvise
    monkeypatch.setattr(services._Writer, "SETTLED", 20)
    monkeypatch.setattr(services._Writer, "PIECE", 8)
    monkeypatch.setattr(
        os, "fdatasync", lambda fd: (calls.append(("sync", os.fstat(fd).st_size, 0)), real_sync(fd))
    )
    monkeypatch.setattr(
        os,
        "posix_fadvise",
        lambda fd, start, length, advice: (
            calls.append(("drop", start, length)),
            real_advise(fd, start, length, advice),
        ),
    )
    writer = services._Writer(tmp_path / "out.ndjson")
    for number in range(10):
        writer.write(b'{"n":%d}\n' % number)  # 8 bytes each
    writer.write([b'{"b":2}\n', b'{"c":3}\n'])
    writer.close()
    assert (tmp_path / "out.ndjson").read_bytes() == b"".join(
        [b'{"n":%d}\n' % n for n in range(10)] + [b'{"b":2}\n', b'{"c":3}\n']
    )
    drops = [(start, length) for kind, start, length in calls if kind == "drop"]
    assert drops[0][0] == 0 and all(length >= 20 for _start, length in drops[:-1])
    assert [start for start, _length in drops[1:]] == [s + n for s, n in drops[:-1]]
    assert sum(length for _start, length in drops) == 96
    # Each drop follows a flush of the file as long as the range dropped; the whole file is
    # flushed at close (once more when nothing was left to drop).
    kinds = [kind for kind, _a, _b in calls]
    assert all(kinds[i - 1] == "sync" for i, kind in enumerate(kinds) if kind == "drop")
    flushed = [size for kind, size, _zero in calls if kind == "sync"]
    assert all(
        calls[i - 1][1] >= start + length
        for i, (kind, start, length) in enumerate(calls)
        if kind == "drop"
    )
    assert flushed[-1] == 96
