"""Benchmark: the demo study's build and the studies pages.

Builds the demo without its outcomes cohort in a throw-away SQLite file (unless DATABASE_URL is
set: then it must be a throw-away database), and prints the time the demo study (12 clients,
10 randomised, ratings, guesses, a deviation, two queries) adds to it, then the time and number
of queries of the study page, the blinding report and the rater's list; then the follow-up
job (twice: the second run must change nothing), the lead's study page with its retention table,
the team page and the coordinator's Today page.
Run `.venv/bin/python bench/studies.py`.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="holdspace-bench-"))
    os.environ.setdefault("HOLDSPACE_ENV", "test")
    os.environ.setdefault("HOLDSPACE_VAR_DIR", str(workdir))
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir / 'bench.sqlite3'}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "holdspace.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client as HttpClient
    from django.test.utils import CaptureQueriesContext

    from holdspace.people.demo import demo_build
    from holdspace.people.models import Membership
    from holdspace.studies import demo as studies_demo
    from holdspace.studies.models import Study

    if connection.vendor == "postgresql" and "bench" not in str(connection.settings_dict["NAME"]):
        sys.exit("Point DATABASE_URL at a throw-away database named *bench*: this fills it.")
    call_command("migrate", verbosity=0)
    spent = []
    original = studies_demo.demo_study

    def timed(context):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        original(context)
        spent.append(time.perf_counter() - started)

    studies_demo.demo_study = timed  # the registry holds the original: swap it there too
    from holdspace.core import extensions

    extensions._demo_extensions[:] = [
        (order, timed if ext is original else ext) for order, ext in extensions._demo_extensions
    ]
    started = time.perf_counter()
    demo_build(seed=1, with_cohort=False)
    total = time.perf_counter() - started
    print(f"demo without cohort: {total:.1f} s, of which the demo study {sum(spent):.2f} s")

    study = Study.objects.get()
    from holdspace.people.actors import Actor
    from holdspace.studies.follow_up import follow_ups_schedule

    for run in ("first", "second (idempotent)"):
        started = time.perf_counter()
        done = follow_ups_schedule(by=Actor.command_line())
        elapsed = time.perf_counter() - started
        print(
            f"follow-up job, {run} run: {elapsed * 1000:.0f} ms, {done.clients} clients with a "
            f"last session, {done.made} asked, {done.moved} moved"
        )
    for email, url in (
        ("coordinator@north.demo", f"/studies/{study.pk}/"),
        ("researcher@north.demo", f"/studies/{study.pk}/blinding/"),
        ("rater@north.demo", "/studies/rater/"),
        ("lead@north.demo", f"/studies/{study.pk}/"),  # with the retention table
        ("lead@north.demo", f"/studies/{study.pk}/team/"),
        ("coordinator@north.demo", "/today/"),  # with the study follow-ups panel
    ):
        member = Membership.objects.get(user__email=email)
        browser = _signed_in(HttpClient(), member.user)
        browser.get(url)  # warm
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            status = browser.get(url).status_code
            elapsed = time.perf_counter() - started
        print(f"{url} as {email}: {status}, {elapsed * 1000:.0f} ms, {len(queries)} queries")


def _signed_in(browser, user):  # type: ignore[no-untyped-def]
    """As tests/conftest.sign_in: a session that used its password and second factor."""
    from allauth.account.internal.flows.login import (
        _AUTHENTICATION_METHODS_USER_SESSION_KEY,
        AUTHENTICATION_METHODS_SESSION_KEY,
    )

    browser.force_login(user)
    session = browser.session
    now = time.time()
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": now},
        {"method": "mfa", "at": now, "type": "totp"},
    ]
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(user.pk)
    session.save()
    return browser


if __name__ == "__main__":
    main()
