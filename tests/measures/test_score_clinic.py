"""Score.clinic: the client's clinic, kept on every score however it is stored, backfilled by
the migration that added it, and the recent-scores list read by it gives what reading by the
clients alone gave."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.db.models import F
from django.utils import timezone

from holdspace.measures import selectors, services
from holdspace.measures.models import EnteredBy, Response, Score
from holdspace.people import selectors as people_selectors

from .helpers import actor, assign, phq9

pytestmark = pytest.mark.django_db


def _scores(clinics, therapist, south_member):  # type: ignore[no-untyped-def]
    by = actor(therapist)
    made = [
        services.response_record(
            by=by, client=clinics.client, instrument_code="PHQ-9", answers=phq9(5)
        ),
        services.score_record_total(
            by=by, client=clinics.client, instrument_code="BDI-II", total=9
        ),
        services.response_submit(
            by=None, assignment=assign(therapist, clinics.client), answers=phq9(2)
        ),
        services.response_record(
            by=actor(south_member),
            client=clinics.south_client,
            instrument_code="PHQ-9",
            answers=phq9(3),
        ),
    ]
    return made


def test_every_way_of_storing_a_score_keeps_the_clients_clinic(clinics, therapist, outsider):
    made = _scores(clinics, therapist, outsider)
    assert [s.clinic_id for s in made] == [clinics.north.pk] * 3 + [clinics.south.pk]
    # A score made directly (a shell, a fixture) gets it from its client too.
    response = Response.objects.create(
        client=clinics.other_client,
        instrument_code="PHQ-9",
        definition_version="1",
        entered_by=EnteredBy.CLINICIAN,
    )
    direct = Score.objects.create(
        response=response,
        client=clinics.other_client,
        instrument_code="PHQ-9",
        definition_version="1",
        total=3,
        scored_at=timezone.now(),
        observed_on=timezone.localdate(),
    )
    assert direct.clinic_id == clinics.north.pk
    assert not Score.objects.exclude(clinic_id=F("client__clinic_id")).exists()


def test_the_migration_backfills_the_clinic_from_the_client(clinics, therapist, outsider):
    made = _scores(clinics, therapist, outsider)
    Score.objects.update(clinic_id=clinics.south.pk)  # wrong for three of them
    migration = importlib.import_module("holdspace.measures.migrations.0006_score_clinic")
    migration.backfill(apps, None)
    found = dict(Score.objects.values_list("pk", "clinic_id"))
    assert found == {s.pk: s.client.clinic_id for s in made}


def _straightforward(membership, days=30):  # type: ignore[no-untyped-def]
    """The list as it was read before the clinic column: by the visible clients alone."""
    since = timezone.localdate() - dt.timedelta(days=days)
    return list(
        Score.objects.filter(
            client__in=people_selectors.clients_visible_to(membership), observed_on__gte=since
        )
        .order_by("-observed_on", "-pk")
        .values_list("pk", flat=True)
    )


def test_recent_scores_by_clinic_are_those_read_by_the_clients(
    clinics, therapist, therapist_off_team, lead, outsider, coordinator, researcher, clinic_admin
):
    _scores(clinics, therapist, outsider)
    services.response_record(
        by=actor(lead), client=clinics.other_client, instrument_code="PHQ-9", answers=phq9(1)
    )
    old = Score.objects.filter(client=clinics.client).first()
    assert old is not None
    Score.objects.filter(pk=old.pk).update(observed_on=timezone.localdate() - dt.timedelta(40))
    members = (therapist, therapist_off_team, lead, outsider, coordinator, researcher, clinic_admin)
    for member in (*members, None):
        found = list(selectors.recent_scores_visible_to(member).values_list("pk", flat=True))
        assert found == _straightforward(member)
    assert len(_straightforward(lead)) == 3  # north's, less the old one, not south's
    assert len(_straightforward(therapist)) == 2  # their care-team client's only


def test_recent_scores_are_read_by_the_clinic_column(clinics, lead):
    """The clinic's part of the (clinic, -observed_on, -id) index, not the network's."""
    sql = str(selectors.recent_scores_visible_to(lead).query)
    assert f'"measures_score"."clinic_id" = {clinics.north.pk}' in sql
