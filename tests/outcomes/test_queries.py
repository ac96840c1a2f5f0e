"""The cohort page and the two outcomes API routes read in a constant number of queries,
whatever the number of clients (issue 11): the same count for a small and a larger cohort built
with the factories (scores, party uses, sex at intake, courses with medicine sessions)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext

from holdspace.api.services import api_token_create
from holdspace.people.actors import Actor
from holdspace.screening.models import MedicalHistory, Sex
from tests.conftest import signed_in
from tests.factories import ClientFactory

from .helpers import dose, party, past_course, record, sign

pytestmark = pytest.mark.django_db

URLS = (
    "/outcomes/?instrument=PCL-5&group_by={group}",
    "/outcomes/plots/?instrument=PCL-5&group_by={group}",
    "/api/v1/outcomes/clients?instrument=PCL-5&group_by={group}",
    "/api/v1/outcomes/summary?instrument=PCL-5&group_by={group}",
)


def _add_clients(clinic, lead, therapists, n, *, with_course):  # type: ignore[no-untyped-def]
    for i in range(n):
        client = ClientFactory(clinic=clinic)
        record(lead, client, 50 + i, 1, "baseline")
        record(lead, client, 40, 40)
        record(lead, client, 30 - i, 120, "end")
        party(client, 5 * (i + 1))
        MedicalHistory.objects.create(client=client, sex=Sex.FEMALE if i % 2 else Sex.MALE)
        if with_course:
            sign(lead, client)
            dose(past_course(lead, therapists, client), client, 2)


def _counts(researcher, lead, group):  # type: ignore[no-untyped-def]
    page = signed_in(researcher)
    _row, raw = api_token_create(by=Actor.command_line(lead), user=lead.user, name="q")
    api = HttpClient(headers={"Authorization": f"Bearer {raw}"})
    found = []
    for url in URLS:
        cache.clear()  # a cached model fit would save a query on the second size only
        browser = page if url.startswith("/outcomes") else api
        with CaptureQueriesContext(connection) as queries:
            assert browser.get(url.format(group=group)).status_code == 200
        found.append(len(queries))
    return found


def test_queries_do_not_grow_with_the_cohort(  # type: ignore[no-untyped-def]
    clinics, lead, therapist, therapist_off_team, researcher
):
    team = [therapist, therapist_off_team]
    groups = ("prior_party_use", "sex")  # sex is read from another app (one more query)
    _add_clients(clinics.north, lead, team, 3, with_course=False)
    _add_clients(clinics.north, lead, team, 1, with_course=True)
    small = [_counts(researcher, lead, group) for group in groups]
    _add_clients(clinics.north, lead, team, 4, with_course=False)
    _add_clients(clinics.north, lead, team, 1, with_course=True)
    larger = [_counts(researcher, lead, group) for group in groups]
    assert larger == small
