"""Plain tables (CSV, Parquet) and the REDCap pair, written from the same streamed rows.

Each table is one query streamed with `.iterator()`: rows go to the file as they come, so
memory does not grow with the number of clients. Column types are declared once, so CSV
and Parquet agree, and R, Stata and pandas read typed columns from Parquet.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from holdspace.core.dates import months_after
from holdspace.courses.models import Visit
from holdspace.measures.models import Response, Score
from holdspace.people.models import Client
from holdspace.screening.models import MedicalHistory, Medication, VitalsReading
from holdspace.sessions.models import AdverseEvent, MedicineSession, VitalReading

from .deid import MAX_AGE, RECIPE, SMALL_CELL, Privacy
from .models import ExportFormat, ExportJob

CHUNK = 2000
Row = tuple[Any, ...]
Columns = list[tuple[str, str]]  # (name, kind): str int float bool date datetime


@dataclass
class Table:
    name: str
    columns: Callable[[Privacy], Columns]
    rows: Callable[[QuerySet[Client], Privacy], Iterator[Row]]


def _local(value: dt.datetime | None) -> dt.datetime | None:
    return timezone.localtime(value) if value is not None else None


def _client_columns(privacy: Privacy) -> Columns:
    columns = [("record_id", "str"), ("phase", "str")]
    if privacy.identified:
        columns += [
            ("given_name", "str"),
            ("family_name", "str"),
            ("birth_date", "str"),
            ("email", "str"),
            ("phone", "str"),
        ]
    elif privacy.deidentified:
        columns += [("birth_year", "str"), ("age_group", "str")]
    return columns


def _client_rows(clients: QuerySet[Client], privacy: Privacy) -> Iterator[Row]:
    fields = ["code", "phase", "identity__birth_date"]
    if privacy.identified:
        fields += [
            "identity__given_name",
            "identity__family_name",
            "identity__email",
            "identity__phone",
        ]
    for row in clients.order_by("pk").values(*fields).iterator(chunk_size=CHUNK):
        code = row["code"]
        out: list[Any] = [privacy.subject(code), row["phase"]]
        birth, group = privacy.birth(row["identity__birth_date"])
        if privacy.identified:
            out += [
                row["identity__given_name"] or "",
                row["identity__family_name"] or "",
                birth or "",
                row["identity__email"] or "",
                row["identity__phone"] or "",
            ]
        elif privacy.deidentified:
            out += [birth or "", group or ""]
        yield tuple(out)


def _scores(clients: QuerySet[Client], privacy: Privacy) -> Iterator[Row]:
    rows = Score.objects.filter(client__in=clients).order_by("client_id", "pk")
    for row in rows.values(
        "client__code", "response_id", "instrument_code", "total", "band", "observed_on"
    ).iterator(chunk_size=CHUNK):
        code = row["client__code"]
        yield (
            privacy.subject(code),
            row["response_id"],
            row["instrument_code"],
            row["total"],
            row["band"],
            privacy.shifted(code, row["observed_on"]),
        )


def _responses(clients: QuerySet[Client], privacy: Privacy) -> Iterator[Row]:
    rows = Response.objects.filter(client__in=clients).order_by("client_id", "pk")
    for row in rows.values(
        "pk",
        "client__code",
        "instrument_code",
        "definition_version",
        "assignment__timepoint",
        "submitted_at",
        "answers",
    ).iterator(chunk_size=CHUNK):
        code = row["client__code"]
        submitted = privacy.shifted(code, _local(row["submitted_at"]))
        for item, value in sorted(row["answers"].items()):
            yield (
                privacy.subject(code),
                row["pk"],
                row["instrument_code"],
                row["definition_version"],
                row["assignment__timepoint"] or "",
                submitted,
                str(item),
                float(value) if value is not None else None,
            )


def _vitals(clients: QuerySet[Client], privacy: Privacy) -> Iterator[Row]:
    rows = VitalReading.objects.filter(session__client__in=clients).order_by(
        "session__client_id", "pk"
    )
    for row in rows.values(
        "session__client__code",
        "session_id",
        "taken_at",
        "systolic",
        "diastolic",
        "heart_rate",
        "temperature",
        "spo2",
        "suds",
        "is_baseline",
    ).iterator(chunk_size=CHUNK):
        code = row["session__client__code"]
        yield (
            privacy.subject(code),
            row["session_id"],
            privacy.shifted(code, _local(row["taken_at"])),
            row["systolic"],
            row["diastolic"],
            row["heart_rate"],
            float(row["temperature"]),
            row["spo2"],
            row["suds"],
            row["is_baseline"],
        )


def _baseline_vitals(clients: QuerySet[Client], privacy: Privacy) -> Iterator[Row]:
    """Readings taken at screening (before any session)."""
    rows = VitalsReading.objects.filter(client__in=clients).order_by("client_id", "pk")
    for code, measured_at, systolic, diastolic, heart_rate, temperature in rows.values_list(
        "client__code", "measured_at", "systolic", "diastolic", "heart_rate", "temperature_c"
    ).iterator(chunk_size=CHUNK):
        yield (
            privacy.subject(code),
            privacy.shifted(code, _local(measured_at)),
            systolic,
            diastolic,
            heart_rate,
            None if temperature is None else float(temperature),
        )


def _body_measures(clients: QuerySet[Client], privacy: Privacy) -> Iterator[Row]:
    """Weight and height of each medical-history version that records them."""
    rows = (
        MedicalHistory.objects.filter(client__in=clients)
        .exclude(weight_kg__isnull=True, height_cm__isnull=True)
        .order_by("client_id", "pk")
    )
    for code, recorded_at, weight_kg, height_cm in rows.values_list(
        "client__code", "recorded_at", "weight_kg", "height_cm"
    ).iterator(chunk_size=CHUNK):
        yield (
            privacy.subject(code),
            privacy.shifted(code, _local(recorded_at)),
            None if weight_kg is None else float(weight_kg),
            height_cm,
        )


def _adverse_events(clients: QuerySet[Client], privacy: Privacy) -> Iterator[Row]:
    rows = AdverseEvent.objects.filter(session__client__in=clients).order_by(
        "session__client_id", "pk"
    )
    for row in rows.values(
        "session__client__code",
        "session_id",
        "term",
        "onset_at",
        "severity",
        "serious_criteria",
        "relatedness",
        "outcome",
    ).iterator(chunk_size=CHUNK):
        code = row["session__client__code"]
        term = "" if privacy.deidentified else row["term"]  # typed by staff: free text
        yield (
            privacy.subject(code),
            row["session_id"],
            term,
            privacy.shifted(code, _local(row["onset_at"])),
            row["severity"],
            bool(row["serious_criteria"]),
            " ".join(row["serious_criteria"] or []),
            row["relatedness"],
            row["outcome"],
        )


def _medications(clients: QuerySet[Client], privacy: Privacy) -> Iterator[Row]:
    rows = Medication.objects.filter(client__in=clients).order_by("client_id", "pk")
    for row in rows.values("client__code", "name", "list_key", "start_date", "stop_date").iterator(
        chunk_size=CHUNK
    ):
        code = row["client__code"]
        # The name a person typed is free text: only identified exports carry it.
        name = row["name"] if privacy.identified else ""
        yield (
            privacy.subject(code),
            row["list_key"],
            name,
            privacy.shifted(code, row["start_date"]),
            privacy.shifted(code, row["stop_date"]),
        )


def _visits(clients: QuerySet[Client], privacy: Privacy) -> Iterator[Row]:
    rows = Visit.objects.filter(course__clients__in=clients).order_by("pk")
    for row in rows.values(
        "course__clients__code",
        "course_id",
        "kind",
        "number",
        "starts_at",
        "duration_minutes",
        "cancelled",
    ).iterator(chunk_size=CHUNK):
        code = row["course__clients__code"]
        yield (
            privacy.subject(code),
            row["course_id"],
            row["kind"],
            row["number"],
            privacy.shifted(code, _local(row["starts_at"])),
            row["duration_minutes"],
            row["cancelled"],
        )


def _sessions(clients: QuerySet[Client], privacy: Privacy) -> Iterator[Row]:
    rows = MedicineSession.objects.filter(client__in=clients).order_by("client_id", "pk")
    for row in rows.values("client__code", "pk", "status", "started_at", "ended_at").iterator(
        chunk_size=CHUNK
    ):
        code = row["client__code"]
        yield (
            privacy.subject(code),
            row["pk"],
            row["status"],
            privacy.shifted(code, _local(row["started_at"])),
            privacy.shifted(code, _local(row["ended_at"])),
        )


def _fixed(columns: Columns) -> Callable[[Privacy], Columns]:
    return lambda _privacy: columns


TABLES = [
    Table("clients", _client_columns, _client_rows),
    Table(
        "scores",
        _fixed(
            [
                ("record_id", "str"),
                ("response_id", "int"),
                ("instrument", "str"),
                ("total", "float"),
                ("band", "str"),
                ("observed_on", "date"),
            ]
        ),
        _scores,
    ),
    Table(
        "responses",
        _fixed(
            [
                ("record_id", "str"),
                ("response_id", "int"),
                ("instrument", "str"),
                ("version", "str"),
                ("timepoint", "str"),
                ("submitted_at", "datetime"),
                ("item", "str"),
                ("value", "float"),
            ]
        ),
        _responses,
    ),
    Table(
        "vitals",
        _fixed(
            [
                ("record_id", "str"),
                ("session_id", "int"),
                ("taken_at", "datetime"),
                ("systolic", "int"),
                ("diastolic", "int"),
                ("heart_rate", "int"),
                ("temperature_c", "float"),
                ("spo2", "int"),
                ("suds", "int"),
                ("is_baseline", "bool"),
            ]
        ),
        _vitals,
    ),
    Table(
        "baseline_vitals",
        _fixed(
            [
                ("record_id", "str"),
                ("measured_at", "datetime"),
                ("systolic", "int"),
                ("diastolic", "int"),
                ("heart_rate", "int"),
                ("temperature_c", "float"),
            ]
        ),
        _baseline_vitals,
    ),
    Table(
        "body_measures",
        _fixed(
            [
                ("record_id", "str"),
                ("recorded_at", "datetime"),
                ("weight_kg", "float"),
                ("height_cm", "int"),
            ]
        ),
        _body_measures,
    ),
    Table(
        "adverse_events",
        _fixed(
            [
                ("record_id", "str"),
                ("session_id", "int"),
                ("term", "str"),
                ("onset_at", "datetime"),
                ("severity", "str"),
                ("serious", "bool"),
                ("serious_criteria", "str"),
                ("relatedness", "str"),
                ("outcome", "str"),
            ]
        ),
        _adverse_events,
    ),
    Table(
        "medications",
        _fixed(
            [
                ("record_id", "str"),
                ("list_key", "str"),
                ("name", "str"),
                ("start_date", "date"),
                ("stop_date", "date"),
            ]
        ),
        _medications,
    ),
    Table(
        "visits",
        _fixed(
            [
                ("record_id", "str"),
                ("course_id", "int"),
                ("kind", "str"),
                ("number", "int"),
                ("starts_at", "datetime"),
                ("duration_minutes", "int"),
                ("cancelled", "bool"),
            ]
        ),
        _visits,
    ),
    Table(
        "sessions",
        _fixed(
            [
                ("record_id", "str"),
                ("session_id", "int"),
                ("status", "str"),
                ("started_at", "datetime"),
                ("ended_at", "datetime"),
            ]
        ),
        _sessions,
    ),
]


def csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _write_csv(path: Path, columns: Columns, rows: Iterator[Row], tick: Callable[[], None]) -> int:
    count = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([name for name, _kind in columns])
        for row in rows:
            writer.writerow([csv_value(v) for v in row])
            count += 1
            if count % 5000 == 0:
                tick()
    return count


def _write_parquet(
    path: Path, columns: Columns, rows: Iterator[Row], tick: Callable[[], None]
) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    kinds = {
        "str": pa.string(),
        "int": pa.int64(),
        "float": pa.float64(),
        "bool": pa.bool_(),
        "date": pa.date32(),
        "datetime": pa.timestamp("s"),  # local clinic time, as in the CSV
    }
    schema = pa.schema([(name, kinds[kind]) for name, kind in columns])
    count = 0
    with pq.ParquetWriter(str(path), schema) as writer:
        batch: list[Row] = []

        def flush() -> None:
            arrays = [
                pa.array(
                    [
                        r[i].replace(tzinfo=None) if isinstance(r[i], dt.datetime) else r[i]
                        for r in batch
                    ],
                    type=schema.field(i).type,
                )
                for i in range(len(columns))
            ]
            writer.write_batch(pa.record_batch(arrays, schema=schema))
            batch.clear()
            tick()

        for row in rows:
            batch.append(row)
            count += 1
            if len(batch) >= 10_000:
                flush()
        if batch:
            flush()
    return count


def small_cells(clients: QuerySet[Client], privacy: Privacy) -> list[tuple[str, str, int]]:
    """(variable, value, clients) for values shared by fewer than SMALL_CELL clients."""
    from django.db.models import Count

    found: list[tuple[str, str, int]] = []
    checks = [
        # Only variables the de-identified files carry (the typed AE term is left out).
        (
            "adverse_event_severity",
            AdverseEvent.objects.filter(session__client__in=clients),
            "severity",
            "session__client",
        ),
        (
            "medication",
            Medication.objects.filter(client__in=clients).exclude(list_key=""),
            "list_key",
            "client",
        ),
        ("phase", clients, "phase", "pk"),
    ]
    for variable, queryset, field, who in checks:
        for row in (
            queryset.values(field).annotate(n=Count(who, distinct=True)).filter(n__lt=SMALL_CELL)
        ):
            found.append((variable, str(row[field]), int(row["n"])))
    # Born on or before this day: over 89 today (a day early at most, on the safe side). On
    # 29 February the day 90 years earlier is 28 February (that year has no 29th).
    cutoff = months_after(privacy.today, -12 * (MAX_AGE + 1))
    old = clients.filter(identity__birth_date__lte=cutoff).count() if privacy.deidentified else 0
    if 0 < old < SMALL_CELL:
        found.append(("age_group", "90+", old))
    return found


def readme(job: ExportJob, files: list[dict[str, object]], privacy: Privacy) -> str:
    lines = [
        "Holdspace export",
        f"Format: {job.format}; profile: {job.profile}; made {timezone.now():%Y-%m-%d %H:%M}.",
        "Times are the clinic's local time, written YYYY-MM-DD HH:MM:SS; dates YYYY-MM-DD.",
        "",
        "Files:",
        *[f"- {f['name']}: {f['count']} rows" for f in files],
        "",
    ]
    if privacy.deidentified:
        lines.append(RECIPE.format(k=SMALL_CELL))
    else:
        lines.append("Clients are known by their pseudonymous client code (record_id).")
    return "\n".join(lines) + "\n"


def write_tables(
    job: ExportJob,
    directory: Path,
    privacy: Privacy,
    clients: Any,
    progress: Callable[[ExportJob, int], None],
) -> list[dict[str, object]]:
    """Write the job's files: REDCap pair, or one CSV / Parquet file per table; with a README
    (and the small-cell list when de-identified)."""
    files: list[dict[str, object]] = []

    def add(name: str, kind: str, count: int) -> None:
        files.append(
            {"type": kind, "name": name, "count": count, "bytes": (directory / name).stat().st_size}
        )

    if job.format == ExportFormat.REDCAP:
        from .redcap import write_redcap

        for name, kind, count in write_redcap(
            directory, clients, privacy, job.clinic_id, lambda: progress(job, 50)
        ):
            add(name, kind, count)
    else:
        for index, table in enumerate(TABLES):
            columns = table.columns(privacy)
            rows = table.rows(clients, privacy)
            percent = int(100 * index / len(TABLES))

            def tick(percent: int = percent) -> None:
                progress(job, percent)

            if job.format == ExportFormat.PARQUET:
                name = f"{table.name}.parquet"
                count = _write_parquet(directory / name, columns, rows, tick)
            else:
                name = f"{table.name}.csv"
                count = _write_csv(directory / name, columns, rows, tick)
            add(name, table.name, count)
            progress(job, int(100 * (index + 1) / len(TABLES)))
    if privacy.deidentified:
        cells = small_cells(clients, privacy)
        with (directory / "small_cells.csv").open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["variable", "value", "clients"])
            writer.writerows(cells)
        add("small_cells.csv", "small_cells", len(cells))
    (directory / "README.txt").write_text(readme(job, files, privacy), encoding="utf-8")
    add("README.txt", "readme", 1)
    return files
