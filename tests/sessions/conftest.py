"""A north client with a medicine-session visit today, two therapists on the care team, the
clinic's thresholds confirmed and preparation ready (patched: preparation is its own feature)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import timezone

import holdspace.preparation.selectors as preparation_selectors
from holdspace.courses.models import Course, Visit, VisitKind
from holdspace.people.actors import Actor
from holdspace.people.models import CareTeamRole, Membership
from holdspace.sessions import selectors, services
from holdspace.sessions.models import MedicineSession
from holdspace.sessions.rules import checklist_labels
from tests.review.helpers import confirm_everything

from ..factories import CareTeamMemberFactory


@dataclass(frozen=True)
class FakeReadiness:
    ready: bool
    missing: list[str]
    overridden: bool = False
    override_reason: str = ""


@pytest.fixture
def prepared(monkeypatch: pytest.MonkeyPatch) -> dict[str, bool]:
    return patch_preparation(monkeypatch)


def patch_preparation(monkeypatch: pytest.MonkeyPatch) -> dict[str, bool]:
    state = {"ready": True}
    monkeypatch.setattr(
        preparation_selectors,
        "preparation_readiness",
        lambda client: FakeReadiness(state["ready"], [] if state["ready"] else ["intentions"]),
    )
    return state


@pytest.fixture
def co_therapist(clinics, therapist_off_team: Membership) -> Membership:  # type: ignore[no-untyped-def]
    CareTeamMemberFactory(
        client=clinics.client, membership=therapist_off_team, role=CareTeamRole.CO_THERAPIST
    )
    return therapist_off_team


@pytest.fixture
def visit(clinics, therapist, lead) -> Visit:  # type: ignore[no-untyped-def]
    return make_visit(clinics, therapist)


def make_visit(clinics, therapist: Membership) -> Visit:  # type: ignore[no-untyped-def]
    course = Course.objects.create(
        clinic=clinics.north,
        template_key="mdma-at-ptsd-phase3",
        template_name="MDMA-AT for PTSD",
        protocol={},
        start_date=timezone.localdate() - dt.timedelta(days=30),
        created_by=therapist,
        status="active",
    )
    course.clients.add(clinics.client)
    return Visit.objects.create(
        course=course,
        kind=VisitKind.MEDICINE_SESSION,
        number=1,
        label="Medicine session 1",
        starts_at=timezone.now() - dt.timedelta(minutes=30),
        duration_minutes=480,
        why="test",
        planned_dose={"initial_mg": 80, "supplemental_mg": 40},
    )


def act(member: Membership) -> Actor:
    return Actor.command_line(member)


@pytest.fixture
def confirmed(clinics, lead):  # type: ignore[no-untyped-def]
    settings = services.settings_confirm(by=act(lead), values=selectors.settings_defaults())
    confirm_everything(lead)  # the clinic's Clinical review, so its first session may start
    return settings


@pytest.fixture
def session(clinics, visit, therapist, co_therapist, prepared, confirmed) -> MedicineSession:  # type: ignore[no-untyped-def]
    """Opened; nothing attested yet."""
    return services.session_open(by=act(therapist), visit=visit, client=clinics.client)


def make_ready(session: MedicineSession, therapist: Membership, co_therapist: Membership) -> None:
    services.team_attest(by=act(therapist), session=session)
    services.team_attest(by=act(co_therapist), session=session)
    services.checklist_set(
        by=act(therapist), session=session, items=dict.fromkeys(checklist_labels(), True)
    )
    services.vital_record(
        by=act(therapist),
        session=session,
        systolic=120,
        diastolic=80,
        heart_rate=70,
        temperature="36.8",
        suds=3,
        taken_at=timezone.now() - dt.timedelta(minutes=5),
    )


@pytest.fixture
def running(session, therapist, co_therapist) -> MedicineSession:  # type: ignore[no-untyped-def]
    make_ready(session, therapist, co_therapist)
    return services.session_start(by=act(therapist), session=session)


def give_initial(session: MedicineSession, member: Membership, *, minutes_ago: int = 0):  # type: ignore[no-untyped-def]
    return services.dose_give(
        by=act(member),
        session=session,
        kind="initial",
        substance="MDMA HCl",
        mg=80,
        lot_number="LOT-1",
        given_at=timezone.now() - dt.timedelta(minutes=minutes_ago),
    )
