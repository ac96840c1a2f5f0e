"""The client sees in the portal who on the staff opened their record, and when."""

from __future__ import annotations

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.test import Client as HttpClient
from django.urls import reverse

from holdspace.audit.models import AuditEvent
from holdspace.audit.services import audit_record
from holdspace.people.actors import Actor
from holdspace.people.models import Role
from holdspace.portal import services as portal
from holdspace.portal.selectors import record_access_for_client

from ..conftest import sign_in, signed_in
from ..factories import MembershipFactory


def _portal_browser(client, by):  # type: ignore[no-untyped-def]
    account = portal.portal_invite(
        by=Actor.command_line(by), client=client, email=f"{client.code}@example.org"
    )
    TOTP.activate(account.user, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    browser = sign_in(HttpClient(), account.user)
    return browser, account


@pytest.mark.requirement("REQ-PRV-003")
def test_the_client_sees_who_opened_their_record_with_role_and_time(clinics, therapist, lead):
    signed_in(therapist).get(reverse("people:client_detail", args=[clinics.client.code]))
    signed_in(lead).get(reverse("people:client_detail", args=[clinics.other_client.code]))
    browser, _account = _portal_browser(clinics.client, therapist)
    page = browser.get(reverse("portal:access_log"))
    assert page.status_code == 200
    body = page.content.decode()
    assert therapist.user.get_full_name() in body
    assert "Therapist" in body and "Opened: Your record" in body
    # The lead opened someone else's record only; the invitation is a change by the therapist.
    assert lead.user.get_full_name() not in body
    assert "Changed: Portal invitation" in body


@pytest.mark.requirement("REQ-PRV-003")
def test_the_page_is_audited_and_shows_no_clinical_content_or_the_clients_own_actions(
    clinics, therapist
):
    browser, account = _portal_browser(clinics.client, therapist)
    browser.post(reverse("portal:journal"), {"text": "A private line only for my team"})
    page = browser.get(reverse("portal:access_log")).content.decode()
    assert "A private line only for my team" not in page
    rows = record_access_for_client(clinics.client)
    assert all(row.name == therapist.user.get_full_name() for row in rows)
    seen = AuditEvent.objects.filter(action="portal.access_log.view").get()
    assert (seen.actor_id, seen.client_code, seen.clinic_id) == (
        account.user.pk,
        clinics.client.code,
        clinics.north.pk,
    )


@pytest.mark.requirement("REQ-PRV-003")
def test_staff_of_another_clinic_never_appear_and_staff_cannot_open_the_page(
    clinics, therapist, outsider
):
    # A row naming this client's code in another clinic is not this client's record.
    audit_record(action="client.view", actor=outsider.user, clinic_id=clinics.south.pk,
                 client_code=clinics.client.code)  # fmt: skip
    browser, _account = _portal_browser(clinics.client, therapist)
    page = browser.get(reverse("portal:access_log")).content.decode()
    assert outsider.user.get_full_name() not in page
    assert signed_in(therapist).get(reverse("portal:access_log")).status_code == 403


def test_a_staff_member_who_left_still_appears_with_their_role(clinics):
    gone = MembershipFactory(clinic=clinics.north, role=Role.COORDINATOR, is_active=False)
    audit_record(action="client.view", actor=gone.user, clinic_id=clinics.north.pk,
                 client_code=clinics.client.code)  # fmt: skip
    [row] = record_access_for_client(clinics.client)
    assert (row.name, row.role, row.changed) == (gone.user.get_full_name(), "Coordinator", False)
