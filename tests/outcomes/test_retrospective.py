"""Acute measures filled retrospectively about a prior experience recorded at intake, shown on
the difference page beside the medicine sessions' (issue 11)."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient

from holdspace.api.services import api_token_create
from holdspace.measures.models import Response
from holdspace.people.actors import Actor
from holdspace.screening.models import Context, HowItWent, PriorExperience, Substance
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

EBI = {str(i): 60 for i in range(1, 7)}  # six items 0-100, scored as the mean: 60


@pytest.fixture
def festival(clinics):  # type: ignore[no-untyped-def]
    return PriorExperience.objects.create(
        client=clinics.client, substance=Substance.MDMA, context=Context.FESTIVAL, times=3,
        how_it_went=HowItWent.DIFFICULT,
    )  # fmt: skip


def _api(member):  # type: ignore[no-untyped-def]
    _row, raw = api_token_create(by=Actor.command_line(member), user=member.user, name="t")
    return HttpClient(headers={"Authorization": f"Bearer {raw}"})


def test_therapist_fills_an_ebi_about_the_festival(clinics, therapist, festival):
    browser = signed_in(therapist)
    difference = f"/outcomes/clients/{clinics.client.code}/difference/"
    enter = f"/measures/clients/{clinics.client.code}/enter/EBI/?prior={festival.pk}"
    assert enter in browser.get(difference).content.decode().replace("&amp;", "&")
    form = browser.get(enter)
    assert form.status_code == 200
    assert "Filled in retrospectively" in form.content.decode()
    posted = {f"item-{k}": v for k, v in EBI.items()} | {"observed_on": "2026-01-05"}
    done = browser.post(enter, posted)
    assert done.status_code == 302 and done["Location"] == difference
    response = Response.objects.get(client=clinics.client, instrument_code="EBI")
    assert response.retrospective and response.prior_experience == festival
    assert response.assignment is None
    html = browser.get(difference).content.decode()
    assert '60 <small class="muted">(retrospective)</small>' in html
    data = _api(therapist).get(f"/api/v1/clients/{clinics.client.code}/difference").json()
    prior = data["columns"][0]
    assert prior["measures"]["EBI"] == 60 and prior["measures_retrospective"] is True


def test_api_attaches_and_refuses(clinics, therapist, festival):
    from tests.outcomes.helpers import party

    api = _api(therapist)
    url = f"/api/v1/clients/{clinics.client.code}/responses"

    def post(instrument, answers, prior):  # type: ignore[no-untyped-def]
        body = {"instrument_code": instrument, "answers": answers, "prior_experience": prior}
        return api.post(url, body, content_type="application/json")

    stranger = party(clinics.other_client, 2)
    refused = post("EBI", EBI, stranger.pk)
    assert refused.status_code == 422 and "prior_experience" in refused.json()["errors"]
    not_acute = post("PHQ-9", {str(i): 1 for i in range(1, 10)}, festival.pk)
    assert not_acute.status_code == 422 and "instrument_code" in not_acute.json()["errors"]
    assert not Response.objects.filter(client=clinics.client).exists()
    made = post("EBI", EBI, festival.pk)
    assert made.status_code == 201
    assert made.json()["retrospective"] is True and made.json()["prior_experience"] == festival.pk


def test_another_clients_experience_is_not_found(clinics, therapist):
    from tests.outcomes.helpers import party

    stranger = party(clinics.other_client, 2)
    url = f"/measures/clients/{clinics.client.code}/enter/EBI/?prior={stranger.pk}"
    assert signed_in(therapist).get(url).status_code == 404
    pcl = f"/measures/clients/{clinics.client.code}/enter/PCL-5/?prior={stranger.pk}"
    assert signed_in(therapist).get(pcl).status_code == 404
