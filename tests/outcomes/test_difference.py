"""The per-client difference page and GET /api/v1/clients/{code}/difference."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient

from holdspace.api.services import api_token_create
from holdspace.audit.models import AuditEvent
from holdspace.people.actors import Actor
from holdspace.screening.models import Context, HowItWent, PriorExperience, Substance
from tests.conftest import signed_in

from .helpers import dose, past_course, sign

pytestmark = pytest.mark.django_db


@pytest.fixture
def story(clinics, lead, therapist, therapist_off_team):  # type: ignore[no-untyped-def]
    client = clinics.client
    PriorExperience.objects.create(
        client=client, substance=Substance.MDMA, context=Context.PARTY, times=20,
        sober_person_present=False, co_used_substances="alcohol", how_it_went=HowItWent.DIFFICULT,
    )  # fmt: skip
    sign(lead, client)
    course = past_course(lead, [therapist, therapist_off_team], client)
    dose(course, client, 2)
    return client


def test_therapist_sees_party_beside_session(story, therapist):
    page = signed_in(therapist).get(f"/outcomes/clients/{story.code}/difference/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "MDMA / ecstasy, party" in html and "Medicine session 1" in html
    assert "Medicine session 2" in html and "Medicine session 3" not in html
    assert "no sober person was there" in html and "alcohol" in html
    assert "3 preparation visits before" in html
    assert "20 uses in 1 recorded experiences; 1 of these at a party or festival" in html
    event = AuditEvent.objects.filter(action="outcomes.difference.view").get()
    assert event.client_code == story.code


def test_difference_api(story, therapist):
    _row, raw = api_token_create(by=Actor.command_line(therapist), user=therapist.user, name="t")
    api = HttpClient(headers={"Authorization": f"Bearer {raw}"})
    reply = api.get(f"/api/v1/clients/{story.code}/difference")
    assert reply.status_code == 200
    data = reply.json()
    assert data["code"] == story.code
    kinds = [c["kind"] for c in data["columns"]]
    assert kinds == ["prior", "session", "session"]
    party, first = data["columns"][0], data["columns"][1]
    assert party["factors"]["quiet_room"]["value"] == "no"
    assert party["factors"]["sober_person"]["value"] == "no"
    assert first["factors"]["prepared"]["value"] == "yes"
    assert set(first["measures"]) == {"EBI", "MEQ30", "CEQ"}


def test_researcher_refused_and_outsiders_404(story, researcher, therapist_off_team, outsider):
    url = f"/outcomes/clients/{story.code}/difference/"
    assert signed_in(researcher).get(url).status_code == 403
    assert signed_in(outsider).get(url).status_code == 404
    other = signed_in(therapist_off_team).get(url)
    assert other.status_code == 200  # on the care team through the course (co-therapist)
