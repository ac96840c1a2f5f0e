"""A clinic admin manages staff, roles and the idle timeout."""

from __future__ import annotations

from django.core import mail
from django.urls import reverse

from holdspace.audit.models import AuditEvent
from holdspace.people.models import Membership, Role

from ..conftest import signed_in

NEW_STAFF = {
    "email": "New.Person@North.test",
    "first_name": "Ny",
    "last_name": "Person",
    "role": "therapist",
}


def test_admin_adds_a_staff_member_who_gets_a_password_link(clinics, clinic_admin):
    response = signed_in(clinic_admin).post(reverse("clinic:staff_create"), NEW_STAFF)
    assert response.status_code == 302
    member = Membership.objects.get(user__email="new.person@north.test")
    assert member.clinic == clinics.north and member.role == Role.THERAPIST
    assert not member.user.has_usable_password()
    assert len(mail.outbox) == 1 and "new.person@north.test" in mail.outbox[0].to
    assert "/accounts/invitation/" in mail.outbox[0].body
    assert AuditEvent.objects.filter(action="staff.create", target_id=str(member.pk)).exists()


def test_someone_already_at_a_clinic_cannot_be_added_twice(clinics, clinic_admin, outsider):
    data = {**NEW_STAFF, "email": outsider.user.email}
    response = signed_in(clinic_admin).post(reverse("clinic:staff_create"), data)
    page = response.content.decode()
    assert response.status_code == 422
    assert "already works at a clinic" in page
    assert 'value="Person"' in page  # what was typed is kept
    assert Membership.objects.filter(user=outsider.user).count() == 1


def test_admin_changes_a_role_and_deactivates(clinics, clinic_admin, therapist):
    browser = signed_in(clinic_admin)
    url = reverse("clinic:staff_edit", args=[therapist.pk])
    assert browser.post(url, {"role": "medical_lead", "is_active": "on"}).status_code == 302
    therapist.refresh_from_db()
    assert therapist.role == Role.MEDICAL_LEAD
    browser.post(url, {"role": "medical_lead"})
    therapist.refresh_from_db()
    assert not therapist.is_active
    event = AuditEvent.objects.filter(action="staff.update").latest("id")
    assert event.fields == ["is_active"]
    # Without an active membership, no client is visible any more.
    assert signed_in(therapist).get(reverse("people:client_list")).status_code == 403


def test_admin_cannot_remove_their_own_admin_role(clinics, clinic_admin):
    url = reverse("clinic:staff_edit", args=[clinic_admin.pk])
    response = signed_in(clinic_admin).post(url, {"role": "therapist", "is_active": "on"})
    assert response.status_code == 422
    assert "cannot remove your own admin role" in response.content.decode()
    clinic_admin.refresh_from_db()
    assert clinic_admin.role == Role.CLINIC_ADMIN


def test_admin_of_one_clinic_cannot_touch_staff_of_another(clinics, clinic_admin, outsider):
    url = reverse("clinic:staff_edit", args=[outsider.pk])
    assert signed_in(clinic_admin).post(url, {"role": "therapist"}).status_code == 404


def test_only_clinic_admins_manage_staff(clinics, lead, therapist):
    for member in (lead, therapist):
        browser = signed_in(member)
        assert browser.get(reverse("clinic:staff_list")).status_code == 403
        assert browser.post(reverse("clinic:staff_create"), NEW_STAFF).status_code == 403
    assert not Membership.objects.filter(user__email="new.person@north.test").exists()


def test_admin_sets_the_idle_timeout(clinics, clinic_admin):
    browser = signed_in(clinic_admin)
    url = reverse("clinic:clinic_settings")
    assert browser.post(url, {"idle_timeout_minutes": 15}).status_code == 302
    clinics.north.refresh_from_db()
    assert clinics.north.idle_timeout_minutes == 15
    response = browser.post(url, {"idle_timeout_minutes": 2})
    assert response.status_code == 422
    assert "greater than or equal to 5" in response.content.decode()
    clinics.north.refresh_from_db()
    assert clinics.north.idle_timeout_minutes == 15
