"""Score.timepoint: the timepoint of the response's assignment, kept on the score by every way
a score is stored (entered on behalf, score only, submitted through a link), followed when an
assignment's timepoint is edited, and backfilled by the migration that added it."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.apps import apps

from holdspace.measures import services
from holdspace.measures.models import Score

from .helpers import actor, phq9

pytestmark = pytest.mark.django_db


def _assign(member, client, timepoint, code="PHQ-9"):  # type: ignore[no-untyped-def]
    return services.assignment_create(
        by=actor(member),
        client=client,
        instrument_code=code,
        due_on=dt.date(2030, 1, 1),
        timepoint=timepoint,
    )


def test_every_way_of_storing_a_score_keeps_the_timepoint(clinics, therapist):
    by, client = actor(therapist), clinics.client
    _assign(therapist, client, "baseline")
    on_behalf = services.response_record(
        by=by, client=client, instrument_code="PHQ-9", answers=phq9(5)
    )
    _assign(therapist, client, "end", code="BDI-II")
    score_only = services.score_record_total(
        by=by, client=client, instrument_code="BDI-II", total=9
    )
    linked = _assign(therapist, client, "follow_up_6m")
    submitted = services.response_submit(by=None, assignment=linked, answers=phq9(2))
    unscheduled = services.response_record(
        by=by, client=client, instrument_code="PHQ-9", answers=phq9(1)
    )
    assert [s.timepoint for s in (on_behalf, score_only, submitted, unscheduled)] == [
        "baseline",
        "end",
        "follow_up_6m",
        "",
    ]


def test_an_edited_timepoint_follows_to_the_score(clinics, therapist):
    assignment = _assign(therapist, clinics.client, "week_8")
    score = services.response_record(
        by=actor(therapist), client=clinics.client, instrument_code="PHQ-9", answers=phq9(3)
    )
    assignment.refresh_from_db()
    assignment.timepoint = "end"
    assignment.save()
    score.refresh_from_db()
    assert score.timepoint == "end"


def test_the_migration_backfills_the_timepoint_from_the_assignment(clinics, therapist):
    by, client = actor(therapist), clinics.client
    _assign(therapist, client, "baseline")
    scheduled = services.response_record(
        by=by, client=client, instrument_code="PHQ-9", answers=phq9(4)
    )
    unscheduled = services.response_record(
        by=by, client=client, instrument_code="PHQ-9", answers=phq9(1)
    )
    Score.objects.update(timepoint="")  # as the rows were before the column existed
    migration = importlib.import_module("holdspace.measures.migrations.0004_score_timepoint")
    migration.backfill(apps, None)
    found = dict(Score.objects.values_list("pk", "timepoint"))
    assert found == {scheduled.pk: "baseline", unscheduled.pk: ""}
