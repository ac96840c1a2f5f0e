"""Both themes pass WCAG 2.2 AA (axe-core: no critical or serious finding) on the shell pages,
the sign-in page, the portal and the one-time questionnaire page, at phone width.

The device's setting decides until a person picks a theme; the pick is remembered."""

from __future__ import annotations

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.urls import reverse
from playwright.sync_api import expect

from holdspace.courses.models import Course
from holdspace.measures import services as measures_services
from holdspace.people import services as people_services
from holdspace.people.actors import Actor
from holdspace.people.demo import DEMO_TOTP_SECRET, demo_build
from holdspace.people.invitations import invitation_token
from holdspace.people.models import Membership
from holdspace.portal import services as portal_services

from .conftest import screenshot, serious_accessibility_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
TABLET = {"width": 820, "height": 1180}


def _context(chromium, live_server, user, color_scheme, viewport=PHONE):  # type: ignore[no-untyped-def]
    context = chromium.new_context(viewport=viewport, color_scheme=color_scheme)
    context.set_default_timeout(15_000)
    if user is not None:
        browser = signed_in_user(user)
        cookie = browser.cookies["sessionid"].value
        context.add_cookies([{"name": "sessionid", "value": cookie, "url": live_server.url}])
    return context


def signed_in_user(user):  # type: ignore[no-untyped-def]
    from django.test import Client as HttpClient

    from ..conftest import sign_in

    return sign_in(HttpClient(), user)


def _demo_pages() -> dict[str, tuple[object, str]]:
    """Every page a day at the demo clinic shows, with who opens it."""
    demo_build(seed=3, with_cohort=False)
    members = {
        m.user.email.split("@")[0]: m for m in Membership.objects.filter(clinic__slug="north")
    }
    course = Course.objects.filter(clinic__slug="north").order_by("pk").first()
    assert course is not None
    client = course.clients.first()
    therapist = members["therapist"]
    by = Actor(user=members["coordinator"].user, membership=members["coordinator"])
    account = portal_services.portal_invite(by=by, client=client, email="portal@example.org")
    TOTP.activate(account.user, DEMO_TOTP_SECRET)  # past the second-factor gate
    assignment = measures_services.assignment_create(
        by=by, client=client, instrument_code="PHQ-9", due_on=course.start_date
    )
    link = reverse(
        "measures:respond", args=[measures_services.link_issue(by=by, assignment=assignment)]
    )
    code = client.code
    invited = people_services.staff_create(
        by=Actor(user=members["admin"].user, membership=members["admin"]),
        email="new@north.demo",
        first_name="Ny",
        last_name="Terapeut",
        role="therapist",
    )
    return {
        "login": (None, reverse("account_login")),
        "today-therapist": (therapist.user, reverse("today")),
        "today-lead": (members["lead"].user, reverse("today")),
        "today-coordinator": (members["coordinator"].user, reverse("today")),
        "today-researcher": (members["researcher"].user, reverse("today")),
        "today-admin": (members["admin"].user, reverse("today")),
        "clients": (therapist.user, reverse("people:client_list")),
        "client": (therapist.user, reverse("people:client_detail", args=[code])),
        "screening": (therapist.user, reverse("screening:detail", args=[code])),
        "measures": (therapist.user, reverse("measures:home")),
        "courses": (therapist.user, reverse("courses:home")),
        "sessions": (therapist.user, reverse("sessions:home")),
        "staff": (members["admin"].user, reverse("clinic:staff_list")),
        "audit": (members["admin"].user, reverse("audit:audit_log")),
        "portal": (account.user, reverse("portal:home")),
        "questionnaire": (None, link),
        "invitation": (None, reverse("invitation_accept", args=[invitation_token(invited.user)])),
    }


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_every_page_passes_axe_in_each_theme_on_a_phone(chromium, live_server, theme):
    pages = _demo_pages()
    failures = {}
    for name, (user, path) in pages.items():
        context = _context(chromium, live_server, user, theme)
        page = context.new_page()
        response = page.goto(live_server.url + path)
        assert response.status == 200, (name, path, response.status)
        assert page.evaluate("document.documentElement.dataset.theme") == theme, name
        screenshot(page, f"theme-{theme}-phone-{name}")
        found = serious_accessibility_violations(page)
        if found:
            failures[name] = found
        context.close()
    assert not failures, failures


def test_the_device_setting_decides_until_a_theme_is_picked(chromium, live_server, clinics):
    context = chromium.new_context(viewport=TABLET, color_scheme="light")
    page = context.new_page()
    page.goto(live_server.url + reverse("account_login"))
    assert page.evaluate("document.documentElement.dataset.theme") == "light"
    background = page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
    assert background == "rgb(255, 255, 255)", background
    toggle = page.locator("[data-theme-toggle]")
    assert toggle.inner_text() == "Dark"  # it names the theme it switches to
    # The device turns dark (dusk): the page follows, no choice was made yet.
    page.emulate_media(color_scheme="dark")
    # (the change event reaches the page asynchronously; expect() waits for it without the
    # string evaluation that wait_for_function needs, which this page's CSP refuses)
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    expect(toggle).to_have_text("Light")
    # A pick is remembered and wins over the device.
    toggle.click()
    page.emulate_media(color_scheme="dark")
    page.reload()
    assert page.evaluate("document.documentElement.dataset.theme") == "light"
    screenshot(page, "tablet-login-light")
    context.close()
