"""Benchmark: the session monitor's live view under load.

Twenty monitors (threads, each its own signed-in therapist session) poll the live region once a
second with If-None-Match, as the monitor's script does, while a therapist enters timeline
notes. Prints the time from entry (the POST returning) to display (a monitor receiving the
region that shows it), as median and p95 over every monitor and entry, the share of polls
answered 304, and the server's CPU per viewer. The server is gunicorn (as `holdspace serve`)
on 127.0.0.1 only, with a throw-away SQLite file; everything ends when the run ends.

Before the monitors start it measures one monitor at 20 and at 2,000 readings (spread over an
eight-hour session): the page's bytes and time, the time to render the live region afresh
(a new version: nothing memoised), and the bytes of the poll that follows one write (only the
parts that changed).

    .venv/bin/python bench/live_view.py [--viewers 20] [--entries 20] [--interval 1.0]
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH_PASSWORD = "x-bench-x-2026"  # noqa: S105  (a throw-away database)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of the server and its workers, from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = {pid}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                pids.add(int(entry.name))
    for each in pids:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _setup(viewers: int) -> tuple[str, list[str], int]:
    """A running session, its therapists signed in: (monitor path, session cookies, id)."""
    import django

    django.setup()
    import datetime as dt

    from allauth.mfa.totp.internal.auth import TOTP
    from django.core.management import call_command
    from django.test import Client as HttpClient
    from django.utils import timezone

    from holdspace.courses.models import Course, Visit, VisitKind
    from holdspace.people.actors import Actor
    from holdspace.people.models import (
        CareTeamMember,
        CareTeamRole,
        Client,
        ClientIdentity,
        Clinic,
        Membership,
        Role,
        User,
    )
    from holdspace.sessions import selectors, services
    from holdspace.sessions.rules import checklist_labels

    call_command("migrate", verbosity=0)
    clinic = Clinic.objects.create(name="Bench", slug="bench")
    client = Client.objects.create(clinic=clinic, code="HS-BENCH1")
    ClientIdentity.objects.create(client=client, given_name="Synthetic", family_name="Person")
    members = []
    for index in range(max(viewers, 2)):
        user = User.objects.create_user(email=f"t{index}@bench.test", password=BENCH_PASSWORD)
        TOTP.activate(user, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
        member = Membership.objects.create(user=user, clinic=clinic, role=Role.THERAPIST)
        CareTeamMember.objects.create(
            client=client, membership=member, role=CareTeamRole.CO_THERAPIST
        )
        members.append(member)
    lead_user = User.objects.create_user(email="lead@bench.test", password=BENCH_PASSWORD)
    lead = Membership.objects.create(user=lead_user, clinic=clinic, role=Role.MEDICAL_LEAD)
    course = Course.objects.create(
        clinic=clinic,
        template_key="bench",
        template_name="Bench",
        protocol={},
        start_date=timezone.localdate(),
        created_by=lead,
        status="active",
    )
    course.clients.add(client)
    visit = Visit.objects.create(
        course=course,
        kind=VisitKind.MEDICINE_SESSION,
        number=1,
        label="Medicine session 1",
        starts_at=timezone.now(),
        duration_minutes=480,
        why="bench",
        planned_dose={"initial_mg": 80, "supplemental_mg": 40},
    )
    services.settings_confirm(by=Actor.command_line(lead), values=selectors.settings_defaults())
    t1, t2 = Actor.command_line(members[0]), Actor.command_line(members[1])
    session = services.session_open(by=t1, visit=visit, client=client)
    services.team_attest(by=t1, session=session)
    services.team_attest(by=t2, session=session)
    services.checklist_set(by=t1, session=session, items=dict.fromkeys(checklist_labels(), True))
    services.vital_record(
        by=t1,
        session=session,
        systolic=120,
        diastolic=80,
        heart_rate=70,
        temperature="36.8",
        suds=3,
        taken_at=timezone.now() - dt.timedelta(minutes=1),
    )
    for blocker in selectors.start_blockers(session):
        services.start_override(
            by=Actor.command_line(lead), session=session, item=blocker.item, reason="bench"
        )
    services.session_start(by=t1, session=session)
    from allauth.account.internal.flows.login import (
        _AUTHENTICATION_METHODS_USER_SESSION_KEY,
        AUTHENTICATION_METHODS_SESSION_KEY,
    )

    cookies = []
    for member in members:
        # Signed in as allauth leaves it after the password and the second factor: a session
        # from force_login alone never used a second factor, and the shell ends it at once.
        browser = HttpClient()
        browser.force_login(member.user)
        session_store = browser.session
        now = time.time()
        session_store[AUTHENTICATION_METHODS_SESSION_KEY] = [
            {"method": "password", "at": now},
            {"method": "mfa", "at": now, "type": "totp"},
        ]
        session_store[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(member.user.pk)
        session_store.save()
        cookies.append(browser.cookies["sessionid"].value)
    return f"/sessions/{client.code}/{session.pk}/", cookies, session.pk


def _get(url: str, cookie: str, headers: dict[str, str] | None = None) -> tuple[bytes, str, float]:
    request = urllib.request.Request(  # noqa: S310 (loopback)
        url, headers={"Cookie": f"sessionid={cookie}", **(headers or {})}
    )
    began = time.perf_counter()
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        body = response.read()
        return body, response.headers.get("ETag", ""), time.perf_counter() - began


def _post_note(base: str, path: str, cookie: str, text: str) -> None:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = urllib.request.Request(base + path, headers={"Cookie": f"sessionid={cookie}"})  # noqa: S310
    html = opener.open(page).read().decode()
    token = html.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    csrf_cookie = next(c.value for c in jar if c.name == "csrftoken")
    request = urllib.request.Request(  # noqa: S310
        base + path + "do/note/",
        data=urllib.parse.urlencode({"kind": "note", "text": text}).encode(),
        headers={
            "Cookie": f"sessionid={cookie}; csrftoken={csrf_cookie}",
            "X-CSRFToken": token,
            "X-Holdspace-Fetch": "1",
            "Referer": base + path,
        },
    )
    urllib.request.urlopen(request).read()  # noqa: S310


def _readings_to(session_id: int, count: int) -> None:
    """In-range readings spread over an eight-hour session until it has `count` (bulk)."""
    import datetime as dt

    from django.db.models import F
    from django.utils import timezone

    from holdspace.sessions.models import MedicineSession, VitalReading

    session = MedicineSession.objects.get(pk=session_id)
    start = timezone.now() - dt.timedelta(hours=8)
    MedicineSession.objects.filter(pk=session_id).update(started_at=start)
    have = session.vitals.count()
    step = dt.timedelta(hours=8) / max(count, 1)
    member = session.vitals.first().recorded_by  # type: ignore[union-attr]
    VitalReading.objects.bulk_create(
        VitalReading(
            session=session,
            taken_at=start + step * i,
            systolic=116 + i % 9,
            diastolic=76 + i % 5,
            heart_rate=68 + i % 7,
            temperature="36.8",
            recorded_by=member,
        )
        for i in range(have, count)
    )
    MedicineSession.objects.filter(pk=session_id).update(version=F("version") + 1)


def _bump(session_id: int) -> None:
    from django.db.models import F

    from holdspace.sessions.models import MedicineSession

    MedicineSession.objects.filter(pk=session_id).update(version=F("version") + 1)


def _render_cpu(session_id: int) -> float:
    """CPU seconds of this process to load the session and render every live part afresh
    (what a server process does once per version): steadier than wall time on a busy machine."""
    from holdspace.sessions import selectors
    from holdspace.sessions.live import live_parts
    from holdspace.sessions.models import MedicineSession
    from holdspace.sessions.views import live_context

    began = time.process_time()
    session = MedicineSession.objects.select_related("client", "visit", "clinic").get(pk=session_id)
    selectors.session_loaded(session, every_reading=False)  # as the monitor loads it
    live_parts(live_context(session), full=False)
    return time.process_time() - began


def measure_one_monitor(base: str, path: str, cookie: str, session_id: int) -> None:
    """Page bytes and time, a fresh render of the live region, and the poll after one write, at
    20 and at 2,000 readings."""
    for count in (20, 2000):
        _readings_to(session_id, count)
        pages = [_get(base + path, cookie) for _ in range(5)]
        page = pages[-1][0].decode()
        renders = []
        for _ in range(5):
            _bump(session_id)  # a new version: each process renders the parts afresh
            renders.append(_get(base + path + "live/", cookie)[2])
        body, tag, _took = _get(base + path + "live/", cookie)
        have = ",".join(
            f"{name}={digest}"
            for name, digest in re.findall(r'data-live-part="(\w+)" data-hash="(\w+)"', page)
        )
        _post_note(base, path, cookie, f"bench-measure-{count}")
        poll, _tag, poll_took = _get(
            base + path + "live/", cookie, {"If-None-Match": tag, "X-Live-Have": have}
        )
        cpu = statistics.median(_render_cpu(session_id) for _ in range(21))
        print(
            f"{count:>5} readings: render CPU {cpu * 1000:.0f} ms; "
            f"page {len(page) / 1024:.1f} KB in "
            f"{statistics.median(p[2] for p in pages) * 1000:.0f} ms; live region afresh "
            f"{len(body) / 1024:.1f} KB in {statistics.median(renders) * 1000:.0f} ms; "
            f"poll after one write {len(poll) / 1024:.1f} KB in {poll_took * 1000:.0f} ms"
        )


class Viewer(threading.Thread):
    def __init__(self, base: str, path: str, cookie: str, interval: float, stop: threading.Event):
        super().__init__(daemon=True)
        self.url = base + path + "live/"
        self.cookie = cookie
        self.interval = interval
        self.stop = stop
        self.seen: dict[str, float] = {}
        self.status: dict[int, int] = {}
        self.received = 0  # bytes of the live parts received

    def run(self) -> None:
        etag = ""
        held: dict[str, str] = {}  # the parts this monitor holds, as the script keeps them
        while not self.stop.is_set():
            headers = {"Cookie": f"sessionid={self.cookie}"}
            if etag:
                headers["If-None-Match"] = etag
            if held:
                headers["X-Live-Have"] = ",".join(f"{k}={v}" for k, v in held.items())
            request = urllib.request.Request(self.url, headers=headers)  # noqa: S310 (loopback)
            try:
                with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                    body = response.read().decode()
                    etag = response.headers.get("ETag", "")
                    code = response.status
                now = time.perf_counter()
                self.received += len(body.encode())
                held.update(re.findall(r'data-live-part="(\w+)" data-hash="(\w+)"', body))
                for marker in body.split("bench-entry-")[1:]:
                    key = marker.split("<", 1)[0].split()[0]
                    self.seen.setdefault(key, now)
            except urllib.error.HTTPError as exc:
                code = exc.code
            except OSError:  # a timeout or a refused connection on a loaded machine: counted
                code = 0
            self.status[code] = self.status.get(code, 0) + 1
            self.stop.wait(self.interval)


def _answered_200(statuses: dict[int, int]) -> int:
    return statuses.get(200, 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", type=int, default=20)
    parser.add_argument("--entries", type=int, default=20)
    parser.add_argument("--interval", type=float, default=1.0, help="poll interval (s)")
    parser.add_argument("--gap", type=float, default=1.5, help="seconds between entries")
    args = parser.parse_args()
    if not (1 <= args.viewers <= 100 and 1 <= args.entries <= 200):
        sys.exit("Keep it bounded: 1-100 viewers, 1-200 entries.")

    workdir = Path(tempfile.mkdtemp(prefix="holdspace-bench-live-"))
    env = {
        **os.environ,
        "HOLDSPACE_ENV": "test",
        "HOLDSPACE_VAR_DIR": str(workdir),
        "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "holdspace.settings",
    }
    os.environ.update(env)
    path, cookies, session_id = _setup(args.viewers)
    port = _free_port()
    server = subprocess.Popen(  # noqa: S603 (fixed argv, loopback only)
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "holdspace.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "8",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=str(ROOT),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1).read()  # noqa: S310
                break
            except OSError:
                time.sleep(0.1)
        measure_one_monitor(base, path, cookies[0], session_id)
        stop = threading.Event()
        viewers = [
            Viewer(base, path, cookie, args.interval, stop) for cookie in cookies[: args.viewers]
        ]
        for viewer in viewers:
            viewer.start()
        time.sleep(2)  # every monitor has its first full region and ETag
        cpu_before, wall_before = _cpu_seconds(server.pid), time.perf_counter()
        writer = cookies[0]
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        page = urllib.request.Request(base + path, headers={"Cookie": f"sessionid={writer}"})  # noqa: S310
        html = opener.open(page).read().decode()
        token = html.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
        csrf_cookie = next(c.value for c in jar if c.name == "csrftoken")
        sent: dict[str, float] = {}
        for index in range(args.entries):
            key = f"{index:04d}"
            data = urllib.parse.urlencode({"kind": "note", "text": f"bench-entry-{key} "}).encode()
            request = urllib.request.Request(  # noqa: S310
                base + path + "do/note/",
                data=data,
                headers={
                    "Cookie": f"sessionid={writer}; csrftoken={csrf_cookie}",
                    "X-CSRFToken": token,
                    "X-Holdspace-Fetch": "1",
                    "Idempotency-Key": f"bench-{key}",
                    "Referer": base + path,
                },
            )
            urllib.request.urlopen(request).read()  # noqa: S310
            sent[key] = time.perf_counter()
            time.sleep(args.gap)
        time.sleep(args.interval * 2 + 0.5)
        stop.set()
        wall = time.perf_counter() - wall_before
        cpu = _cpu_seconds(server.pid) - cpu_before
        for viewer in viewers:
            viewer.join(timeout=5)
    finally:
        server.terminate()
        server.wait(timeout=10)
    delays = [
        viewer.seen[key] - at
        for viewer in viewers
        for key, at in sent.items()
        if key in viewer.seen
    ]
    missed = len(sent) * len(viewers) - len(delays)
    statuses: dict[int, int] = {}
    for viewer in viewers:
        for code, count in viewer.status.items():
            statuses[code] = statuses.get(code, 0) + count
    polls = sum(statuses.values())
    quantiles = statistics.quantiles(delays, n=20) if len(delays) > 1 else delays * 19
    print(
        f"live view: {len(viewers)} monitors polling every {args.interval:g} s, "
        f"{len(sent)} entries {args.gap:g} s apart, {polls} polls"
    )
    print(
        f"entry to display: median {statistics.median(delays) * 1000:.0f} ms, "
        f"p95 {quantiles[18] * 1000:.0f} ms, max {max(delays) * 1000:.0f} ms, missed {missed}"
    )
    print(
        f"answers: {', '.join(f'{code}: {count}' for code, count in sorted(statuses.items()))} "
        f"({statuses.get(304, 0) / max(polls, 1):.0%} were 304 Not Modified)"
    )
    received = sum(viewer.received for viewer in viewers)
    print(
        f"sent to the monitors: {received / 1024:.0f} KB in all, "
        f"{received / 1024 / max(_answered_200(statuses), 1):.1f} KB per 200"
    )
    print(
        f"server CPU: {cpu:.2f} s over {wall:.1f} s = {cpu / wall * 100:.1f}% of one core in "
        f"all; {cpu / wall / len(viewers) * 1000:.1f} ms of CPU per second per viewer"
    )


if __name__ == "__main__":
    import urllib.parse

    main()
