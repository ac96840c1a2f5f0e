"""A therapist signs in with password and TOTP, sees their clients, switches to Norwegian."""

from __future__ import annotations

import pytest

from ..factories import PASSWORD, TOTP_SECRET
from .conftest import fresh_totp_code, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_therapist_signs_in_with_totp_and_switches_to_norwegian(page, clinics, therapist):
    page.goto(page.base_url + "/clients/")
    # Sent to sign in first.
    assert "/accounts/login/" in page.url
    page.fill("input[name=login]", therapist.user.email)
    page.fill("input[name=password]", PASSWORD)
    screenshot(page, "sign-in")
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url("**/2fa/authenticate/**")
    page.fill("input[name=code]", fresh_totp_code(TOTP_SECRET))
    screenshot(page, "second-factor")
    page.locator("main button[type=submit]").first.click()
    page.wait_for_url("**/clients/")
    assert page.locator("h1").inner_text() == "Clients"
    assert page.get_by_text(clinics.client.code).is_visible()
    assert page.get_by_text(clinics.other_client.code).count() == 0
    screenshot(page, "client-list")

    page.click("button[name=language][value=nb]")
    page.wait_for_selector("html[lang=nb]")
    assert page.locator("h1").inner_text() == "Klienter"
    assert page.locator("button.sign-out").text_content().strip() == "Logg ut"
    screenshot(page, "client-list-nb")

    page.click(f"text={clinics.client.code}")
    page.wait_for_url(f"**/clients/{clinics.client.code}/")
    identity = clinics.client.identity
    # The whole name, exactly: a short generated surname ("Li") is inside many other words.
    name = f"{identity.given_name} {identity.family_name}"
    assert page.get_by_text(name, exact=True).is_visible()
    screenshot(page, "client-overview-nb")


def test_live_search_narrows_the_list(page, clinics, lead):
    from ..conftest import signed_in

    cookie = signed_in(lead).cookies["sessionid"].value
    page.context.add_cookies([{"name": "sessionid", "value": cookie, "url": page.base_url}])
    page.goto(page.base_url + "/clients/")
    assert page.get_by_text(clinics.other_client.code).is_visible()
    page.fill("input[name=q]", clinics.client.code)
    page.wait_for_function(
        "code => !document.querySelector('#client-rows').innerText.includes(code)",
        arg=clinics.other_client.code,
    )
    assert page.get_by_text(clinics.client.code).is_visible()
    assert "q=" in page.url
