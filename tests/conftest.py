"""Personas from the clinic, shared by every test.

Clinic "north" has a client on whose care team `therapist` is; `therapist_off_team` works at
the same clinic but not with that client; `outsider` is a therapist at clinic "south".
Every persona has enrolled TOTP, unless a test says otherwise.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from types import SimpleNamespace

import pyotp
import pytest
from allauth.mfa.totp.internal import auth as totp_auth
from django.db import connection
from django.test import Client as HttpClient
from django.utils import timezone

from holdspace.people.models import CareTeamRole, Client, Clinic, Membership, Role

from .factories import CareTeamMemberFactory, ClientFactory, ClinicFactory, MembershipFactory


@pytest.fixture(autouse=True)
def _static_and_email(settings: object) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # type: ignore[attr-defined]


# Longer than a test takes from its first fixture to its last assertion (browser flows too).
DAY_END_MARGIN = dt.timedelta(seconds=60)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """A test reads "today" many times (its fixtures, the app, its assertions): one started in
    the last minute of a day, the clinic's (Europe/Oslo) or UTC's, would end in the next and
    compare two days. Such a test waits for the new day first (twice a day, a minute at most)."""
    now = timezone.now()
    local = timezone.localtime(now)
    local_midnight = dt.datetime.combine(
        local.date() + dt.timedelta(days=1), dt.time.min, tzinfo=local.tzinfo
    )
    utc_midnight = dt.datetime.combine(
        now.date() + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC
    )
    left = min(local_midnight, utc_midnight) - now
    if left < DAY_END_MARGIN:
        time.sleep(left.total_seconds() + 0.1)


@pytest.fixture(autouse=True)
def _totp_clock_mid_step(monkeypatch: pytest.MonkeyPatch) -> None:
    """allauth accepts a TOTP code only in the 30-second step it was made for (no tolerance):
    a test whose code was made in the last milliseconds of a step and checked in the next one
    was refused. The codes the tests make (pyotp) and allauth's check read one clock, which
    stands still half-way through a step."""
    mid_step = time.time() // 30 * 30 + 15
    monkeypatch.setattr(totp_auth, "time", SimpleNamespace(time=lambda: mid_step))
    monkeypatch.setattr(pyotp.TOTP, "now", lambda self: self.at(mid_step))


@pytest.fixture(autouse=True)
def _fresh_monitor_memos() -> None:
    """The monitor's per-process memos are keyed by ids, which a database never reuses and
    test databases do: each test starts with none from another test's session."""
    from holdspace.sessions import charts, live, timeline

    live.rendered.clear()
    timeline.older_runs.clear()
    charts.kept_slices.clear()


@pytest.fixture(scope="session", autouse=True)
def _allow_flush_of_audit_rows_on_sqlite(django_db_setup: None, django_db_blocker: object) -> None:
    """Transactional tests empty every table with DELETE on SQLite, which the append-only
    trigger refuses. Drop only the DELETE trigger there (the UPDATE trigger stays); on
    PostgreSQL flushing uses TRUNCATE and both triggers stay."""
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")


@dataclass
class Clinics:
    north: Clinic
    south: Clinic
    client: Client  # a north client, on `therapist`'s care team
    other_client: Client  # a north client on nobody's team
    south_client: Client


@pytest.fixture
def clinics(db: None) -> Clinics:
    north = ClinicFactory(name="North", slug="north")
    south = ClinicFactory(name="South", slug="south")
    return Clinics(
        north=north,
        south=south,
        client=ClientFactory(clinic=north),
        other_client=ClientFactory(clinic=north),
        south_client=ClientFactory(clinic=south),
    )


def _member(clinic: Clinic, role: str, email: str) -> Membership:
    return MembershipFactory(clinic=clinic, role=role, user__email=email)


@pytest.fixture
def therapist(clinics: Clinics) -> Membership:
    member = _member(clinics.north, Role.THERAPIST, "therapist@north.test")
    CareTeamMemberFactory(
        client=clinics.client, membership=member, role=CareTeamRole.LEAD_THERAPIST
    )
    return member


@pytest.fixture
def therapist_off_team(clinics: Clinics) -> Membership:
    return _member(clinics.north, Role.THERAPIST, "therapist2@north.test")


@pytest.fixture
def lead(clinics: Clinics) -> Membership:
    return _member(clinics.north, Role.MEDICAL_LEAD, "lead@north.test")


@pytest.fixture
def coordinator(clinics: Clinics) -> Membership:
    return _member(clinics.north, Role.COORDINATOR, "coordinator@north.test")


@pytest.fixture
def researcher(clinics: Clinics) -> Membership:
    return _member(clinics.north, Role.RESEARCHER, "researcher@north.test")


@pytest.fixture
def clinic_admin(clinics: Clinics) -> Membership:
    return _member(clinics.north, Role.CLINIC_ADMIN, "admin@north.test")


@pytest.fixture
def outsider(clinics: Clinics) -> Membership:
    """A medical lead at the other clinic: sees all of south, nothing of north."""
    return _member(clinics.south, Role.MEDICAL_LEAD, "lead@south.test")


def sign_in(browser: HttpClient, user: object) -> HttpClient:
    """Sign `user` in as allauth would after password and second factor.

    `force_login` alone makes a session that never used a second factor, which the shell
    ends at once; this records both steps in the session the way allauth does.
    """
    from allauth.account.internal.flows.login import (
        _AUTHENTICATION_METHODS_USER_SESSION_KEY,
        AUTHENTICATION_METHODS_SESSION_KEY,
    )

    browser.force_login(user)  # type: ignore[arg-type]
    session = browser.session
    now = time.time()
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": now},
        {"method": "mfa", "at": now, "type": "totp"},
    ]
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(user.pk)  # type: ignore[attr-defined]
    session.save()
    return browser


def signed_in(member: Membership) -> HttpClient:
    return sign_in(HttpClient(), member.user)


@pytest.fixture
def as_therapist(therapist: Membership) -> HttpClient:
    return signed_in(therapist)
