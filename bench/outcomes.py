"""Benchmark: the outcomes cohort summary and page over many clients' score histories.

Loads the network demo (clients and staff), adds synthetic PCL-5 histories in bulk (baseline,
three mid-course scores, endpoint: `--scores` per client), then prints, for a researcher of the
first clinic: the time to build the per-client rows and the summary (with the mixed model), the
time of a raw SQL aggregate reading the same scores (count and mean per client), and the cohort
page's time and number of queries. Run `.venv/bin/python bench/outcomes.py [--clients N]`; uses
a throw-away SQLite file unless DATABASE_URL is set (then it must be a throw-away database).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=5_000)
    parser.add_argument("--clinics", type=int, default=2)
    parser.add_argument("--scores", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="holdspace-bench-"))
    os.environ.setdefault("HOLDSPACE_ENV", "test")
    os.environ.setdefault("HOLDSPACE_VAR_DIR", str(workdir))
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir / 'bench.sqlite3'}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "holdspace.settings")
    import django

    django.setup()
    from allauth.mfa.totp.internal.auth import TOTP
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client as HttpClient
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from holdspace.measures.models import EnteredBy, Response, Score
    from holdspace.outcomes import selectors
    from holdspace.outcomes.summary import summarise
    from holdspace.people.demo import demo_build_network
    from holdspace.people.models import Client, Membership, Role

    if connection.vendor == "postgresql" and "bench" not in str(connection.settings_dict["NAME"]):
        sys.exit("Point DATABASE_URL at a throw-away database named *bench*: this fills it.")
    call_command("migrate", verbosity=0)
    demo_build_network(clinics=args.clinics, clients=args.clients)
    rng = random.Random(1)  # noqa: S311  (synthetic data)
    now, start = timezone.now(), dt.date(2025, 1, 6)
    started = time.perf_counter()
    client_ids = list(Client.objects.values_list("pk", flat=True))
    for chunk in range(0, len(client_ids), 2000):
        responses, plan = [], []
        for client_id in client_ids[chunk : chunk + 2000]:
            baseline = rng.gauss(50, 9)
            change = rng.gauss(-20, 12)
            for k in range(args.scores):
                total = max(0, min(80, round(baseline + change * k / (args.scores - 1))))
                responses.append(
                    Response(
                        client_id=client_id,
                        instrument_code="PCL-5",
                        definition_version="2013.1",
                        answers={"total": total},
                        entered_by=EnteredBy.SCORE_ONLY,
                        submitted_at=now,
                    )
                )
                plan.append((client_id, total, start + dt.timedelta(weeks=4 * k)))
        made = Response.objects.bulk_create(responses)
        Score.objects.bulk_create(
            Score(
                response=response,
                client_id=client_id,
                instrument_code="PCL-5",
                definition_version="2013.1",
                total=total,
                scored_at=now,
                observed_on=day,
            )
            for response, (client_id, total, day) in zip(made, plan, strict=True)
        )
    print(
        f"{len(client_ids)} clients, {len(client_ids) * args.scores} PCL-5 scores loaded in "
        f"{time.perf_counter() - started:.1f} s ({connection.vendor})"
    )

    member = Membership.objects.filter(role=Role.RESEARCHER).order_by("pk").first()
    if member is None:
        member = Membership.objects.filter(role=Role.MEDICAL_LEAD).order_by("pk").first()
    assert member is not None
    flt = selectors.CohortFilter(instrument="PCL-5")

    def timed(fn) -> float:  # type: ignore[no-untyped-def]
        runs = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            fn()
            runs.append((time.perf_counter() - t0) * 1000)
        return statistics.median(runs)

    rows: list[object] = []

    def summary() -> None:
        rows[:] = selectors.cohort_rows(member, flt)
        summarise(rows, instrument="PCL-5", group_by="")  # type: ignore[arg-type]

    def raw() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT s.client_id, COUNT(*), AVG(s.total), MIN(s.observed_on), "
                "MAX(s.observed_on) FROM measures_score s JOIN people_client c "
                "ON c.id = s.client_id WHERE c.clinic_id = %s AND s.instrument_code = %s "
                "GROUP BY s.client_id",
                [member.clinic_id, "PCL-5"],
            )
            cursor.fetchall()

    summary_ms, raw_ms = timed(summary), timed(raw)
    print(f"cohort rows + summary + model ({len(rows)} clients): median {summary_ms:8.1f} ms")
    print(f"raw SQL aggregate of the same scores:          median {raw_ms:8.1f} ms")
    print(f"ratio: {summary_ms / raw_ms:.1f}x (target: within 1.5x; see docs/outcomes.md)")

    TOTP.activate(member.user, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    browser = HttpClient()
    browser.force_login(member.user)
    with CaptureQueriesContext(connection) as queries:
        t0 = time.perf_counter()
        page = browser.get("/outcomes/", {"instrument": "PCL-5"})
        page_ms = (time.perf_counter() - t0) * 1000
    assert page.status_code == 200
    print(f"cohort page: {page_ms:.0f} ms, {len(queries)} queries")


if __name__ == "__main__":
    main()
