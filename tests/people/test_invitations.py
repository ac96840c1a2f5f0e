"""Invitations of their own: staff and clients choose a password through a link that names the
clinic and who invited them, expires, verifies the address, and leads straight to the second
factor."""

from __future__ import annotations

import re
import time
from unittest import mock

import pyotp
import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.core import mail
from django.test import Client as HttpClient
from django.urls import reverse

from holdspace.audit.models import AuditEvent
from holdspace.people.models import User

from ..conftest import signed_in

pytestmark = pytest.mark.django_db

PASSWORD = "a long and quiet room 42"


def _link(body: str) -> str:
    match = re.search(r"https?://[^/\s]+(/accounts/invitation/[^\s]+/)", body)
    assert match, body
    return match.group(1)


def _accept(link: str) -> tuple[HttpClient, object]:
    browser = HttpClient()
    response = browser.post(link, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    return browser, response


def test_a_new_staff_member_gets_an_invitation_not_a_password_reset(clinics, clinic_admin):
    clinic_admin.user.first_name, clinic_admin.user.last_name = "Astrid", "Admin"
    clinic_admin.user.save()
    signed_in(clinic_admin).post(
        reverse("clinic:staff_create"),
        {"email": "ny@north.test", "first_name": "Ny", "last_name": "Person", "role": "therapist"},
    )
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ny@north.test"]
    assert message.subject == "You are invited to Holdspace at North"
    assert "Hello Ny Person," in message.body
    assert "Astrid Admin has added you to North in Holdspace as Therapist." in message.body
    assert "Holdspace is the system the clinic uses" in message.body
    assert "The link works once and expires on" in message.body
    assert "password reset" not in message.body.lower()


def test_following_the_link_sets_the_password_verifies_the_email_and_opens_totp(
    clinics, clinic_admin
):
    signed_in(clinic_admin).post(
        reverse("clinic:staff_create"),
        {"email": "ny@north.test", "first_name": "Ny", "last_name": "Person", "role": "therapist"},
    )
    link = _link(mail.outbox[0].body)
    page = HttpClient().get(link)
    assert page.status_code == 200
    assert "Welcome to North" in page.content.decode()
    browser, response = _accept(link)
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    user = User.objects.get(email="ny@north.test")
    assert user.check_password(PASSWORD)
    assert EmailAddress.objects.get(user=user).verified
    # Straight to enrolment: no password prompt again, no "verify your email first".
    assert browser.get(reverse("mfa_activate_totp")).status_code == 200
    secret = browser.session["mfa.totp.secret"]
    enrolled = browser.post(reverse("mfa_activate_totp"), {"code": pyotp.TOTP(secret).now()})
    assert "until you have verified" not in enrolled.content.decode()
    assert enrolled.status_code == 302
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    assert AuditEvent.objects.filter(action="invitation.accept").count() == 1


def test_a_used_or_expired_or_altered_link_does_not_work(clinics, clinic_admin):
    signed_in(clinic_admin).post(
        reverse("clinic:staff_create"),
        {"email": "ny@north.test", "first_name": "Ny", "last_name": "Person", "role": "therapist"},
    )
    link = _link(mail.outbox[0].body)
    assert HttpClient().get(link[:-3] + "xx/").status_code == 400
    eight_days_later = time.time() + 8 * 24 * 3600
    with mock.patch("django.core.signing.time.time", return_value=eight_days_later):
        expired = HttpClient().get(link)
    assert expired.status_code == 400
    assert "no longer works" in expired.content.decode()
    _accept(link)
    _browser, again = _accept(link)
    assert again.status_code == 400
    assert User.objects.get(email="ny@north.test").check_password(PASSWORD)


def test_the_client_invitation_is_prefilled_and_names_clinic_and_inviter(clinics, therapist):
    therapist.user.first_name, therapist.user.last_name = "Tora", "Terapeut"
    therapist.user.save()
    on_file = clinics.client.identity.email
    page = signed_in(therapist).get(reverse("people:client_detail", args=[clinics.client.code]))
    assert f'name="email" value="{on_file}"' in page.content.decode()
    signed_in(therapist).post(
        reverse("portal:invite", args=[clinics.client.code]), {"email": on_file}
    )
    message = mail.outbox[0]
    assert message.to == [on_file]
    assert message.subject == "North invites you to your Holdspace portal"
    assert "Tora Terapeut at North invites you to your own pages in Holdspace." in message.body
    assert "in an emergency call your local emergency number" in message.body
    link = _link(message.body)
    assert "Tora Terapeut invited you" in HttpClient().get(link).content.decode()
    browser, response = _accept(link)
    assert response["Location"] == reverse("mfa_activate_totp")
    assert EmailAddress.objects.get(email=on_file).verified
    assert browser.get(reverse("mfa_activate_totp")).status_code == 200
