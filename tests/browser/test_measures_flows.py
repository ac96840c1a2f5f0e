"""Measures in a real browser: a client's one-time link on a phone, and a safety alert.

Screenshots land in test-artifacts/measures-*.png for a person to look at."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from holdspace.measures import services
from holdspace.measures.models import SafetyAlert
from holdspace.people.actors import Actor

from ..conftest import signed_in
from .conftest import ARTIFACTS, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
TABLET = {"width": 820, "height": 1180}


def _staff(chromium, live_server, member, viewport=TABLET):  # type: ignore[no-untyped-def]
    context = chromium.new_context(viewport=viewport, color_scheme="dark", bypass_csp=True)
    cookie = signed_in(member).cookies["sessionid"].value
    context.add_cookies([{"name": "sessionid", "value": cookie, "url": live_server.url}])
    return context, context.new_page()


def _fits(page) -> bool:  # type: ignore[no-untyped-def]
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def _link(member, client, code):  # type: ignore[no-untyped-def]
    by = Actor(user=member.user, membership=member)
    assignment = services.assignment_create(
        by=by, client=client, instrument_code=code, due_on=timezone.localdate()
    )
    return reverse("measures:respond", args=[services.link_issue(by=by, assignment=assignment)])


def _answer(page, link_id: int, value: int) -> None:  # type: ignore[no-untyped-def]
    page.locator(f"input[name=item-{link_id}][value='{value}']").check()


def test_client_completes_pcl5_on_a_phone_through_a_one_time_link(
    chromium, live_server, clinics, therapist
):
    # An earlier PCL-5 so the therapist sees a trajectory, not a lone point.
    services.response_record(
        by=Actor(user=therapist.user, membership=therapist),
        client=clinics.client,
        instrument_code="PCL-5",
        answers={str(i): 3 for i in range(1, 21)},
        observed_on=timezone.localdate() - dt.timedelta(days=60),
    )
    url = live_server.url + _link(therapist, clinics.client, "PCL-5")

    context = chromium.new_context(
        viewport=PHONE, color_scheme="dark", bypass_csp=True
    )  # no cookie
    page = context.new_page()
    page.goto(url)
    assert _fits(page)
    for link_id in range(1, 11):
        _answer(page, link_id, 2)
    page.wait_for_function("document.querySelector('[data-saved]').textContent === 'Saved'")
    screenshot(page, "measures-phone-pcl5-half")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / "measures-phone-pcl5-top.png"))

    page.reload()  # half-way: nothing lost
    for link_id in range(1, 11):
        assert page.locator(f"input[name=item-{link_id}][value='2']").is_checked()

    page.get_by_role("button", name="Submit").click()  # ten items still missing
    page.wait_for_selector("#err-11")
    assert "answer" in page.locator("#err-11").inner_text().lower()
    assert page.locator("input[name=item-3][value='2']").is_checked()
    screenshot(page, "measures-phone-pcl5-missing")
    page.locator("#item-11").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "measures-phone-pcl5-missing-view.png"))

    for link_id in range(11, 21):
        _answer(page, link_id, 1)
    page.get_by_role("button", name="Submit").click()
    page.wait_for_selector("text=Thank you")
    screenshot(page, "measures-phone-pcl5-done")

    page.goto(url)  # the link refuses reuse
    assert "already been submitted" in page.content()
    context.close()

    staff, staff_page = _staff(chromium, live_server, therapist)
    staff_page.goto(live_server.url + reverse("people:client_detail", args=[clinics.client.code]))
    plot = staff_page.locator("svg[data-instrument='PCL-5']")
    assert plot.locator("circle").count() == 2
    assert "30" in staff_page.locator("section[aria-label='PCL-5'] tbody tr").last.inner_text()
    screenshot(staff_page, "measures-tablet-client-page")
    staff_page.locator("#measures").screenshot(path=str(ARTIFACTS / "measures-tablet-client.png"))
    assert _fits(staff_page)
    staff.close()


def test_phq9_item9_raises_an_alert_the_care_team_sees_and_acknowledges(
    chromium, live_server, clinics, therapist, lead
):
    url = live_server.url + _link(therapist, clinics.client, "PHQ-9")
    context = chromium.new_context(viewport=PHONE, color_scheme="light", bypass_csp=True)
    page = context.new_page()
    page.goto(url)
    for link_id in range(1, 9):
        _answer(page, link_id, 0)
    _answer(page, 9, 1)
    page.get_by_role("button", name="Submit").click()
    page.wait_for_selector("text=Thank you")
    context.close()

    lead_context, lead_page = _staff(chromium, live_server, lead)
    lead_page.goto(live_server.url + reverse("people:client_list"))
    assert clinics.client.code in lead_page.locator(".banner-act").inner_text()
    lead_context.close()

    staff, staff_page = _staff(chromium, live_server, therapist)
    staff_page.goto(live_server.url + reverse("people:client_list"))
    banner = staff_page.locator(".banner-act")
    assert clinics.client.code in banner.inner_text()
    screenshot(staff_page, "measures-tablet-alert-banner")
    banner.locator("a").click()
    staff_page.wait_for_selector("#alerts")
    staff_page.fill(
        "textarea[name=action_taken]", "Phoned the client the same hour; safety plan reviewed."
    )
    screenshot(staff_page, "measures-tablet-alert-acknowledge")
    staff_page.get_by_role("button", name="Acknowledge").click()
    staff_page.wait_for_selector("text=The alert was acknowledged.")
    assert staff_page.locator(".banner-act").count() == 0
    screenshot(staff_page, "measures-tablet-alert-done")
    staff.close()
    alert = SafetyAlert.objects.get()
    assert alert.acknowledged_by == therapist.user and alert.reason_code == "phq9.item9"
