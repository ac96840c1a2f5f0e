"""Benchmark: the FHIR Bulk Data export (NDJSON) of a large clinic, against a raw dump of the
same rows, and its memory at 10k and at 50k clients.

Builds one clinic with the network demo (`--clients`, 50,000 at `--scale network`: courses,
sessions with vital signs, screening, some 40 responses and scores per client) plus a PHQ-9
response and score per client, exports Patient, QuestionnaireResponse and Observation (vital
signs of sessions and screening, and instrument totals), then prints: resources per second of
`export_run` (the code a kick-off runs), the time of a raw dump of the same rows (`COPY ... TO
STDOUT` on PostgreSQL, a plain cursor read on SQLite), their ratio, and the peak RSS of an
export of the first 10,000 clients beside that of all of them (flat memory means the two are
close). On PostgreSQL the raw dump is timed twice: read with psycopg's Copy iteration, then
read as the export reads its rows (libpq directly), the stricter baseline. Run
`.venv/bin/python bench/export.py [--scale network]`; uses a throw-away SQLite file unless
DATABASE_URL is set (then it must be a throw-away database named *bench*). `--reuse` keeps what
an earlier run loaded, `--load-only` stops after loading, `--profile` prints where the full
export spends its time (in one process, as `--serial` runs it: the export otherwise builds
QuestionnaireResponses and the other types in two processes on PostgreSQL). The machine may
be shared: the export's own CPU time (with its parts') and the load average are printed
beside the wall-clock time.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import logging
import os
import pstats
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# The same rows as the export reads, dumped raw (COPY ... TO STDOUT on PostgreSQL).
RAW_QUERIES = [
    "SELECT c.id, c.code FROM people_client c WHERE c.clinic_id = %s ORDER BY c.id",
    "SELECT r.id, c.code, r.instrument_code, r.definition_version, r.answers, "
    "r.submitted_at FROM measures_response r JOIN people_client c ON c.id = r.client_id "
    "WHERE c.clinic_id = %s ORDER BY r.id",
    "SELECT s.id, s.response_id, c.code, s.instrument_code, s.total, s.band, s.observed_on "
    "FROM measures_score s JOIN people_client c ON c.id = s.client_id "
    "WHERE c.clinic_id = %s ORDER BY s.id",
    "SELECT v.id, c.code, v.taken_at, v.systolic, v.diastolic, v.heart_rate, "
    "v.temperature, v.spo2 FROM medicine_sessions_vitalreading v "
    "JOIN medicine_sessions_medicinesession m ON m.id = v.session_id "
    "JOIN people_client c ON c.id = m.client_id WHERE c.clinic_id = %s ORDER BY v.id",
    "SELECT v.id, c.code, v.measured_at, v.systolic, v.diastolic, v.heart_rate, "
    "v.temperature_c FROM screening_vitalsreading v "
    "JOIN people_client c ON c.id = v.client_id WHERE c.clinic_id = %s ORDER BY v.id",
    "SELECT h.id, c.code, h.recorded_at, h.weight_kg, h.height_cm "
    "FROM screening_medicalhistory h JOIN people_client c ON c.id = h.client_id "
    "WHERE c.clinic_id = %s ORDER BY h.id",
]


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def reset_peak() -> None:
    # Linux: writing 5 to clear_refs resets the peak RSS (VmHWM) to the current RSS.
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def children_cpu() -> float:
    """CPU seconds of the processes this one has waited for (an export's parts)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--scale", choices=["small", "network"], default="small")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the rows a previous run loaded into this database (load only if empty)",
    )
    parser.add_argument("--load-only", action="store_true", help="load the rows, then stop")
    parser.add_argument(
        "--profile", action="store_true", help="print where the full export spends its time"
    )
    parser.add_argument(
        "--serial",
        action="store_true",
        help="build every type in the export's own process (profiled runs are: the profiler "
        "sees one process only)",
    )
    args = parser.parse_args()
    clients = 50_000 if args.scale == "network" else args.clients

    workdir = Path(tempfile.mkdtemp(prefix="holdspace-bench-"))
    os.environ.setdefault("HOLDSPACE_ENV", "test")
    os.environ.setdefault("HOLDSPACE_VAR_DIR", str(workdir))
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir / 'bench.sqlite3'}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "holdspace.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from holdspace.exports import selectors, services
    from holdspace.exports.models import ExportStatus
    from holdspace.exports.services import export_run, export_start, job_directory
    from holdspace.measures import library
    from holdspace.measures.models import EnteredBy, Response, Score
    from holdspace.network_demo import demo_build_network
    from holdspace.people.actors import Actor
    from holdspace.people.models import Client, Membership, Role

    if connection.vendor == "postgresql" and "bench" not in str(connection.settings_dict["NAME"]):
        sys.exit("Point DATABASE_URL at a throw-away database named *bench*: this fills it.")
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    loaded = args.reuse and Client.objects.exists()
    if not loaded:
        demo_build_network(clinics=1, clients=clients)
    phq9 = library.shipped()["PHQ-9"]
    now = timezone.now()
    ids, clinics = [], {}
    for pk, clinic_id in Client.objects.order_by("pk").values_list("pk", "clinic_id"):
        ids.append(pk)
        clinics[pk] = clinic_id
    for chunk in range(0, 0 if loaded else len(ids), 5000):
        batch = ids[chunk : chunk + 5000]
        made = Response.objects.bulk_create(
            Response(
                client_id=pk,
                instrument_code="PHQ-9",
                definition_version=phq9.version,
                answers={str(i): (pk + i) % 4 for i in range(1, 10)},
                entered_by=EnteredBy.CLINICIAN,
                submitted_at=now,
            )
            for pk in batch
        )
        Score.objects.bulk_create(
            Score(
                response=r,
                client_id=r.client_id,
                clinic_id=clinics[r.client_id],
                instrument_code="PHQ-9",
                definition_version=phq9.version,
                total=float(sum(r.answers.values())),
                scored_at=now,
                observed_on=now.date(),
            )
            for r in made
        )
    print(
        f"{len(ids)} clients {'reused' if loaded else 'loaded'} in "
        f"{time.perf_counter() - started:.1f} s ({connection.vendor})"
    )
    if connection.vendor == "postgresql" and not loaded:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # fresh planner statistics after the bulk load
    if args.load_only:
        return

    member = Membership.objects.filter(role=Role.RESEARCHER).order_by("pk").first()
    assert member is not None
    last_of_10k = ids[min(10_000, len(ids)) - 1]
    selectors.register_group("bench", lambda m, rest: Client.objects.filter(pk__lte=last_of_10k))
    types = ["Patient", "QuestionnaireResponse", "Observation"]

    if args.serial or args.profile:
        services.PARALLEL = False
    # The export logs each part's peak RSS and CPU (at INFO) when it runs in parts.
    logging.getLogger("holdspace.exports.services").setLevel(logging.INFO)

    def run(group: str) -> tuple[float, int, float, float, Any]:
        reset_peak()
        job = export_start(
            by=Actor.command_line(member), format="fhir", group=group, types=types, run=False
        )
        t0 = time.perf_counter()
        cpu0 = time.process_time() + children_cpu()
        if args.profile and not group:
            profiler = cProfile.Profile()
            job = profiler.runcall(export_run, job.pk)
            pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        else:
            job = export_run(job.pk)
        seconds = time.perf_counter() - t0
        cpu = time.process_time() + children_cpu() - cpu0
        assert job.status == ExportStatus.DONE, job.errors
        assert not any(f.get("error") for f in job.files), "some resources did not validate"
        count = sum(int(f["count"]) for f in job.files)  # type: ignore[call-overload]
        # Some 6 GB at --scale network, in HOLDSPACE_VAR_DIR (which may be set: not workdir).
        shutil.rmtree(job_directory(job), ignore_errors=True)
        return seconds, count, peak_rss_mb(), cpu, job

    small_s, small_n, small_rss, small_cpu, _small_job = run("bench-10k")
    full_s, full_n, full_rss, full_cpu, full_job = run("")
    print(
        f"export of the first 10k clients: {small_n} resources in {small_s:.1f} s "
        f"(CPU of this process and its parts {small_cpu:.1f} s)"
    )
    print(
        f"export of {len(ids)} clients: {full_n} resources in {full_s:.1f} s "
        f"= {full_n / full_s:,.0f} resources/s, peak RSS {full_rss:.0f} MB; "
        f"CPU of this process and its parts {full_cpu:.1f} s = "
        f"{full_n / full_cpu:,.0f} resources/CPU-s "
        "(the database's own CPU not counted)"
    )
    load = os.getloadavg()
    print(f"load average during the run: {load[0]:.1f} (2 cores: above 2 means shared CPU)")

    t0 = time.perf_counter()
    cpu0 = time.process_time()
    with (workdir / "raw.out").open("wb") as out:
        if connection.vendor == "postgresql":
            raw = connection.connection
            if raw is None:
                connection.ensure_connection()
                raw = connection.connection
            with raw.cursor() as cursor:
                for sql in RAW_QUERIES:
                    literal = sql.replace("%s", str(int(member.clinic_id)))
                    with cursor.copy(f"COPY ({literal}) TO STDOUT") as copy:
                        for data in copy:
                            out.write(data)
        else:
            with connection.cursor() as cursor:
                for sql in RAW_QUERIES:
                    cursor.execute(sql, [member.clinic_id])
                    while rows := cursor.fetchmany(5000):
                        out.write(repr(rows).encode())
    raw_s = time.perf_counter() - t0
    raw_cpu = time.process_time() - cpu0
    print(f"raw dump of the same rows: {raw_s:.2f} s (this process's CPU {raw_cpu:.1f} s)")
    print(f"ratio export / raw: {full_s / raw_s:.1f}x (target: within 2x, and >= 20,000/s)")
    if connection.vendor == "postgresql":
        # The same dump read as the export reads its rows (libpq directly, not psycopg's Copy
        # iteration): a stricter baseline, since that reader is several times cheaper.
        from holdspace.exports.fhir_sql import _rows

        t0 = time.perf_counter()
        cpu0 = time.process_time()
        with (workdir / "raw.out").open("wb") as out, raw.cursor() as cursor:
            for sql in RAW_QUERIES:
                literal = sql.replace("%s", str(int(member.clinic_id)))
                with cursor.copy(f"COPY ({literal}) TO STDOUT"):
                    for chunk in _rows(raw):
                        out.write(b"".join(chunk))
        fast_s = time.perf_counter() - t0
        print(
            f"raw dump read as the export reads: {fast_s:.2f} s (this process's CPU "
            f"{time.process_time() - cpu0:.1f} s); ratio export / that: {full_s / fast_s:.1f}x"
        )
    print(
        f"RSS 10k vs {len(ids)} clients: {small_rss:.0f} MB vs {full_rss:.0f} MB (target: flat; "
        "this process's own: each part's is printed above)"
    )
    sizes = {f["type"]: int(f["bytes"]) for f in full_job.files}  # type: ignore[call-overload]
    print(
        f"bytes written: export {sum(sizes.values()) / 1e6:,.0f} MB "
        f"({', '.join(f'{k} {v / 1e6:,.0f} MB' for k, v in sizes.items())}), "
        f"raw dump {(workdir / 'raw.out').stat().st_size / 1e6:,.0f} MB"
    )
    shutil.rmtree(workdir, ignore_errors=True)  # some 6 GB at --scale network


if __name__ == "__main__":
    main()
