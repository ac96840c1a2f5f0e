"""Every staff page that lists rows answers in the same number of queries on a small and a
larger clinic: a page whose query count grows with its rows (N+1) is slow at network scale.

The clinic is made with factories (clinic, staff, clients, care teams) and each part of the arc
then adds its own records to those clients, as `holdspace demo` does, through the apps' own
services. Each size is built inside a savepoint and rolled back, so the two never mix. Every
page is asked for once before it is counted: per-process caches (rules, settings) fill then.
"""

from __future__ import annotations

import copy
import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.db.models.base import ModelState
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from faker import Faker

from holdspace.core.extensions import DemoContext, demo_extensions
from holdspace.people.actors import Actor
from holdspace.people.demo import DEMO_PASSWORD, DEMO_STAFF, PHASE_WEIGHTS
from holdspace.people.models import CareTeamRole, Membership
from holdspace.sessions import demo as sessions_demo
from holdspace.sessions import selectors as sessions_selectors
from holdspace.sessions import services as sessions_services

from ..conftest import signed_in
from ..factories import CareTeamMemberFactory, ClientFactory, ClinicFactory, MembershipFactory

# The arc of the demo needs nine clients to make every kind of record (screening signs some,
# courses follow the eligible ones); the larger clinic has more of every kind.
SMALL, LARGE = 9, 18


@dataclass
class World:
    members: dict[str, Membership]
    code: str  # a client with a course
    session_url: str  # the running session's monitor
    proposed_url: str  # a course whose schedule is proposed (its conflicts are checked)


