"""A small synthetic record for export tests, written straight to the tables (fast): per
client a course with two visits, an ended medicine session with vital signs and an adverse
event, two PHQ-9 responses with scores (one at a timepoint), a medication, a prior
experience, and preparation consents."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import timezone

from holdspace.courses.models import Course, Visit, VisitKind
from holdspace.measures import library
from holdspace.measures.models import Assignment, EnteredBy, Response, Score
from holdspace.measures.scoring import score
from holdspace.people.models import Client, Membership
from holdspace.preparation.models import Preparation
from holdspace.screening.models import Medication, PriorExperience
from holdspace.sessions.models import AdverseEvent, MedicineSession, SessionStatus, VitalReading

from ..factories import ClientFactory


@dataclass
class Record:
    clients: list[Client]


def fill(client: Client, member: Membership, *, seed: int) -> None:
    now = timezone.now().replace(microsecond=0)
    start = now - dt.timedelta(days=60 + seed)
    course = Course.objects.create(
        clinic=client.clinic,
        template_key="mapp",
        template_name="Phase 3 trial design",
        protocol={},
        status="active",
        start_date=start.date(),
        created_by=member,
    )
    course.clients.add(client)
    Visit.objects.create(
        course=course,
        kind=VisitKind.PREPARATION,
        number=1,
        label_stored="Preparation 1",
        starts_at=start,
        duration_minutes=90,
        why_stored="start",
    )
    dosing = Visit.objects.create(
        course=course,
        kind=VisitKind.MEDICINE_SESSION,
        number=1,
        label_stored="Medicine session 1",
        starts_at=start + dt.timedelta(days=14),
        duration_minutes=480,
        why_stored="after preparation",
    )
    session = MedicineSession.objects.create(
        visit=dosing,
        client=client,
        clinic=client.clinic,
        status=SessionStatus.ENDED,
        started_at=dosing.starts_at,
        ended_at=dosing.starts_at + dt.timedelta(hours=8),
    )
    for minutes in (0, 30, 60):
        VitalReading.objects.create(
            session=session,
            taken_at=dosing.starts_at + dt.timedelta(minutes=minutes),
            systolic=120 + minutes // 3,
            diastolic=80,
            heart_rate=70 + seed,
            temperature="36.8",
            spo2=98 if minutes else None,
            recorded_by=member,
        )
    AdverseEvent.objects.create(
        session=session,
        term="Headache",
        onset_at=dosing.starts_at + dt.timedelta(hours=2),
        severity="mild",
        valence="unpleasant",
        serious_criteria=["hospitalisation"] if seed % 2 else [],
        relatedness="possible",
        outcome="resolved",
        reported_by=member,
    )
    phq9 = library.shipped()["PHQ-9"]
    for number, timepoint in enumerate(("baseline", "")):
        answers = {str(i): (seed + i + number) % 4 for i in range(1, 10)}
        assignment = None
        if timepoint:
            assignment = Assignment.objects.create(
                client=client,
                instrument_code="PHQ-9",
                due_on=start.date(),
                timepoint=timepoint,
                state="completed",
            )
        response = Response.objects.create(
            client=client,
            assignment=assignment,
            instrument_code="PHQ-9",
            definition_version=phq9.version,
            answers=answers,
            entered_by=EnteredBy.CLINICIAN,
            submitted_at=start + dt.timedelta(days=number * 30),
        )
        result = score(phq9, answers)
        Score.objects.create(
            response=response,
            client=client,
            instrument_code="PHQ-9",
            definition_version=phq9.version,
            total=result.total,
            subscales={},
            band=result.band or "",
            flags=[],
            scored_at=response.submitted_at,
            observed_on=response.submitted_at.date(),  # type: ignore[union-attr]
        )
    Medication.objects.create(
        client=client,
        name="Sertraline",
        list_key="sertraline",
        dose="50 mg",
        start_date=start.date() - dt.timedelta(days=400),
    )
    PriorExperience.objects.create(
        client=client, substance="mdma", context="party", times=3, how_it_went="good"
    )
    Preparation.objects.create(
        course=course, client=client, supportive_touch="yes", recording_consent="no"
    )


@pytest.fixture
def record(clinics, lead) -> Record:  # type: ignore[no-untyped-def]
    """Four clients at north (one more than the shared personas give), one at south."""
    extra = ClientFactory(clinic=clinics.north)
    north = [clinics.client, clinics.other_client, extra]
    for seed, client in enumerate([*north, clinics.south_client]):
        fill(client, lead, seed=seed)
    return Record(clients=north)
