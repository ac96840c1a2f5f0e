"""Benchmark: the CPU time PostgreSQL's backend spends on the FHIR export's COPY queries,
part by part, against the raw dump `bench/export.py` compares with.

Runs each part of exports/fhir_sql.py (as the export runs it: runs of STEP primary keys, the
same COPY format) and reads the rows to nothing, with parallel workers off so that one
backend process does all the work, and prints that process's CPU time (from /proc: the
database must run on this machine). Then the same for bench/export.py's raw queries. CPU
time, unlike the wall clock, hardly depends on what else the machine is doing. Needs the
rows `bench/export.py --scale network --load-only` loaded into DATABASE_URL (a *bench*
database). Arguments are SQL statements to run first, e.g. "SET jit = on".
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def main() -> None:
    os.environ.setdefault("HOLDSPACE_ENV", "test")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "holdspace.settings")
    import django

    django.setup()
    from django.db import connection
    from django.db.models import Max, Min
    from django.utils import timezone

    from holdspace.exports import fhir_sql
    from holdspace.exports.deid import Privacy
    from holdspace.exports.selectors import export_clients
    from holdspace.exports.services import export_settings
    from holdspace.people.models import Membership, Role

    if connection.vendor != "postgresql" or "bench" not in str(connection.settings_dict["NAME"]):
        sys.exit("Point DATABASE_URL at the PostgreSQL *bench* database bench/export.py loaded.")
    member = Membership.objects.filter(role=Role.RESEARCHER).order_by("pk").first()
    assert member is not None
    clients = export_clients(member, "")
    privacy = Privacy(
        profile="pseudonymous",
        secret=export_settings(member.clinic_id).deid_secret,
        today=timezone.localdate(),
    )
    connection.ensure_connection()
    raw = connection.connection
    assert raw is not None
    with raw.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        [(pid,)] = cursor.fetchall()
        tick = os.sysconf("SC_CLK_TCK")

        def cpu() -> float:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / tick  # utime + stime

        for name, value in fhir_sql.SETTINGS.items():
            cursor.execute(f"SELECT set_config('{name}', %s, false)", [value])
        cursor.execute("SET max_parallel_workers_per_gather = 0")
        for statement in sys.argv[1:]:
            cursor.execute(statement)
        total = 0.0
        for kind in ("Patient", "QuestionnaireResponse", "Observation"):
            for index, part in enumerate(
                fhir_sql.QUERIES[kind](clients, None, privacy, member.clinic_id)
            ):
                bounds = part.rows.model.objects.aggregate(first=Min("pk"), last=Max("pk"))
                before, rows = cpu(), 0
                for first in range(bounds["first"], bounds["last"] + 1, fhir_sql.STEP):
                    sql = part.sql(first, first + fhir_sql.STEP)
                    with cursor.copy(f"COPY ({sql}) TO STDOUT") as copy:
                        for _data in copy:
                            rows += 1
                spent = cpu() - before
                total += spent
                print(f"{kind} part {index}: {rows:,} messages, backend CPU {spent:.2f} s")
        print(f"the export's queries: backend CPU {total:.2f} s")
        sys.path.insert(0, str(Path(__file__).parent))
        from export import RAW_QUERIES

        before = cpu()
        for sql in RAW_QUERIES:
            text = sql.replace("%s", str(int(member.clinic_id)))
            with cursor.copy(f"COPY ({text}) TO STDOUT") as copy:
                for _data in copy:
                    pass
        print(f"the raw dump ({len(RAW_QUERIES)} queries): backend CPU {cpu() - before:.2f} s")
    print(f"load average: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