def build(n: int) -> World:
    clinic = ClinicFactory(name="North", slug="north")
    members = {
        # The arc signs its decisions with the demo password, as `holdspace demo` does.
        login: MembershipFactory(
            clinic=clinic,
            role=role,
            user__email=f"{login}@north.test",
            user__password=DEMO_PASSWORD,
        )
        for login, role in DEMO_STAFF
    }
    phases = list(PHASE_WEIGHTS)
    clients = []
    for i in range(n):
        client = ClientFactory(clinic=clinic, phase=phases[i % len(phases)])
        CareTeamMemberFactory(
            client=client, membership=members["therapist"], role=CareTeamRole.LEAD_THERAPIST
        )
        CareTeamMemberFactory(client=client, membership=members["lead"], role=CareTeamRole.MEDICAL)
        clients.append(client)
    fake = Faker("en_GB")
    fake.seed_instance(n)
    context = DemoContext(
        clinic=clinic,
        members=members,
        clients=clients,
        rng=random.Random(n),  # noqa: S311  (synthetic test data)
        fake=fake,
        today=timezone.localdate(),
        with_cohort=False,
    )
    for extend in demo_extensions():
        # The demo's finished sessions go through every service and take most of its time;
        # one running session is made here and finished ones are copied from it below.
        if extend is not sessions_demo.demo_sessions:
            extend(context)
    sessions_services.settings_confirm(
        by=Actor.command_line(members["lead"]), values=sessions_selectors.settings_defaults()
    )
    sessions_demo._in_progress(context, timezone.now())
    session_model = apps.get_model("medicine_sessions", "MedicineSession")
    running = (
        session_model.objects.filter(clinic=clinic, status="running")
        .select_related("client", "visit__course")
        .first()
    )
    assert running is not None, "the arc made no running session"
    _more_readings(running, n)
    _more_courses(running, clients, n // 3)
    proposed = _proposed_courses(running, clients, n // 3)
    course = apps.get_model("courses", "Course").objects.filter(clinic=clinic).first()
    assert course is not None
    return World(
        members=members,
        code=course.clients.first().code,
        session_url=f"/sessions/{running.client.code}/{running.pk}/",
        proposed_url=f"/courses/client/{proposed.clients.first().code}/{proposed.pk}/",
    )


def _more_readings(session: Any, n: int) -> None:
    """The monitor's timeline grows with the database too: 4n more readings, every 15 min."""
    first = session.vitals.order_by("taken_at").first()
    assert first is not None
    for i in range(n * 4):
        _copy(first, taken_at=first.taken_at - dt.timedelta(minutes=15 * (i + 1)))


def _copy(row: Any, **changes: Any) -> Any:
    row = copy.copy(row)
    row.pk = row.id = None
    row._state = ModelState()
    for name, value in changes.items():
        setattr(row, name, value)
    row.save()
    return row


def _more_courses(running: Any, clients: list[Any], extra: int) -> None:
    """The demo makes at most five courses: copy the running one's course for more clients,
    each with its visits and a finished medicine session (readings, doses) per past session."""
    course = running.visit.course
    visits = list(course.visits.all())
    readings = list(running.vitals.all())
    doses = list(running.doses.all())
    taken = set(course.clients.values_list("pk", flat=True))
    for client in [c for c in clients if c.pk not in taken][:extra]:
        copied = _copy(course)
        copied.clients.set([client])
        for visit in visits:
            new_visit = _copy(visit, course=copied, follows=None)
            if visit.kind != "medicine_session" or visit.starts_at > timezone.now():
                continue
            session = _copy(
                running, visit=new_visit, client=client, status="finished", ended_at=timezone.now()
            )
            for reading in readings:
                _copy(reading, session=session)
            for dose in doses:
                _copy(dose, session=session)


def _proposed_courses(running: Any, clients: list[Any], count: int) -> Any:
    """Proposed schedules for clients without a course, for the coordinator to accept: copies
    of the running course's visits a month on, with their therapists and room, so the
    proposals clash with each other and every conflict check has bookings to compare."""
    course = running.visit.course
    visits = list(course.visits.prefetch_related("therapists"))
    taken = set(
        apps.get_model("courses", "Course")
        .objects.filter(clinic=course.clinic)
        .values_list("clients", flat=True)
    )
    made = None
    for client in [c for c in clients if c.pk not in taken][:count]:
        made = _copy(course, status="proposed")
        made.clients.set([client])
        for visit in visits:
            later = _copy(
                visit, course=made, follows=None, starts_at=visit.starts_at + dt.timedelta(days=30)
            )
            later.therapists.set(visit.therapists.all())
    assert made is not None, "no client without a course"
    return made


Page = tuple[str, str, Callable[[World], str], dict[str, str]]

# (name, persona, path, extra headers)
PAGES: list[Page] = [
    ("client list", "therapist", lambda w: "/clients/", {}),
    ("client list (lead)", "lead", lambda w: "/clients/", {}),
    ("client search", "coordinator", lambda w: "/clients/?q=a", {}),
    ("client overview", "lead", lambda w: f"/clients/{w.code}/", {}),
    ("screening index", "lead", lambda w: "/screening/", {}),
    ("measures", "therapist", lambda w: "/measures/", {}),
    ("courses", "lead", lambda w: "/courses/", {}),
    ("client's courses", "lead", lambda w: f"/courses/client/{w.code}/", {}),
    ("proposed course", "coordinator", lambda w: w.proposed_url, {}),
    ("api courses", "lead", lambda w: "/api/v1/courses", {}),
    ("calendar", "coordinator", lambda w: "/courses/calendar/", {}),
    ("sessions", "lead", lambda w: "/sessions/", {}),
    ("session monitor", "therapist", lambda w: w.session_url, {}),
    ("live poll", "therapist", lambda w: w.session_url + "live/", {}),
    ("today (therapist)", "therapist", lambda w: "/today/", {}),
    ("today (lead)", "lead", lambda w: "/today/", {}),
    ("today (coordinator)", "coordinator", lambda w: "/today/", {}),
    ("outcomes", "researcher", lambda w: "/outcomes/", {}),
]


def count_queries(world: World) -> dict[str, int]:
    browsers = {login: signed_in(m) for login, m in world.members.items()}
    counts: dict[str, int] = {}
    for name, persona, path, headers in PAGES:
        browser = browsers[persona]
        url = path(world)
        warm = browser.get(url, **headers)
        assert warm.status_code == 200, (name, warm.status_code)
        with CaptureQueriesContext(connection) as queries:
            response = browser.get(url, **headers)
        assert response.status_code == 200, (name, response.status_code)
        counts[name] = len(queries)
    # The live poll when nothing changed: the answer every open monitor gets each second.
    browser = browsers["therapist"]
    url = world.session_url + "live/"
    tag = browser.get(url)["ETag"]
    with CaptureQueriesContext(connection) as queries:
        response = browser.get(url, HTTP_IF_NONE_MATCH=tag)
    assert response.status_code == 304
    counts["live poll 304"] = len(queries)
    return counts


def measure(n: int) -> dict[str, int]:
    with transaction.atomic():
        counts = count_queries(build(n))
        transaction.set_rollback(True)
    return counts


@pytest.mark.django_db
def test_pages_answer_in_the_same_number_of_queries_on_a_larger_clinic(monkeypatch) -> None:
    # The live ETag turns over every half minute: held still so the 304 poll can't miss it.
    monkeypatch.setattr("holdspace.sessions.views._bucket", lambda: 1)
    small, large = measure(SMALL), measure(LARGE)
    grown = {name: (small[name], large[name]) for name in small if small[name] != large[name]}
    assert grown == {}, f"queries grow with rows (small, large): {grown}\nall: {large}"
    # Every open monitor asks each second: session row, user with membership, the session.
    assert large["live poll 304"] <= 3
