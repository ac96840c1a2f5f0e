"""Load benchmark: staff signed in through the real sign-in form, using the pages a clinic uses.

Against a database holding `holdspace demo --scale network` (or the small demo), with
`holdspace serve` running on it (this script starts one with --serve). Each simulated member
signs in with password and TOTP (the demo's), then mixes the client list, a client overview,
the screening index, measures, the calendar and Today; one of them keeps a running session's
monitor open, polling its live region every second, and posts a vitals reading now and then.

Each simulated member waits a think time between two page views (`--think`, seconds, drawn
uniformly between the two bounds, as locust's `wait_time = between(a, b)`): a person reads a
page before the next click. The default, 2-8 s (5 s on average), is a busy member of staff:
a page is read for many seconds, and a client's overview or a screening decision far longer,
so it errs towards more load, not less. `--think 0` clicks again the moment a page answers:
each member is then a saturating loop, a measure of throughput, not of 25 staff. The open
monitor polls every second whatever the think time.

Prints, per page (the running session's monitor page too): the sequential median and p95 (one
user), its ratio to `/healthz` in the same run, and at each concurrency (default 10 and 25
users) the median, p95 and requests per second; then per page the p95 at each concurrency
against its own sequential p95 (the target: within 3x at 25 users); then the queries each page
makes (counted in-process on the same database). The live poll is counted as two: `live poll`
when it answers 304 (nothing new since the ETag the monitor holds) and `live poll, new` when it
answers 200 (a reading since: the region drawn afresh); the sequential part posts a reading
each round so that both are measured alone too.

    holdspace demo --scale network                      # once, on a scratch PostgreSQL database
    .venv/bin/python -m bench.load --serve --users 10 25 --seconds 120
    .venv/bin/python -m bench.load --serve --think 0     # saturation: no think time

Environment: DATABASE_URL (and HOLDSPACE_VAR_DIR) as for `holdspace serve`; with --serve the
server runs with HOLDSPACE_DEBUG=0 unless the environment sets it.
Figures are printed, never asserted: they depend on the machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pyotp
import requests

TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # noqa: S105  (the published demo secret)
PASSWORD = "holdspace-demo-2026"  # noqa: S105  (the published demo password)
LOGINS = ("therapist", "therapist2", "lead")  # roles that use every page below
PAGES = ["client list", "client search", "overview", "screening", "measures", "calendar", "today"]
WEIGHTS = [4, 2, 4, 2, 2, 1, 2]


@dataclass
class Member:
    email: str
    http: requests.Session
    codes: list[str] = field(default_factory=list)  # clients this member may open


def _csrf(http: requests.Session) -> str:
    return str(http.cookies.get("csrftoken", ""))


def sign_in(base: str, email: str, used: dict[str, int]) -> requests.Session:
    """Password, then a TOTP code, through the pages a person uses. A code is accepted once
    per user, so a second sign-in of the same user (in this run or an earlier one) waits for
    the next 30-second step."""
    http = requests.Session()
    http.get(f"{base}/accounts/login/")
    response = http.post(
        f"{base}/accounts/login/",
        data={"login": email, "password": PASSWORD, "csrfmiddlewaretoken": _csrf(http)},
        headers={"Referer": f"{base}/accounts/login/"},
        allow_redirects=False,
    )
    if response.status_code != 302 or "2fa" not in response.headers.get("Location", ""):
        raise SystemExit(f"{email}: the password step answered {response.status_code}")
    for attempt in range(2):
        # A code is taken once per user: wait for the next 30-second step after a code used
        # in this run, and after one refused (an earlier run may have used it this step).
        step = int(time.time() // 30)
        while used.get(email) == step:
            time.sleep(1)
            step = int(time.time() // 30)
        used[email] = step
        page = http.get(f"{base}/accounts/2fa/authenticate/")
        response = http.post(
            page.url,
            data={"code": pyotp.TOTP(TOTP_SECRET).now(), "csrfmiddlewaretoken": _csrf(http)},
            headers={"Referer": page.url},
            allow_redirects=False,
        )
        if response.status_code == 302:
            break
        if attempt:
            raise SystemExit(f"{email}: the second-factor step answered {response.status_code}")
    return http


CODE = re.compile(r"/clients/(HS-[0-9A-Z]{6})/")


def page_url(base: str, name: str, member: Member, rng: random.Random) -> str:
    code = rng.choice(member.codes) if member.codes else ""
    return {
        "client list": f"{base}/clients/",
        "client search": f"{base}/clients/?q={code[3:6]}",
        "overview": f"{base}/clients/{code}/",
        "screening": f"{base}/screening/",
        "measures": f"{base}/measures/",
        "calendar": f"{base}/courses/calendar/",
        "today": f"{base}/today/",
        "healthz": f"{base}/healthz",
    }[name]


class Timings:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ms: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)

    def add(self, name: str, ms: float, ok: bool) -> None:
        with self.lock:
            self.ms[name].append(ms)
            if not ok:
                self.errors[name] += 1


def timed_get(
    http: requests.Session, url: str, timings: Timings, name: str, **kw: Any
) -> requests.Response | None:
    """One request, timed. A kept-alive connection the server closed as the request went out
    (gunicorn closes one idle for 2 s; a member thinking for longer finds it closed) is tried
    once more on a new connection, as browsers retry a GET; the time counts both. A second
    failure (a worker replaced under load) counts as an error and the simulated user carries
    on, as a person would reload."""
    t0 = time.perf_counter()
    try:
        try:
            response = http.get(url, allow_redirects=False, **kw)
        except requests.ConnectionError:
            response = http.get(url, allow_redirects=False, **kw)
    except requests.ConnectionError:
        timings.add(name, (time.perf_counter() - t0) * 1000, False)
        return None
    timings.add(name, (time.perf_counter() - t0) * 1000, response.status_code in (200, 304))
    return response


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * 0.95) - 1)]


def sequential(base: str, member: Member, repeat: int, monitor_url: str) -> Timings:
    """One user, one request at a time: each page, `/healthz`, the running session's monitor
    page, and its live poll as an open monitor sends it (with the ETag it holds, so mostly
    answered 304)."""
    timings = Timings()
    rng = random.Random(1)  # noqa: S311  (load mix, not security)
    anonymous = requests.Session()
    tag = ""
    for _ in range(repeat):
        timed_get(anonymous, page_url(base, "healthz", member, rng), timings, "healthz")
        for name in PAGES:
            timed_get(member.http, page_url(base, name, member, rng), timings, name)
        # The running session's monitor page as it is opened: the page itself is one of those
        # within 10x of /healthz.
        timed_get(member.http, monitor_url, timings, "monitor")
        # Its live poll with the ETag it holds (304: nothing new), then, after a reading,
        # once more (200: the region drawn afresh), as an open monitor sees them under load.
        tag = poll(member.http, monitor_url, tag, timings)
        post_reading(member.http, monitor_url, timings)
        tag = poll(member.http, monitor_url, tag, timings)
    return timings


def poll(http: requests.Session, url: str, tag: str, timings: Timings) -> str:
    """The monitor's live poll with the ETag it holds: timed as `live poll` when it answers
    304 (nothing new) and as `live poll, new` when it answers 200 (a reading or an alert
    since: the region drawn afresh), two different pieces of work. The ETag it now holds."""
    t0 = time.perf_counter()
    try:
        try:
            response = http.get(url + "live/", headers={"If-None-Match": tag})
        except requests.ConnectionError:  # a kept-alive connection closed: once more
            response = http.get(url + "live/", headers={"If-None-Match": tag})
    except requests.ConnectionError:
        timings.add("live poll", (time.perf_counter() - t0) * 1000, False)
        return tag
    name = "live poll, new" if response.status_code == 200 else "live poll"
    timings.add(name, (time.perf_counter() - t0) * 1000, response.status_code in (200, 304))
    return response.headers.get("ETag", tag)


def post_reading(http: requests.Session, url: str, timings: Timings) -> None:
    """A vitals reading entered on the monitor (timed as `vitals post`)."""
    t0 = time.perf_counter()
    try:
        posted = http.post(
            url + "do/vitals/",
            data={
                "systolic": random.randint(115, 140),  # noqa: S311
                "diastolic": random.randint(70, 88),  # noqa: S311
                "heart_rate": random.randint(65, 95),  # noqa: S311
                "temperature": "37.0",
                "suds": 3,
                "csrfmiddlewaretoken": _csrf(http),
            },
            headers={"Referer": url, "X-Holdspace-Fetch": "1"},
            allow_redirects=False,
        )
        ok = posted.status_code == 201
    except requests.ConnectionError:
        ok = False
    timings.add("vitals post", (time.perf_counter() - t0) * 1000, ok)


def monitor_loop(base: str, member: Member, url: str, stop: threading.Event, t: Timings) -> None:
    """A monitor left open: its live region every second, a vitals reading every ~15 s."""
    tag = ""
    last_post = time.monotonic()
    while not stop.is_set():
        tag = poll(member.http, url, tag, t)
        if time.monotonic() - last_post > 15:
            last_post = time.monotonic()
            post_reading(member.http, url, t)
        stop.wait(1.0)


def think_time(text: str) -> tuple[float, float]:
    """`--think`: "2-8" (seconds, uniform between the two), "5" (always 5) or "0" (none)."""
    low, _sep, high = text.partition("-")
    try:
        bounds = (float(low), float(high or low))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--think: seconds as A-B or A, not {text!r}") from None
    if not 0 <= bounds[0] <= bounds[1] <= 600:
        raise argparse.ArgumentTypeError(f"--think: 0 <= A <= B <= 600 seconds, not {text!r}")
    return bounds


def user_loop(
    base: str,
    member: Member,
    stop: threading.Event,
    t: Timings,
    seed: int,
    think: tuple[float, float],
) -> None:
    rng = random.Random(seed)  # noqa: S311  (load mix, not security)
    # Members start at different moments within one think time, as staff do, not in step.
    stop.wait(rng.uniform(0.0, think[1]))
    while not stop.is_set():
        name = rng.choices(PAGES, weights=WEIGHTS)[0]
        timed_get(member.http, page_url(base, name, member, rng), t, name)
        if think[1] > 0:
            stop.wait(rng.uniform(*think))  # a person reads the page before the next click


def concurrent(
    base: str,
    members: list[Member],
    users: int,
    seconds: float,
    monitor_url: str | None,
    think: tuple[float, float],
) -> tuple[Timings, float]:
    t = Timings()
    stop = threading.Event()
    threads = []
    if monitor_url:
        threads.append(
            threading.Thread(target=monitor_loop, args=(base, members[0], monitor_url, stop, t))
        )
    for i in range(users - len(threads)):
        member = members[(i + 1) % len(members)]
        threads.append(threading.Thread(target=user_loop, args=(base, member, stop, t, i, think)))
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    return t, time.perf_counter() - started


def django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "holdspace.settings")
    import django

    django.setup()


def running_session(clinic_slug: str) -> tuple[str, int]:
    """A medicine session in progress at the clinic (made as the demo makes one, if none)."""
    from types import SimpleNamespace

    from django.utils import timezone

    from holdspace.courses.models import Visit, VisitKind
    from holdspace.people.actors import Actor
    from holdspace.people.models import CareTeamMember, Clinic, Membership
    from holdspace.sessions import demo as sessions_demo
    from holdspace.sessions import selectors, services
    from holdspace.sessions.models import MedicineSession

    clinic = Clinic.objects.get(slug=clinic_slug)
    found = MedicineSession.objects.filter(clinic=clinic, status="running").first()
    if found is None:
        members = {
            m.user.email.split("@")[0]: m
            for m in Membership.objects.filter(clinic=clinic).select_related("user")
        }
        context = SimpleNamespace(clinic=clinic, members=members)
        lead = Actor.command_line(members["lead"])
        if selectors.settings_read(clinic.pk).confirmed_at is None:
            services.settings_confirm(by=lead, values=selectors.settings_defaults())
        # The next medicine visit of a course, moved to this morning (benchmark data: moved
        # directly, without the scheduling checks the demo's reschedule runs).
        now = timezone.now()
        visit = (
            Visit.objects.filter(
                course__clinic=clinic, kind=VisitKind.MEDICINE_SESSION, starts_at__gt=now
            )
            .exclude(medicine_sessions__isnull=False)
            .order_by("starts_at")
            .first()
        )
        if visit is not None:
            Visit.objects.filter(pk=visit.pk).update(starts_at=now - dt.timedelta(hours=2))
            visit.refresh_from_db()
            client = visit.course.clients.first()
            for login in ("therapist", "therapist2"):  # both in the room, as the demo has it
                CareTeamMember.objects.get_or_create(
                    client=client, membership=members[login], defaults={"role": "co_therapist"}
                )
            sessions_demo._running(context, visit, client, now)  # type: ignore[arg-type]
        found = MedicineSession.objects.filter(clinic=clinic, status="running").first()
    if found is None:
        raise SystemExit(f"No medicine session could be started at {clinic_slug}.")
    return found.client.code, found.pk


def query_counts(clinic_slug: str, code: str, session_pk: int, session_code: str) -> dict[str, int]:
    """Queries per page, counted in-process through Django's test client on this database.
    Without the audit chain's periodic seal, which runs after one audited response in
    AUDIT_SEAL_EVERY, whichever page that is (some ten queries, not the page's own)."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client as HttpClient
    from django.test.utils import CaptureQueriesContext

    settings.AUDIT_SEAL_EVERY = 0

    from holdspace.people.models import Membership

    sys.path.insert(0, os.getcwd())
    from tests.conftest import sign_in as test_sign_in

    lead = Membership.objects.get(user__email=f"lead@{clinic_slug}.demo")
    browser = test_sign_in(HttpClient(), lead.user)
    urls = {
        "client list": "/clients/",
        "client search": f"/clients/?q={code[3:6]}",
        "overview": f"/clients/{code}/",
        "screening": "/screening/",
        "measures": "/measures/",
        "calendar": "/courses/calendar/",
        "today": "/today/",
        "monitor": f"/sessions/{session_code}/{session_pk}/",
        "live poll": f"/sessions/{session_code}/{session_pk}/live/",
    }
    counts = {}
    for name, url in urls.items():
        browser.get(url)
        with CaptureQueriesContext(connection) as queries:
            browser.get(url)
        counts[name] = len(queries)
    tag = browser.get(urls["live poll"])["ETag"]
    with CaptureQueriesContext(connection) as queries:
        browser.get(urls["live poll"], HTTP_IF_NONE_MATCH=tag)
    counts["live poll 304"] = len(queries)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8765")
    parser.add_argument("--serve", action="store_true", help="Start `holdspace serve` here.")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--users", type=int, nargs="+", default=[10, 25])
    parser.add_argument("--seconds", type=float, default=120, help="Per concurrency level.")
    parser.add_argument(
        "--think",
        type=think_time,
        default=(2.0, 8.0),
        metavar="A-B",
        help="Seconds a member reads a page before the next, uniform between A and B "
        "(default 2-8; 0: none, a saturation run).",
    )
    parser.add_argument("--repeat", type=int, default=30, help="Sequential requests per page.")
    parser.add_argument("--clinics", type=int, default=20, help="Spread users over clinics.")
    args = parser.parse_args()
    django_setup()
    from django.db import connection

    from holdspace.people.models import Client, Clinic

    slugs = list(
        Clinic.objects.filter(slug__startswith="net")
        .order_by("slug")
        .values_list("slug", flat=True)
    )[: args.clinics] or ["north"]
    session_code, session_pk = running_session(slugs[0])
    print(
        f"database: {connection.vendor}, {Client.objects.count()} clients in "
        f"{Clinic.objects.count()} clinics; running session {session_pk} at {slugs[0]}"
    )
    server = None
    if args.serve:
        port = args.url.rsplit(":", 1)[1]
        command = [sys.executable, "-m", "holdspace", "serve", "--port", port]
        if args.workers:
            command += ["--workers", str(args.workers)]
        # As in production: DEBUG off (it wraps every query to record it), unless asked.
        environment = {"HOLDSPACE_DEBUG": "0", **os.environ}
        server = subprocess.Popen(command, stdout=subprocess.DEVNULL, env=environment)  # noqa: S603
    try:
        for _ in range(120):
            try:
                requests.get(f"{args.url}/healthz", timeout=5)
                break
            except requests.RequestException:  # still booting
                time.sleep(0.5)
        run(args, slugs, session_code, session_pk)
    finally:
        if server is not None:
            server.terminate()
            server.wait()


def run(args: argparse.Namespace, slugs: list[str], session_code: str, session_pk: int) -> None:
    base = args.url
    used: dict[str, int] = {}
    needed = max(args.users)
    emails = [f"{login}@{slug}.demo" for slug in slugs for login in LOGINS][:needed]
    started = time.perf_counter()
    members = []
    for email in emails:
        member = Member(email, sign_in(base, email, used))
        listing = member.http.get(f"{base}/clients/").text
        member.codes = sorted(set(CODE.findall(listing)))[:50]
        members.append(member)
    print(
        f"signed in {len(members)} staff (password + TOTP) in {time.perf_counter() - started:.1f} s"
    )
    monitor = next(m for m in members if m.email.startswith("therapist@"))
    monitor_url = f"{base}/sessions/{session_code}/{session_pk}/"
    # A therapist signed in for the monitor must be on the session's care team: the lead is.
    lead = next((m for m in members if m.email == f"lead@{slugs[0]}.demo"), monitor)
    members.remove(lead)
    members.insert(0, lead)

    low, high = args.think
    print(
        "think time between a member's page views: "
        + (f"{low:g}-{high:g} s, uniform" if high > low else f"{high:g} s")
        + (" (none: a saturation run)" if high == 0 else "")
        + "; the monitor polls every 1 s, a vitals reading every 15 s"
    )
    seq = sequential(base, members[0], args.repeat, monitor_url)
    floor = statistics.median(seq.ms["healthz"])
    # The lead when three or more members sign in; with fewer, the first therapist.
    print(f"\nsequential pages as {members[0].email}")
    print(f"/healthz sequential median {floor:.1f} ms (the floor)")
    print(f"{'page':<14}{'median':>9}{'p95':>9}{'x floor':>9}")
    for name in [*PAGES, "monitor", "live poll", "live poll, new", "vitals post", "healthz"]:
        values = seq.ms[name]
        print(
            f"{name:<14}{statistics.median(values):8.1f}ms{p95(values):8.1f}ms"
            f"{statistics.median(values) / floor:8.1f}x"
        )
    under_load: dict[int, Timings] = {}
    for users in args.users:
        t, elapsed = concurrent(base, members, users, args.seconds, monitor_url, args.think)
        under_load[users] = t
        total = sum(len(v) for v in t.ms.values())
        print(f"\n{users} users for {elapsed:.0f} s: {total / elapsed:.1f} requests/s")
        print(f"{'page':<14}{'n':>6}{'median':>9}{'p95':>9}{'req/s':>8}{'errors':>7}")
        for name in [*PAGES, "live poll", "live poll, new", "vitals post"]:
            values = t.ms.get(name, [])
            if not values:
                continue
            print(
                f"{name:<14}{len(values):6d}{statistics.median(values):8.1f}ms"
                f"{p95(values):8.1f}ms{len(values) / elapsed:8.1f}{t.errors.get(name, 0):7d}"
            )
    print("\np95 under load against the page's own sequential p95 (target: within 3x at 25 users)")
    print(f"{'page':<14}{'alone':>9}" + "".join(f"{f'{u} users':>20}" for u in args.users))
    for name in [*PAGES, "live poll", "live poll, new", "vitals post"]:
        alone = p95(seq.ms[name])
        row = f"{name:<14}{alone:7.1f}ms"
        for users in args.users:
            values = under_load[users].ms.get(name, [])
            row += (
                f"{p95(values):9.1f}ms ={p95(values) / alone:5.1f}x{'':>3}"
                if values
                else f"{'-':>20}"
            )
        print(row)
    code = members[0].codes[0] if members[0].codes else session_code
    print("\nqueries per page (lead, in-process, this database):")
    for name, count in query_counts(slugs[0], code, session_pk, session_code).items():
        print(f"  {name:<14}{count:4d}")


if __name__ == "__main__":
    main()
