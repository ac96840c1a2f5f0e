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
