"""Benchmark: audit appends per second with 1, 2, 4 and 8 concurrent writers.

Each writer is a thread with its own database connection appending one audit row per
transaction, as an audited page view does, for a fixed time. Appends take no lock (rows are
sealed into the HMAC chain afterwards by one sealer), so the figure should rise with writers.
Sealing (with AUDIT_SEAL_EVERY, as in production) runs during the run; the sealing and
verifying rates of the whole backlog are printed at the end.

Run `.venv/bin/python bench/audit.py [--seconds S]`. It uses PostgreSQL: a throw-away database
`hs_bench_audit` on the server of BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/),
created and dropped here. SQLite serialises writers by design, so it is not measured.
`PGOPTIONS="-c synchronous_commit=off"` takes the disk's flush time out of the figure.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from pathlib import Path

import psycopg


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    args = parser.parse_args()
    server = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/").rstrip("/")
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute("DROP DATABASE IF EXISTS hs_bench_audit")
        admin.execute("CREATE DATABASE hs_bench_audit")
    try:
        run(f"{server}/hs_bench_audit", args.seconds)
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute("DROP DATABASE IF EXISTS hs_bench_audit WITH (FORCE)")


def run(url: str, seconds: float) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="holdspace-bench-"))
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("HOLDSPACE_ENV", "development")
    os.environ.setdefault("HOLDSPACE_VAR_DIR", str(workdir))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "holdspace.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from holdspace.audit.services import audit_chain_seal, audit_chain_verify, audit_record

    call_command("migrate", verbosity=0)
    print(f"audit appends, {seconds:.0f} s per run, one row per transaction ({connection.vendor})")
    for writers in (1, 2, 4, 8):
        counts = [0] * writers
        stop = time.perf_counter() + seconds

        def writer(index: int, counts: list[int] = counts, stop: float = stop) -> None:
            from django.db import connection as own

            while time.perf_counter() < stop:
                with transaction.atomic():
                    audit_record(action="bench.view", actor_label=f"writer{index}", fields=["x"])
                counts[index] += 1
            own.close()

        threads = [threading.Thread(target=writer, args=(i,)) for i in range(writers)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        label = f"{writers} writer{'s' if writers > 1 else ''}"
        print(f"  {label:10} {sum(counts) / elapsed:8.0f} appends/s")
    started = time.perf_counter()
    sealed = audit_chain_seal()
    seal_time = time.perf_counter() - started
    started = time.perf_counter()
    report = audit_chain_verify()
    verify_time = time.perf_counter() - started
    print(f"sealing the backlog: {sealed} rows in {seal_time:.1f} s")
    print(
        f"verify: {report.checked} rows in {verify_time:.1f} s "
        f"({report.checked / verify_time:.0f} rows/s), intact: {report.ok}"
    )
    connection.close()


if __name__ == "__main__":
    main()
