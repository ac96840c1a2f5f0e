"""Grouping by sex (from intake's medical history) and the grouping registry."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient

from holdspace.api.services import api_token_create
from holdspace.outcomes.forms import GROUP_BY_CHOICES
from holdspace.outcomes.grouping import FACTORS, SMALL_CELL, group_order
from holdspace.people.actors import Actor
from holdspace.screening import services as screening
from holdspace.screening.models import MedicalHistory, Sex
from tests.conftest import signed_in
from tests.factories import ClientFactory

from .helpers import actor, record

pytestmark = pytest.mark.django_db


def _api(member):  # type: ignore[no-untyped-def]
    _row, raw = api_token_create(by=Actor.command_line(member), user=member.user, name="t")
    return HttpClient(headers={"Authorization": f"Bearer {raw}"})


@pytest.fixture
def cohort(clinics, lead):  # type: ignore[no-untyped-def]
    """Six women, one man, one client whose sex was never recorded."""
    clients = [ClientFactory(clinic=clinics.north) for _ in range(8)]
    for i, client in enumerate(clients):
        record(lead, client, 50, 1, "baseline")
        record(lead, client, 30 - i, 120, "end")
    for client in clients[:6]:
        MedicalHistory.objects.create(client=client, sex=Sex.MALE)
        # The latest version of the history is the current one.
        screening.medical_history_record(by=actor(lead), client=client, sex=Sex.FEMALE)
    MedicalHistory.objects.create(client=clients[6], sex=Sex.MALE)
    return clients


def test_summary_by_sex_with_small_cells_flagged(cohort, researcher):
    reply = _api(researcher).get("/api/v1/outcomes/summary?instrument=PCL-5&group_by=sex")
    assert reply.status_code == 200
    groups = {g["group"]: g for g in reply.json()["groups"]}
    assert set(groups) == {"Female", "Male", "not recorded"}
    assert groups["Female"]["n"] == 6 and groups["Female"]["small_cell"] is False
    assert groups["Male"]["n"] == 1 and groups["Male"]["small_cell"] is True
    assert SMALL_CELL == 5
    rows = _api(researcher).get("/api/v1/outcomes/clients?instrument=PCL-5&group_by=sex").json()
    assert {r["code"]: r["group"] for r in rows["items"]}[cohort[7].code] == "not recorded"


def test_cohort_page_by_sex_shows_the_caution(cohort, researcher):
    page = signed_in(researcher).get("/outcomes/?instrument=PCL-5&group_by=sex")
    html = page.content.decode()
    assert page.status_code == 200
    assert '<th scope="row">Female</th>' in html and '<th scope="row">Male</th>' in html
    assert html.count("small group: read with caution") == 2  # Male and not recorded


def test_unknown_factor_is_refused_naming_the_field(cohort, researcher):
    reply = _api(researcher).get("/api/v1/outcomes/summary?instrument=PCL-5&group_by=shoe")
    assert reply.status_code == 422
    assert "group_by" in str(reply.json())


def test_every_registered_factor_is_offered_and_accepted(cohort, researcher):
    assert [key for key, _label in GROUP_BY_CHOICES[1:]] == list(FACTORS)
    api = _api(researcher)
    for key in FACTORS:
        reply = api.get(f"/api/v1/outcomes/summary?instrument=PCL-5&group_by={key}&model=false")
        assert reply.status_code == 200, key
        assert reply.json()["model"] is None
    # A factor's fixed order comes first (the comparisons' reference), the rest alphabetical.
    assert group_order("prior_party_use", {"50+", "none", "1-9"}) == ["none", "1-9", "50+"]
    assert group_order("sex", {"Male", "Female"}) == ["Female", "Male"]


def test_sex_is_an_intake_fact_with_a_form_field(clinics, lead):
    from django.core.exceptions import ValidationError

    from holdspace.screening.forms import MedicalHistoryForm

    assert "sex" in MedicalHistoryForm().fields
    with pytest.raises(ValidationError) as refused:
        screening.medical_history_record(by=actor(lead), client=clinics.client, sex="unknown")
    assert "sex" in refused.value.message_dict
    assert not MedicalHistory.objects.filter(client=clinics.client).exists()
