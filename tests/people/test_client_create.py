"""Opening a client record and building its care team."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from holdspace.audit.models import AuditEvent
from holdspace.people import selectors
from holdspace.people.forms import CareTeamAddForm
from holdspace.people.models import CareTeamMember, Client, ClientIdentity

from ..conftest import signed_in

NEW_CLIENT = {
    "given_name": "Sigrid",
    "family_name": "Testesen",
    "birth_date": "1984-03-02",
    "email": "sigrid@example.org",
    "phone": "+47 400 00 000",
}


def test_coordinator_opens_a_client_with_a_separate_identity(clinics, coordinator):
    response = signed_in(coordinator).post(reverse("people:client_create"), NEW_CLIENT)
    client = Client.objects.get(identity__family_name="Testesen")
    assert response.status_code == 302
    assert response["Location"] == reverse("people:client_detail", args=[client.code])
    assert client.clinic == clinics.north
    assert client.code.startswith("HS-") and len(client.code) == 9
    identity = ClientIdentity.objects.get(client=client)
    assert identity.birth_date == dt.date(1984, 3, 2)
    event = AuditEvent.objects.get(action="client.create", client_code=client.code)
    assert "family_name" in event.fields
    assert "Testesen" not in str(event.payload())


def test_a_therapist_who_opens_a_client_joins_the_care_team(clinics, therapist_off_team):
    signed_in(therapist_off_team).post(reverse("people:client_create"), NEW_CLIENT)
    client = Client.objects.get(identity__family_name="Testesen")
    assert CareTeamMember.objects.filter(client=client, membership=therapist_off_team).exists()
    url = reverse("people:client_detail", args=[client.code])
    assert signed_in(therapist_off_team).get(url).status_code == 200


def test_researcher_may_not_open_a_client(clinics, researcher):
    response = signed_in(researcher).post(reverse("people:client_create"), NEW_CLIENT)
    assert response.status_code == 403
    assert not Client.objects.filter(identity__family_name="Testesen").exists()


def test_birth_date_in_the_future_is_refused_beside_the_field_and_input_kept(clinics, coordinator):
    data = {**NEW_CLIENT, "birth_date": "2099-01-01"}
    response = signed_in(coordinator).post(reverse("people:client_create"), data)
    page = response.content.decode()
    assert response.status_code == 422
    assert "A birth date cannot be in the future." in page
    assert 'value="Testesen"' in page and 'value="2099-01-01"' in page
    assert not Client.objects.filter(identity__family_name="Testesen").exists()


def test_coordinator_adds_and_removes_a_care_team_member(clinics, coordinator, therapist_off_team):
    browser = signed_in(coordinator)
    url = reverse("people:care_team_add", args=[clinics.other_client.code])
    response = browser.post(url, {"member": therapist_off_team.pk, "role": "co_therapist"})
    assert response.status_code == 302
    placement = CareTeamMember.objects.get(
        client=clinics.other_client, membership=therapist_off_team
    )
    detail = reverse("people:client_detail", args=[clinics.other_client.code])
    assert signed_in(therapist_off_team).get(detail).status_code == 200
    browser.post(reverse("people:care_team_remove", args=[clinics.other_client.code, placement.pk]))
    assert signed_in(therapist_off_team).get(detail).status_code == 404
    actions = list(
        AuditEvent.objects.filter(client_code=clinics.other_client.code).values_list(
            "action", flat=True
        )
    )
    assert "care_team.add" in actions and "care_team.remove" in actions


def test_staff_of_another_clinic_cannot_join_a_care_team(clinics, coordinator, outsider):
    url = reverse("people:care_team_add", args=[clinics.other_client.code])
    response = signed_in(coordinator).post(url, {"member": outsider.pk, "role": "co_therapist"})
    assert response.status_code == 422
    assert not CareTeamMember.objects.filter(membership=outsider).exists()


def test_therapist_may_not_change_a_care_team(clinics, therapist, therapist_off_team):
    url = reverse("people:care_team_add", args=[clinics.client.code])
    response = signed_in(therapist).post(
        url, {"member": therapist_off_team.pk, "role": "co_therapist"}
    )
    assert response.status_code == 403


def test_the_care_team_form_reads_its_candidates_once(clinics, coordinator, therapist_off_team):
    # Django's own choice iterator reads them again for each render, through a server-side
    # cursor on PostgreSQL (three round trips); the form reads them as one plain list.
    form = CareTeamAddForm(staff=selectors.care_team_candidates(coordinator, clinics.other_client))
    with CaptureQueriesContext(connection) as queries:
        html = form.as_div() + form.as_div()
    assert len(queries) == 1
    assert html.count(f'value="{therapist_off_team.pk}"') == 2


def test_the_shown_candidates_are_the_queryset_forms_choices(clinics, lead, therapist):
    # The overview shows the picker from one compiled query; a submission is checked against
    # care_team_candidates. The two must offer the same people, in the same order and words.
    from holdspace.people.models import Membership, Role, User

    def offered(form: CareTeamAddForm) -> list[tuple[str, str]]:
        return [(str(value), str(label)) for value, label in form.fields["member"].choices]

    zed = User.objects.create_user(email="zed@north.test", password="x", last_name="Zed")
    zed_member = Membership.objects.create(user=zed, clinic=clinics.north, role=Role.COORDINATOR)
    for client in (clinics.client, clinics.other_client):
        shown = CareTeamAddForm(choices=selectors.care_team_candidate_choices(lead, client))
        checked = CareTeamAddForm(staff=selectors.care_team_candidates(lead, client))
        assert offered(shown) == offered(checked)
        assert shown.as_div() == checked.as_div()
    # Who is on a team is not offered for it; a new member of staff is, at once.
    labels = dict(selectors.care_team_candidate_choices(lead, clinics.client))
    assert therapist.pk not in labels
    assert labels[zed_member.pk] == "Zed (Coordinator)"
    amy = User.objects.create_user(email="amy@north.test", password="x", first_name="Amy")
    amy_member = Membership.objects.create(user=amy, clinic=clinics.north, role=Role.THERAPIST)
    labels = dict(selectors.care_team_candidate_choices(lead, clinics.client))
    assert labels[amy_member.pk] == "Amy (Therapist)"
