"""The clinic admin turns Oregon SB 303 reporting on from the clinic settings page (tablet,
dark); until then the client overview has no 303 opt-out panel. Both settings pages pass axe."""

from __future__ import annotations

import pytest
from django.urls import reverse

from holdspace.studies import oregon

from ..conftest import signed_in
from .conftest import screenshot, serious_accessibility_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _page_as(chromium, live_server, member):  # type: ignore[no-untyped-def]
    browser = signed_in(member)
    context = chromium.new_context(viewport={"width": 820, "height": 1180}, color_scheme="dark")
    context.add_cookies(
        [{"name": "sessionid", "value": browser.cookies["sessionid"].value, "url": live_server.url}]
    )
    return context, context.new_page()


def test_the_admin_turns_sb303_reporting_on_and_the_opt_out_appears(
    chromium, live_server, clinics, clinic_admin, therapist
):
    client_url = live_server.url + reverse("people:client_detail", args=[clinics.client.code])
    staff, page = _page_as(chromium, live_server, therapist)
    page.goto(client_url)
    page.get_by_role("heading", name="Course").first.wait_for()
    assert page.locator("#oregon-303").count() == 0
    screenshot(page, "tablet-client-overview-sb303-off")

    admin, settings = _page_as(chromium, live_server, clinic_admin)
    settings.goto(live_server.url + reverse("clinic:clinic_settings"))
    panel = settings.locator("#oregon-303-setting")
    assert "Reports under Oregon SB 303" in panel.inner_text()
    screenshot(settings, "tablet-clinic-settings-sb303")
    assert serious_accessibility_violations(settings) == []
    panel.get_by_role("link", name="Change Oregon SB 303 reporting").click()
    settings.get_by_role("heading", name="Oregon SB 303 reporting").wait_for()
    screenshot(settings, "tablet-oregon-sb303-setting")
    assert serious_accessibility_violations(settings) == []
    settings.get_by_label("Yes").check()
    settings.get_by_role("button", name="Save").click()
    settings.get_by_text("Saved.").wait_for()
    assert oregon.reports_under_sb303(clinics.north.pk)
    admin.close()

    page.goto(client_url)
    page.locator("#oregon-303").wait_for()
    staff.close()
