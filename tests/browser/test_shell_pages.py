"""Every shell page on a tablet in the dark, and on a phone: nothing spills off the screen.

Screenshots land in test-artifacts/ for a person to look at."""

from __future__ import annotations

import pytest
from django.urls import reverse

from holdspace.audit.services import audit_record
from holdspace.people.models import ClientIdentity

from ..conftest import signed_in
from .conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TABLET = {"width": 820, "height": 1180}
PHONE = {"width": 390, "height": 844}


def _open_as(chromium, live_server, member, viewport, color_scheme="dark"):  # type: ignore[no-untyped-def]
    context = chromium.new_context(viewport=viewport, color_scheme=color_scheme, bypass_csp=True)
    cookie = signed_in(member).cookies["sessionid"].value
    context.add_cookies([{"name": "sessionid", "value": cookie, "url": live_server.url}])
    return context, context.new_page()


def _fits(page) -> bool:  # type: ignore[no-untyped-def]
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize("viewport_name, viewport", [("tablet", TABLET), ("phone", PHONE)])
def test_clinical_pages_fit_the_screen(
    chromium, live_server, clinics, therapist, coordinator, viewport_name, viewport
):
    # A long address with no place to break: the identity list must wrap it, not widen the page.
    ClientIdentity.objects.filter(client=clinics.client).update(
        email="synne.margrethe.provesen-halvorsen.almenningen@kommune-eksempel.invalid"
    )
    pages = {
        "clients": (therapist, reverse("people:client_list")),
        "client-overview": (therapist, reverse("people:client_detail", args=[clinics.client.code])),
        "care-team": (coordinator, reverse("people:client_detail", args=[clinics.client.code])),
        "new-client": (coordinator, reverse("people:client_create")),
        "api-tokens": (therapist, reverse("api_tokens:token_list")),
    }
    for name, (member, path) in pages.items():
        context, page = _open_as(chromium, live_server, member, viewport)
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        screenshot(page, f"{viewport_name}-{name}")
        assert _fits(page), f"{path} is wider than a {viewport_name}"
        context.close()


def test_admin_pages_fit_a_tablet(chromium, live_server, clinics, clinic_admin, therapist):
    audit_record(
        action="client.view",
        clinic_id=clinics.north.pk,
        actor=therapist.user,
        client_code=clinics.client.code,
    )
    for name, path in {
        "staff": reverse("clinic:staff_list"),
        "staff-edit": reverse("clinic:staff_edit", args=[therapist.pk]),
        "clinic-settings": reverse("clinic:clinic_settings"),
        "audit-log": reverse("audit:audit_log"),
    }.items():
        context, page = _open_as(chromium, live_server, clinic_admin, TABLET)
        assert page.goto(live_server.url + path).status == 200
        screenshot(page, f"tablet-{name}")
        assert _fits(page), path
        context.close()


def test_a_bad_entry_keeps_what_was_typed_and_says_why(chromium, live_server, clinics, coordinator):
    context, page = _open_as(chromium, live_server, coordinator, TABLET)
    page.goto(live_server.url + reverse("people:client_create"))
    page.fill("input[name=given_name]", "Synne")
    page.fill("input[name=family_name]", "Prøvesen")
    page.fill("input[name=birth_date]", "2090-05-01")
    page.get_by_role("button", name="Create client").click()
    page.wait_for_selector(".errorlist")
    assert "cannot be in the future" in page.locator(".errorlist").first.inner_text()
    assert page.input_value("input[name=family_name]") == "Prøvesen"
    screenshot(page, "tablet-new-client-error")
    context.close()


def test_the_theme_switch_is_remembered(chromium, live_server, clinics, therapist):
    context, page = _open_as(chromium, live_server, therapist, TABLET, color_scheme="dark")
    page.goto(live_server.url + reverse("people:client_list"))
    page.click("[data-theme-toggle]")
    assert page.evaluate("document.documentElement.dataset.theme") == "light"
    page.reload()
    assert page.evaluate("document.documentElement.dataset.theme") == "light"
    screenshot(page, "tablet-clients-light")
    context.close()
