"""Signing in: password, a second factor before any clinical data, lockout, idle timeout."""

from __future__ import annotations

import datetime as dt
import time

import pyotp
import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from holdspace.audit.models import AuditEvent
from holdspace.people.middleware import IdleTimeoutMiddleware

from ..conftest import sign_in, signed_in
from ..factories import PASSWORD, TOTP_SECRET, MembershipFactory


def _password_step(browser: HttpClient, email: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return browser.post(reverse("account_login"), {"login": email, "password": password})


def test_password_then_totp_then_the_client_list(clinics, therapist):
    browser = HttpClient()
    response = _password_step(browser, therapist.user.email)
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    # Not signed in yet: the client list still sends us to sign in.
    assert browser.get(reverse("people:client_list")).status_code == 302
    code = pyotp.TOTP(TOTP_SECRET).now()
    response = browser.post(reverse("mfa_authenticate"), {"code": code})
    assert response.status_code == 302
    page = browser.get(reverse("people:client_list"))
    assert page.status_code == 200
    assert clinics.client.code in page.content.decode()
    assert AuditEvent.objects.filter(action="auth.login", actor_id=therapist.user_id).exists()


def test_a_wrong_totp_code_is_refused(clinics, therapist):
    browser = HttpClient()
    _password_step(browser, therapist.user.email)
    response = browser.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert response.status_code == 200
    assert browser.get(reverse("people:client_list")).status_code == 302


def test_without_a_second_factor_no_clinical_page_opens(clinics):
    member = MembershipFactory(clinic=clinics.north, role="medical_lead", user__with_totp=False)
    browser = HttpClient()
    response = _password_step(browser, member.user.email)
    assert response.status_code == 302
    for url in (
        reverse("people:client_list"),
        reverse("people:client_detail", args=[clinics.client.code]),
    ):
        response = browser.get(url)
        assert response.status_code == 302
        assert response["Location"] == reverse("mfa_activate_totp")
    api = browser.get("/api/v1/clients")
    assert api.status_code == 403
    # Enrolling asks for the password once more, then shows the TOTP set-up.
    enrol = browser.get(reverse("mfa_activate_totp"))
    assert enrol["Location"].startswith(reverse("account_reauthenticate"))
    browser.post(enrol["Location"], {"password": PASSWORD})
    page = browser.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = page.context["form"].secret
    response = browser.post(reverse("mfa_activate_totp"), {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302
    assert browser.get(reverse("people:client_list")).status_code == 200


def test_wrong_login_gets_a_clear_message(clinics, therapist):
    response = _password_step(HttpClient(), therapist.user.email, "not-the-password")
    assert response.status_code == 200
    assert "not correct" in response.content.decode()
    event = AuditEvent.objects.filter(action="auth.login_failed").latest("id")
    assert event.actor_label == therapist.user.email
    assert "not-the-password" not in str(event.payload())


def test_repeated_wrong_passwords_lock_the_account(clinics, therapist, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _password_step(HttpClient(), therapist.user.email, "wrong-password-again")
    # Now even the right password is refused, from any browser, with the lockout page.
    response = _password_step(HttpClient(), therapist.user.email)
    assert response.status_code == 429
    assert "locked" in response.content.decode().lower()
    assert AuditEvent.objects.filter(action="auth.locked_out").exists()


def test_idle_session_ends_after_the_clinic_setting(clinics, therapist):
    clinics.north.idle_timeout_minutes = 10
    clinics.north.save()
    browser = signed_in(therapist)
    assert browser.get(reverse("people:client_list")).status_code == 200
    session = browser.session
    session[IdleTimeoutMiddleware.SESSION_KEY] = time.time() - 11 * 60
    session.save()
    response = browser.get(reverse("people:client_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    follow = browser.get(response["Location"])
    assert "10 minutes without activity" in follow.content.decode()
    assert AuditEvent.objects.filter(
        action="auth.idle_timeout", actor_id=therapist.user_id
    ).exists()
    assert browser.get(reverse("people:client_list")).status_code == 302


def test_an_idle_time_out_is_audited_when_the_time_has_really_passed(clinics, therapist):
    """The session row ages as it would on a real server: last activity and expiry both 11
    minutes in the past, with the expiry the middleware chose."""
    from django.contrib.sessions.models import Session

    clinics.north.idle_timeout_minutes = 10
    clinics.north.save()
    browser = signed_in(therapist)
    assert browser.get(reverse("people:client_list")).status_code == 200
    session = browser.session
    age = session.get_expiry_age()
    session[IdleTimeoutMiddleware.SESSION_KEY] = time.time() - 11 * 60
    session.save()
    written = timezone.now() - dt.timedelta(minutes=11)
    Session.objects.filter(pk=session.session_key).update(
        expire_date=written + dt.timedelta(seconds=age)
    )
    response = browser.get(reverse("people:client_list"))
    assert response.status_code == 302
    assert AuditEvent.objects.filter(
        action="auth.idle_timeout", actor_id=therapist.user_id
    ).exists()


def test_activity_within_the_limit_keeps_the_session(clinics, therapist):
    browser = signed_in(therapist)
    session = browser.session
    session[IdleTimeoutMiddleware.SESSION_KEY] = time.time() - 29 * 60
    session.save()
    assert browser.get(reverse("people:client_list")).status_code == 200


def test_sign_out_is_audited(clinics, therapist):
    browser = signed_in(therapist)
    browser.post(reverse("account_logout"))
    assert AuditEvent.objects.filter(action="auth.logout", actor_id=therapist.user_id).exists()
    assert browser.get(reverse("people:client_list")).status_code == 302


def test_a_forged_csrf_token_changes_nothing_and_explains(clinics, coordinator):
    browser = HttpClient(enforce_csrf_checks=True)
    sign_in(browser, coordinator.user)
    response = browser.post(
        reverse("people:client_create"),
        {"given_name": "A", "family_name": "B", "csrfmiddlewaretoken": "forged"},
    )
    assert response.status_code == 403
    assert "form has expired" in response.content.decode()


def test_passwords_follow_djangos_validators(clinics, therapist):
    browser = signed_in(therapist)
    response = browser.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": "12345678", "password2": "12345678"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "too short" in page or "too common" in page or "entirely numeric" in page
    therapist.user.refresh_from_db()
    assert therapist.user.check_password(PASSWORD)


@pytest.mark.parametrize("language, word", [("en", "Clients"), ("nb", "Klienter")])
def test_the_shell_speaks_english_and_norwegian(clinics, therapist, language, word):
    browser = signed_in(therapist)
    browser.post(reverse("set_language"), {"language": language, "next": "/clients/"})
    page = browser.get(reverse("people:client_list")).content.decode()
    assert f"<h1>{word}</h1>" in page
    assert f'lang="{language}"' in page


def test_activity_is_written_at_most_once_a_minute_and_never_by_the_live_poll(clinics, therapist):
    """Rewriting the session row on every request (a monitor polls each second) is a write per
    poll: the last activity is written when a minute has passed, and a live poll, which
    nobody clicks, never counts as activity."""
    from django.contrib.sessions.models import Session

    browser = signed_in(therapist)
    assert browser.get(reverse("today")).status_code == 200
    key = browser.session.session_key

    def stored() -> float:
        return Session.objects.get(pk=key).get_decoded()[IdleTimeoutMiddleware.SESSION_KEY]

    first = stored()
    assert browser.get(reverse("people:client_list")).status_code == 200
    assert stored() == first  # within the minute: nothing written
    session = browser.session
    session[IdleTimeoutMiddleware.SESSION_KEY] = time.time() - 5 * 60
    session.save()
    before = stored()
    browser.get(f"/sessions/{clinics.client.code}/1/live/")  # a poll, in scope or not
    assert stored() == before
    assert browser.get(reverse("people:client_list")).status_code == 200
    assert stored() > before + 4 * 60
