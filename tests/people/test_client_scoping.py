"""Who sees which client: care team, clinic-wide roles, other clinics, identity."""

from __future__ import annotations

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from holdspace.audit.models import AuditEvent
from holdspace.people import policies, selectors
from holdspace.people.models import Client

from ..conftest import signed_in


def _list(member):  # type: ignore[no-untyped-def]
    return signed_in(member).get(reverse("people:client_list"))


def test_therapist_sees_only_clients_on_their_care_team(clinics, therapist):
    page = _list(therapist).content.decode()
    assert clinics.client.code in page
    assert clinics.other_client.code not in page
    assert clinics.south_client.code not in page


def test_medical_lead_sees_every_client_of_their_clinic_only(clinics, lead):
    page = _list(lead).content.decode()
    assert clinics.client.code in page
    assert clinics.other_client.code in page
    assert clinics.south_client.code not in page


def test_therapist_off_the_care_team_gets_404(clinics, therapist_off_team):
    url = reverse("people:client_detail", args=[clinics.client.code])
    assert signed_in(therapist_off_team).get(url).status_code == 404


def test_outsider_gets_404_for_another_clinics_client(clinics, outsider):
    url = reverse("people:client_detail", args=[clinics.client.code])
    response = signed_in(outsider).get(url)
    assert response.status_code == 404
    # As a word: a random family name such as "Chang" is inside "Change password".
    name = re.escape(clinics.client.identity.family_name)
    assert not re.search(rf"\b{name}\b", response.content.decode())


def test_unknown_client_code_gets_404(clinics, lead):
    url = reverse("people:client_detail", args=["HS-NOPE00"])
    assert signed_in(lead).get(url).status_code == 404


def test_therapist_sees_identity_and_care_team(clinics, therapist):
    url = reverse("people:client_detail", args=[clinics.client.code])
    page = signed_in(therapist).get(url).content.decode()
    assert clinics.client.identity.family_name in page
    assert therapist.user.email in page or therapist.user.get_full_name() in page


def test_researcher_sees_the_code_but_never_the_identity(clinics, researcher):
    list_page = _list(researcher).content.decode()
    assert clinics.client.code in list_page
    assert clinics.client.identity.family_name not in list_page
    url = reverse("people:client_detail", args=[clinics.client.code])
    detail = signed_in(researcher).get(url).content.decode()
    assert clinics.client.identity.family_name not in detail
    assert clinics.client.identity.email not in detail


def test_researcher_cannot_find_a_client_by_name(clinics, researcher):
    name = clinics.client.identity.family_name
    page = signed_in(researcher).get(reverse("people:client_list"), {"q": name}).content.decode()
    assert clinics.client.code not in page


def test_search_by_name_and_code(clinics, lead):
    browser = signed_in(lead)
    by_name = browser.get(reverse("people:client_list"), {"q": clinics.client.identity.family_name})
    assert clinics.client.code in by_name.content.decode()
    by_code = browser.get(reverse("people:client_list"), {"q": clinics.other_client.code.lower()})
    assert clinics.other_client.code in by_code.content.decode()
    assert clinics.client.code not in by_code.content.decode()


def test_live_search_answers_with_the_rows_only(clinics, lead):
    response = signed_in(lead).get(
        reverse("people:client_list"),
        {"q": clinics.client.code},
        headers={"HX-Request": "true", "HX-Target": "client-rows"},
    )
    body = response.content.decode()
    assert 'id="client-rows"' in body
    assert "<html" not in body


def test_clinic_admin_does_not_see_clients(clinics, clinic_admin):
    assert _list(clinic_admin).status_code == 403
    url = reverse("people:client_detail", args=[clinics.client.code])
    assert signed_in(clinic_admin).get(url).status_code == 404


def test_viewing_a_client_is_audited_without_their_name(clinics, therapist):
    url = reverse("people:client_detail", args=[clinics.client.code])
    signed_in(therapist).get(url)
    event = AuditEvent.objects.filter(action="client.view").latest("id")
    assert event.client_code == clinics.client.code
    assert event.actor_id == therapist.user_id
    assert event.clinic_id == clinics.north.pk
    assert clinics.client.identity.family_name not in str(event.payload())


def test_the_identity_is_read_with_the_client_for_a_role_that_sees_it(clinics, therapist):
    url = reverse("people:client_detail", args=[clinics.client.code])
    browser = signed_in(therapist)
    with CaptureQueriesContext(connection) as queries:
        page = browser.get(url).content.decode()
    assert clinics.client.identity.family_name in page
    [read] = [q["sql"] for q in queries.captured_queries if "people_clientidentity" in q["sql"]]
    assert 'FROM "people_client"' in read  # one query: the client with its identity


def test_the_identity_is_never_read_for_a_role_that_may_not_see_it(clinics, researcher):
    url = reverse("people:client_detail", args=[clinics.client.code])
    browser = signed_in(researcher)
    with CaptureQueriesContext(connection) as queries:
        assert browser.get(url).status_code == 200
    assert not [q for q in queries.captured_queries if "people_clientidentity" in q["sql"]]


def test_the_overview_reads_the_care_team_once_for_every_panel_s_policy(clinics, therapist):
    # Each panel asks whether the reader is on the care team; the page has read the team
    # already, so none of them asks the database again (a dozen queries for a therapist).
    url = reverse("people:client_detail", args=[clinics.client.code])
    browser = signed_in(therapist)
    with CaptureQueriesContext(connection) as queries:
        assert browser.get(url).status_code == 200
    asked = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith('SELECT 1 AS "a" FROM "people_careteammember"')
    ]
    assert asked == []


def test_a_care_team_the_page_has_read_answers_the_policy(clinics, therapist, therapist_off_team):
    client = Client.objects.get(pk=clinics.client.pk)
    with CaptureQueriesContext(connection) as queries:
        assert policies.is_on_care_team(therapist, client)  # not read: asks the database
    assert len(queries) == 1
    policies.care_team_read(client, selectors.care_team_for(client))
    with CaptureQueriesContext(connection) as queries:
        assert policies.is_on_care_team(therapist, client)
        assert not policies.is_on_care_team(therapist_off_team, client)
    assert len(queries) == 0
