"""The pages work under the Content-Security-Policy: no violation, and their scripts still run."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ..conftest import signed_in
from .test_measures_flows import _answer, _link

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _context_collecting_violations(chromium, live_server, member=None):  # type: ignore[no-untyped-def]
    context = chromium.new_context(viewport={"width": 820, "height": 1180})
    if member is not None:
        cookie = signed_in(member).cookies["sessionid"].value
        context.add_cookies([{"name": "sessionid", "value": cookie, "url": live_server.url}])
    page = context.new_page()
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return context, page, violations


def test_staff_pages_and_the_one_time_link_run_under_the_policy(
    chromium, live_server, clinics, therapist
):
    context, page, violations = _context_collecting_violations(chromium, live_server, therapist)
    for url in (
        reverse("people:client_list"),
        reverse("people:client_detail", args=[clinics.client.code]),
        reverse("mfa_index"),
    ):
        page.goto(live_server.url + url)
        page.wait_for_load_state("networkidle")
    # The theme button works: its script came from a static file.
    before = page.evaluate("document.documentElement.getAttribute('data-theme')")
    page.locator("[data-theme-toggle]").click()
    assert page.evaluate("document.documentElement.getAttribute('data-theme')") != before
    context.close()

    link = live_server.url + _link(therapist, clinics.client, "PCL-5")
    context, page, link_violations = _context_collecting_violations(chromium, live_server)
    page.goto(link)
    _answer(page, 1, 2)
    # The autosave script, moved out of the page into measures/respond.js, still saves.
    page.locator("[data-saved]", has_text="Saved").wait_for()
    context.close()
    assert violations == [] and link_violations == []
