"""API tokens expire and stop with their account; the API throttles; sign-in suits a clinic."""

from __future__ import annotations

import datetime as dt
import time
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from holdspace.api import throttles
from holdspace.api.models import ApiToken
from holdspace.api.services import api_token_create
from holdspace.people.actors import Actor

from ..conftest import signed_in
from ..factories import PASSWORD


@pytest.fixture(autouse=True)
def _throttle_clock_mid_minute(monkeypatch):  # type: ignore[no-untyped-def]
    """The throttles count in fixed one-minute windows: a test whose requests straddled a
    minute's end would see its count start again (it did once in CI). Their clock stands
    still half-way through a minute."""
    mid_minute = time.time() // 3600 * 3600 + 30
    monkeypatch.setattr(throttles, "time", SimpleNamespace(time=lambda: mid_minute))


def _token(member, **kwargs) -> str:  # type: ignore[no-untyped-def]
    _row, raw = api_token_create(
        by=Actor.command_line(member), user=member.user, name="t", **kwargs
    )
    return raw


def _get(raw: str, address: str = "127.0.0.1"):  # type: ignore[no-untyped-def]
    return HttpClient(REMOTE_ADDR=address).get(
        "/api/v1/clients", headers={"Authorization": f"Bearer {raw}"}
    )


def test_a_token_expires_after_90_days_by_default(clinics, therapist):
    raw = _token(therapist)
    token = ApiToken.objects.get(user=therapist.user)
    assert abs(token.expires_at - (timezone.now() + dt.timedelta(days=90))) < dt.timedelta(
        minutes=1
    )
    assert _get(raw).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert _get(raw).status_code == 401


def test_a_token_stops_while_its_account_is_inactive(clinics, therapist):
    raw = _token(therapist)
    therapist.user.is_active = False
    therapist.user.save(update_fields=["is_active"])
    assert _get(raw).status_code == 401


def test_a_token_stops_while_its_account_is_locked_out(clinics, therapist, settings):
    raw = _token(therapist)
    assert _get(raw).status_code == 200
    browser = HttpClient()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        browser.post(reverse("account_login"), {"login": therapist.user.email, "password": "x"})
    assert _get(raw).status_code == 401


def test_the_page_and_the_command_line_show_the_expiry(clinics, therapist):
    browser = signed_in(therapist)
    response = browser.post(reverse("api_tokens:token_list"), {"name": "REDCap", "days": 30})
    assert response.status_code == 200
    token = ApiToken.objects.get(user=therapist.user)
    assert (token.expires_at - timezone.now()).days in (29, 30)
    page = response.content.decode()
    assert "Expires" in page
    out = StringIO()
    call_command("apitoken", "create", therapist.user.email, "--days", "7", stdout=out)
    assert "expires" in out.getvalue()
    out = StringIO()
    call_command("apitoken", "list", therapist.user.email, stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 2 and all("expires" in line and "active" in line for line in lines)


def test_one_token_is_throttled_with_retry_after(clinics, therapist, lead, settings):
    settings.API_RATE_PER_TOKEN = "3/m"
    raw = _token(therapist)
    assert [_get(raw).status_code for _ in range(3)] == [200, 200, 200]
    refused = _get(raw)
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    # Another member's token from the same address is not held back.
    assert _get(_token(lead)).status_code == 200


def test_one_address_is_throttled_across_tokens(clinics, therapist, lead, settings):
    settings.API_RATE_PER_ADDRESS = "4/m"
    first, second = _token(therapist), _token(lead)
    codes = [_get(raw, "10.9.8.7").status_code for raw in (first, second, first, second)]
    assert codes == [200] * 4
    assert _get(second, "10.9.8.7").status_code == 429
    assert _get(second, "10.9.8.6").status_code == 200


def test_guessing_tokens_answers_429_after_the_limit(clinics, therapist, settings):
    settings.API_FAILED_AUTH_PER_ADDRESS = "5/m"
    codes = [_get(f"hs_guess-{n:04d}-aaaaaaaaaaaa").status_code for n in range(7)]
    assert codes[:5] == [401] * 5
    assert codes[5:] == [429, 429]
    assert int(_get("hs_guess-again-aaaaaaaaaa")["Retry-After"]) > 0


def test_a_clinic_behind_one_address_is_not_locked_out_by_many_typos(clinics, therapist):
    """40 failed sign-ins (different people) from the clinic's one address in a minute: the
    next person still signs in. The per-account lockout is tested in test_sign_in.py."""
    browser = HttpClient()
    for n in range(40):
        browser.post(reverse("account_login"), {"login": f"s{n}@north.test", "password": "x"})
    response = browser.post(
        reverse("account_login"), {"login": therapist.user.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
