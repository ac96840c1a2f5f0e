"""Benchmark: the outcomes cohort summary and page over many clients' score histories.

Loads the network demo (clients and staff), adds synthetic PCL-5 histories in bulk (baseline,
three mid-course scores, endpoint: `--scores` per client) for half the clients, measures, adds
them for the other half and measures again. Prints, for a researcher of the first clinic:

- the per-client rows + summary (means, SDs, CIs, effect sizes, category counts; no model)
  against a raw SQL aggregate of the same means and counts (first and last score per client by
  window functions, then the cohort's n, mean baseline, endpoint and change and the count of
  10-point responders), three ways: the first read after ONE client's write (a score of one
  client saved: the receivers raise that client's version, so only its row is built again and
  the rest is read from the cache: the everyday case, and the one the 1.5x target is for); the
  first read after a clinic-wide change (`freshness.bump_clinic`, as after a bulk load or a
  new instrument definition: every row built again); and unchanged data (cached); and
  another reader of the clinic (a medical lead) right after one client's write (the rows
  are shared by the clinic's readers and filters);
- the mixed model fit (bounded to model.MAX_CLIENTS clients; cold, then cached);
- the cohort page's time (target under 1 s: its first paint, the tables): after one client's
  write (the target), after a clinic-wide change, with an empty cache and warm; its queries
  at both sizes (target: equal); and the same for its plots region (flow, mixed model,
  plots), which the page fetches after it has painted.

Run `.venv/bin/python bench/outcomes.py [--clients N] [--reuse]`; uses a throw-away SQLite
file unless DATABASE_URL is set (then it must be a throw-away database named *bench*).
`--reuse` measures the data an earlier run left in that database (loading 50,000 clients
takes minutes), migrated to this code; the half-size query counts are then not measured.
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
    parser.add_argument("--reuse", action="store_true", help="measure the data already loaded")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="holdspace-bench-"))
    os.environ.setdefault("HOLDSPACE_ENV", "test")
    os.environ.setdefault("HOLDSPACE_VAR_DIR", str(workdir))
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir / 'bench.sqlite3'}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "holdspace.settings")
    import django

    django.setup()
    from allauth.mfa.totp.internal.auth import TOTP
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client as HttpClient
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from holdspace.measures.models import EnteredBy, Response, Score
    from holdspace.network_demo import demo_build_network
    from holdspace.outcomes import freshness, model, selectors
    from holdspace.people.models import Client, Membership, Role

    if connection.vendor == "postgresql" and "bench" not in str(connection.settings_dict["NAME"]):
        sys.exit("Point DATABASE_URL at a throw-away database named *bench*: this fills it.")
    call_command("migrate", verbosity=0)
    # An earlier full run left the network and the bench's scores for every client.
    reuse = args.reuse and Client.objects.count() >= args.clients
    if not reuse:
        demo_build_network(clinics=args.clinics, clients=args.clients)
    rng = random.Random(1)  # noqa: S311  (synthetic data)
    now, start = timezone.now(), dt.date(2025, 1, 6)

    def load(client_ids: list[int]) -> None:
        started = time.perf_counter()
        clinic_of = dict(
            Client.objects.filter(pk__in=client_ids).values_list("pk", "clinic_id").iterator()
        )
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
                    clinic_id=clinic_of[client_id],
                    instrument_code="PCL-5",
                    definition_version="2013.1",
                    total=total,
                    scored_at=now,
                    observed_on=day,
                )
                for response, (client_id, total, day) in zip(made, plan, strict=True)
            )
        print(
            f"{len(client_ids)} clients, {len(client_ids) * args.scores} PCL-5 scores loaded "
            f"in {time.perf_counter() - started:.1f} s ({connection.vendor})"
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
        # As the first read after a clinic-wide change: every row and the summary are built.
        freshness.bump_clinic(member.clinic_id)
        found = selectors.cohort(member, flt)
        rows[:] = found.rows
        selectors.cohort_summary(found, with_model=False)

    # One client's score, saved with a new total before each "after one write" read: its
    # receivers raise that client's version (and the clinic's), as a therapist's entry does.
    written = (
        Score.objects.filter(client__clinic_id=member.clinic_id, instrument_code="PCL-5")
        .order_by("-pk")
        .first()
    )
    assert written is not None

    def one_write() -> None:
        assert written is not None
        written.total = (written.total or 0) % 80 + 1
        written.save(update_fields=["total"])

    def summary_one() -> None:
        one_write()
        selectors.cohort_summary(selectors.cohort(member, flt), with_model=False)

    def summary_warm() -> None:
        selectors.cohort_summary(selectors.cohort(member, flt), with_model=False)

    # Another reader of the same clinic (a medical lead beside the researcher), right after
    # one client's write: the rows are the clinic's, shared by its readers and filters.
    other = (
        Membership.objects.filter(
            clinic_id=member.clinic_id, role__in=[Role.MEDICAL_LEAD, Role.RESEARCHER]
        )
        .exclude(pk=member.pk)
        .order_by("pk")
        .first()
    )

    def summary_other() -> None:
        one_write()
        selectors.cohort_summary(selectors.cohort(other, flt), with_model=False)

    def raw() -> None:
        # The same means and counts straight from SQL: first and last score per client
        # (the bench's baseline and endpoint), then the cohort's aggregate.
        with connection.cursor() as cursor:
            cursor.execute(
                "WITH s AS (SELECT s.client_id, s.total, "
                "ROW_NUMBER() OVER (PARTITION BY s.client_id ORDER BY s.observed_on, s.id) AS f, "
                "ROW_NUMBER() OVER (PARTITION BY s.client_id ORDER BY s.observed_on DESC, "
                "s.id DESC) AS l, COUNT(*) OVER (PARTITION BY s.client_id) AS k "
                "FROM measures_score s JOIN people_client c ON c.id = s.client_id "
                "WHERE c.clinic_id = %s AND s.instrument_code = %s AND s.total IS NOT NULL), "
                "p AS (SELECT client_id, MAX(CASE WHEN f = 1 THEN total END) AS b, "
                "MAX(CASE WHEN l = 1 THEN total END) AS e FROM s WHERE k > 1 "
                "GROUP BY client_id) "
                "SELECT COUNT(*), AVG(b), AVG(e), AVG(e - b), "
                "SUM(CASE WHEN b - e >= 10 THEN 1 ELSE 0 END) FROM p",
                [member.clinic_id, "PCL-5"],
            )
            cursor.fetchall()

    def simple() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT s.client_id, COUNT(*), AVG(s.total) FROM measures_score s "
                "JOIN people_client c ON c.id = s.client_id WHERE c.clinic_id = %s "
                "AND s.instrument_code = %s GROUP BY s.client_id",
                [member.clinic_id, "PCL-5"],
            )
            cursor.fetchall()

    from allauth.mfa.models import Authenticator

    # The network demo gives its staff a TOTP already; older demos did not.
    if not Authenticator.objects.filter(user=member.user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(member.user, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    # Signed in as allauth would after password and second factor (tests/conftest.sign_in).
    from allauth.account.internal.flows.login import (
        _AUTHENTICATION_METHODS_USER_SESSION_KEY,
        AUTHENTICATION_METHODS_SESSION_KEY,
    )

    browser = HttpClient()
    browser.force_login(member.user)
    session = browser.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": time.time()},
        {"method": "mfa", "at": time.time(), "type": "totp"},
    ]
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(member.user.pk)
    session.save()

    def get(url: str, headers: dict[str, str] | None = None) -> tuple[float, int]:
        with CaptureQueriesContext(connection) as queries:
            t0 = time.perf_counter()
            reply = browser.get(url, {"instrument": "PCL-5"}, headers=headers)
            ms = (time.perf_counter() - t0) * 1000
        assert reply.status_code == 200, (reply.status_code, reply.get("Location"))
        return ms, len(queries)

    def page() -> tuple[float, int]:
        return get("/outcomes/")

    def plots() -> tuple[float, int]:
        # As htmx fetches it once the page has painted.
        return get("/outcomes/plots/", {"HX-Request": "true"})

    client_ids = list(Client.objects.values_list("pk", flat=True))
    half = len(client_ids) // 2

    def settled() -> None:
        freshness.bump_all()  # bulk_create sends no signals
        if connection.vendor == "postgresql":
            # As autovacuum would soon after a load: planner statistics for the new rows, and
            # the visibility map (index-only scans read the heap for pages not yet vacuumed).
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")

    small_queries = small_plots_queries = None
    if not reuse:
        load(client_ids[:half])
        settled()
        cache.clear()
        _small_cold, small_queries = page()
        _small_plots_cold, small_plots_queries = plots()
        load(client_ids[half:])
    else:
        # Warm the process (templates, imports) as a full run's half-size pass does.
        page()
        plots()
    settled()
    cache.clear()
    cold, queries = page()
    plots_cold, plots_queries = plots()  # the rows are cached by now: the model and plots
    warm = statistics.median(page()[0] for _ in range(args.repeat))

    def page_after_one_write() -> float:
        one_write()
        return page()[0]

    def page_after_everything() -> float:
        freshness.bump_clinic(member.clinic_id)
        return page()[0]

    page_one = statistics.median(page_after_one_write() for _ in range(args.repeat))
    page_all = statistics.median(page_after_everything() for _ in range(args.repeat))
    plots_warm = statistics.median(plots()[0] for _ in range(args.repeat))

    if os.environ.get("BENCH_PROFILE"):
        # Where the warm page's time goes (cProfile, top 25 by cumulative time).
        import cProfile
        import pstats

        for fn in (page, summary, summary_one):
            profiler = cProfile.Profile()
            profiler.runcall(fn)
            pstats.Stats(profiler).sort_stats("tottime").print_stats(20)

    summary_ms, raw_ms, simple_ms = timed(summary), timed(raw), timed(simple)
    one_ms, warm_ms = timed(summary_one), timed(summary_warm)
    if other is not None:
        selectors.cohort(other, flt)  # its summary's first read (the rows are shared)
    other_ms = timed(summary_other) if other is not None else float("nan")
    print(f"rows + summary, no model ({len(rows)} clients), median of {args.repeat}:")
    print(f"  first read after one client's write:      {one_ms:8.1f} ms")
    print(f"  first read after a clinic-wide change:    {summary_ms:8.1f} ms")
    print(f"  unchanged data (cached):                  {warm_ms:8.1f} ms")
    print(f"  another reader, after one client's write: {other_ms:8.1f} ms")
    print(f"raw SQL aggregate of the same means and counts: {raw_ms:8.1f} ms")
    print(f"  (plain GROUP BY count/mean per client:        {simple_ms:8.1f} ms)")
    print(
        f"ratio after one write: {one_ms / raw_ms:.2f}x (target: within 1.5x); after a "
        f"clinic-wide change: {summary_ms / raw_ms:.2f}x; cached: {warm_ms / raw_ms:.2f}x"
    )

    found = selectors.cohort(member, flt)
    with_histories = found.rows
    selectors._attach_histories(with_histories, found.clients, "PCL-5")

    def fit() -> None:
        model.fit(with_histories, ["all"], max_clients=model.MAX_CLIENTS, cached=True)

    cache.clear()
    t0 = time.perf_counter()
    fit()
    fit_cold = (time.perf_counter() - t0) * 1000
    print(
        f"mixed model on at most {model.MAX_CLIENTS} clients: {fit_cold:.0f} ms cold, "
        f"{timed(fit):.0f} ms cached"
    )
    print(
        f"cohort page (first paint: tables, target < 1 s): {page_one:.0f} ms after one "
        f"client's write, {page_all:.0f} ms after a clinic-wide change, {cold:.0f} ms with "
        f"an empty cache, {warm:.0f} ms warm; queries {small_queries} at {half} clients, "
        f"{queries} at {len(client_ids)} (target: equal)"
    )
    print(
        f"  its plots region (flow, model fitted, plots): {plots_cold:.0f} ms cold, "
        f"{plots_warm:.0f} ms warm; queries {small_plots_queries} at {half} clients, "
        f"{plots_queries} at {len(client_ids)}"
    )
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
