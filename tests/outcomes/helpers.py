from __future__ import annotations

import datetime as dt

from holdspace.measures import services as measures
from holdspace.people.actors import Actor
from holdspace.screening.models import Context, HowItWent, PriorExperience, Substance


def actor(member):  # type: ignore[no-untyped-def]
    return Actor(user=member.user, membership=member)


def pcl5(total: int) -> dict[str, int]:
    """PCL-5 answers (20 items, 0-4) adding up to `total`."""
    answers, left = {}, total
    for i in range(1, 21):
        answers[str(i)] = min(4, left)
        left -= answers[str(i)]
    return answers


def record(member, client, total, day, timepoint=""):  # type: ignore[no-untyped-def]
    """A PCL-5 score observed on 2026-01-`day`, at `timepoint` when given."""
    by = actor(member)
    when = dt.date(2026, 1, 1) + dt.timedelta(days=day - 1)
    if timepoint:
        measures.assignment_create(
            by=by, client=client, instrument_code="PCL-5", due_on=when, timepoint=timepoint
        )
    return measures.response_record(
        by=by, client=client, instrument_code="PCL-5", answers=pcl5(total), observed_on=when
    )


def party(client, times, context=Context.PARTY):  # type: ignore[no-untyped-def]
    return PriorExperience.objects.create(
        client=client,
        substance=Substance.MDMA,
        context=context,
        times=times,
        how_it_went=HowItWent.MIXED,
    )


def sign(lead, client, decision="eligible"):  # type: ignore[no-untyped-def]
    from django.utils import timezone

    from holdspace.screening.models import ScreeningDecision

    return ScreeningDecision.objects.create(
        client=client,
        decision=decision,
        ruleset_version="test",
        signed_by=lead.user,
        signed_at=timezone.now(),
    )


def past_course(lead, therapists, client, days_ago=200):  # type: ignore[no-untyped-def]
    """A phase 3 course that began `days_ago` days ago (entered as already under way)."""
    from django.utils import timezone

    from holdspace.courses import services as courses
    from holdspace.courses.protocols import builtin_protocols
    from holdspace.people.models import CareTeamRole
    from tests.factories import CareTeamMemberFactory

    for member in therapists:
        if not client.care_team.filter(membership=member).exists():
            CareTeamMemberFactory(client=client, membership=member, role=CareTeamRole.CO_THERAPIST)
    return courses.course_create(
        by=actor(lead),
        clients=[client],
        template_key="mdma-at-ptsd-phase3",
        protocol=builtin_protocols()["mdma-at-ptsd-phase3"],
        start_date=timezone.localdate() - dt.timedelta(days=days_ago),
        therapists=list(therapists),
        medical_lead=lead,
        already_under_way=True,
    )


def dose(course, client, sessions):  # type: ignore[no-untyped-def]
    """Mark the first `sessions` medicine sessions of the course as started."""
    from holdspace.courses.models import VisitKind
    from holdspace.sessions.models import MedicineSession, SessionStatus

    visits = course.visits.filter(kind=VisitKind.MEDICINE_SESSION).order_by("starts_at")
    for visit in visits[:sessions]:
        MedicineSession.objects.create(
            visit=visit,
            client=client,
            clinic=client.clinic,
            status=SessionStatus.ENDED,
            started_at=visit.starts_at,
            ended_at=visit.ends_at,
        )
