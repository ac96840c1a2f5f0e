"""Courses tests: screening's decision is patched per test, so these tests do not depend on
the screening feature's data (one test uses the real functions)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

import holdspace.screening.selectors as screening_selectors
from holdspace.courses import services
from holdspace.courses.models import Course, Room
from holdspace.courses.protocols import builtin_protocols
from holdspace.people.actors import Actor
from holdspace.people.models import CareTeamRole, Membership

from ..factories import CareTeamMemberFactory


@dataclass(frozen=True)
class FakeEligibility:
    eligible: bool
    status: str
    reason: str
    decided_at: Any = None


class Screening:
    """What the patched screening answers: eligible, and optionally a washout date."""

    def __init__(self) -> None:
        self.eligible = True
        self.reason = "Signed eligible."
        self.washout: dt.date | None = None


@pytest.fixture
def screening(monkeypatch: pytest.MonkeyPatch) -> Screening:
    state = Screening()
    monkeypatch.setattr(
        screening_selectors,
        "screening_eligibility",
        lambda client: FakeEligibility(
            state.eligible, "eligible" if state.eligible else "not_eligible", state.reason
        ),
        raising=False,
    )
    monkeypatch.setattr(
        screening_selectors,
        "earliest_medicine_session_date",
        lambda client: state.washout,
        raising=False,
    )
    return state


@pytest.fixture
def co_therapist(clinics, therapist_off_team: Membership) -> Membership:  # type: ignore[no-untyped-def]
    CareTeamMemberFactory(
        client=clinics.client, membership=therapist_off_team, role=CareTeamRole.CO_THERAPIST
    )
    return therapist_off_team


@pytest.fixture
def room(clinics) -> Room:  # type: ignore[no-untyped-def]
    return Room.objects.create(clinic=clinics.north, name="Linden")


def start_course(
    *,
    by: Membership,
    clients: list[Any],
    therapists: list[Membership],
    lead: Membership | None,
    room: Room | None = None,
    key: str = "mdma-at-ptsd-phase3",
    start: dt.date | None = None,
) -> Course:
    return services.course_create(
        by=Actor.command_line(by),
        clients=clients,
        template_key=key,
        protocol=builtin_protocols()[key],
        start_date=start or timezone.localdate() + dt.timedelta(days=1),
        therapists=therapists,
        medical_lead=lead,
        room=room,
    )


@pytest.fixture
def course(clinics, screening, therapist, co_therapist, lead, room) -> Course:  # type: ignore[no-untyped-def]
    return start_course(
        by=therapist,
        clients=[clinics.client],
        therapists=[therapist, co_therapist],
        lead=lead,
        room=room,
    )


def on_team(client: Any, *members: Membership) -> None:
    """Put therapists on a client's care team (a course's therapists must be on it)."""
    for member in members:
        CareTeamMemberFactory(client=client, membership=member, role=CareTeamRole.CO_THERAPIST)
