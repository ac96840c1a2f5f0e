"""The second factor is used, not only enrolled: every sign-in route, every session."""

from __future__ import annotations

import pyotp
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY
from django.test import Client as HttpClient
from django.urls import reverse

from ..conftest import sign_in
from ..factories import PASSWORD, MembershipFactory, UserFactory


def test_the_platform_admin_sign_in_form_is_not_a_way_around_the_second_factor(clinics):
    root = UserFactory(email="root@example.org", is_staff=True, is_superuser=True)
    browser = HttpClient()
    response = browser.post(
        "/platform-admin/login/", {"username": root.email, "password": PASSWORD}
    )
    # Sent to the one sign-in page instead of being signed in by a password alone.
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert browser.get("/platform-admin/").status_code == 302
    assert browser.get(reverse("people:client_list")).status_code == 302
    assert browser.get("/api/v1/clients").status_code == 401


def test_a_session_that_skipped_the_enrolled_second_factor_is_ended(clinics, lead):
    browser = HttpClient()
    browser.force_login(lead.user)  # a password-only session, however it was made
    response = browser.get(reverse("people:client_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    # Signed out: the next request is anonymous, also on the API.
    assert browser.get("/api/v1/clients").status_code == 401
    assert "_auth_user_id" not in browser.session


def test_the_api_refuses_a_password_only_session(clinics, lead):
    browser = HttpClient()
    browser.force_login(lead.user)
    assert browser.get("/api/v1/clients").status_code == 401


def test_the_same_user_with_the_second_factor_in_the_session_gets_in(clinics, lead):
    browser = sign_in(HttpClient(), lead.user)
    assert browser.get(reverse("people:client_list")).status_code == 200
    assert browser.get("/api/v1/clients").status_code == 200


def _signed_in_without_a_factor(member):  # type: ignore[no-untyped-def]
    """Password, then (as allauth asks before enrolment) the password again."""
    browser = HttpClient()
    browser.post(reverse("account_login"), {"login": member.user.email, "password": PASSWORD})
    browser.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    return browser


def test_favicon_and_static_files_pass_the_gate_and_keep_the_secret(clinics):
    member = MembershipFactory(clinic=clinics.north, role="medical_lead", user__with_totp=False)
    browser = _signed_in_without_a_factor(member)
    page = browser.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = browser.session[SECRET_SESSION_KEY]
    icon = browser.get("/favicon.ico")
    assert icon.status_code == 301
    assert icon["Location"].endswith("favicon.svg")
    assert browser.get("/static/holdspace/favicon.svg").status_code in (200, 404)
    # A reload (or a second tab) shows the same secret as the QR code already scanned.
    browser.get(reverse("mfa_activate_totp"))
    assert browser.session[SECRET_SESSION_KEY] == secret
    assert secret in browser.get(reverse("mfa_activate_totp")).content.decode()


def test_enrolling_the_first_factor_counts_for_the_session(clinics):
    member = MembershipFactory(clinic=clinics.north, role="medical_lead", user__with_totp=False)
    browser = _signed_in_without_a_factor(member)
    browser.get(reverse("mfa_activate_totp"))
    secret = browser.session[SECRET_SESSION_KEY]
    response = browser.post(reverse("mfa_activate_totp"), {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302
    assert browser.get(reverse("people:client_list")).status_code == 200
