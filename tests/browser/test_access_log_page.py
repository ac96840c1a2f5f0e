"""The client's "Who has opened my record" page on a tablet and a phone, dark and light."""

from __future__ import annotations

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.test import Client as HttpClient
from django.urls import reverse

from holdspace.people.actors import Actor
from holdspace.portal import services as portal

from ..conftest import sign_in, signed_in
from .conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.requirement("REQ-PRV-003")
@pytest.mark.parametrize(
    ("name", "viewport", "light"),
    [
        ("tablet", {"width": 820, "height": 1180}, False),
        ("phone", {"width": 390, "height": 844}, False),
        ("phone-light", {"width": 390, "height": 844}, True),
    ],
)
def test_the_client_reads_who_opened_their_record(
    chromium, live_server, clinics, therapist, lead, coordinator, name, viewport, light
):
    for member in (coordinator, therapist, lead):
        signed_in(member).get(reverse("people:client_detail", args=[clinics.client.code]))
    account = portal.portal_invite(
        by=Actor.command_line(coordinator), client=clinics.client, email="client@example.org"
    )
    TOTP.activate(account.user, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    browser = sign_in(HttpClient(), account.user)
    context = chromium.new_context(viewport=viewport, color_scheme="dark")
    context.add_cookies(
        [{"name": "sessionid", "value": browser.cookies["sessionid"].value, "url": live_server.url}]
    )
    page = context.new_page()
    page.goto(live_server.url + reverse("portal:home"))
    page.get_by_role("link", name="Who has opened my record").click()
    page.get_by_role("heading", name="Who has opened my record").wait_for()
    if light:
        page.get_by_role("button", name="Light").click()
    entries = page.locator("ul.access-log").inner_text()
    assert therapist.user.get_full_name() in entries and "Medical lead" in entries
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    screenshot(page, f"{name}-portal-access-log")
    context.close()
