"""A coordinator fills the intake for a new client on an SSRI; a medical lead signs "eligible"
with a reason for overriding the taper finding; the decision shows as locked.

Screenshots land in test-artifacts/ for a person to look at."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from ..conftest import signed_in
from ..factories import PASSWORD
from .conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TABLET = {"width": 820, "height": 1180}
PHONE = {"width": 390, "height": 844}


def _open_as(chromium, live_server, member, viewport=TABLET):  # type: ignore[no-untyped-def]
    context = chromium.new_context(viewport=viewport, color_scheme="dark", bypass_csp=True)
    context.set_default_timeout(10_000)
    cookie = signed_in(member).cookies["sessionid"].value
    context.add_cookies([{"name": "sessionid", "value": cookie, "url": live_server.url}])
    return context, context.new_page()


def _fits(page) -> bool:  # type: ignore[no-untyped-def]
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_intake_for_a_client_on_an_ssri_then_a_signed_override(
    chromium, live_server, clinics, coordinator, lead
):
    context, page = _open_as(chromium, live_server, coordinator)
    page.goto(live_server.url + reverse("people:client_create"))
    page.fill("input[name=given_name]", "Ingrid")
    page.fill("input[name=family_name]", "Prøvesen")
    page.get_by_role("button", name="Create client").click()
    page.get_by_role("link", name="Open screening").click()
    page.wait_for_url("**/screening/**")
    code = page.locator("h1 .client-code").inner_text().strip()

    # Medical history, with a bad QTc first: the unit is missing, nothing typed is lost.
    page.get_by_role("link", name="Medical", exact=True).click()
    page.select_option("select[name=hypertension]", "controlled")
    page.fill("input[name=qtc_value]", "420")
    page.fill("input[name=weight_kg]", "68")
    page.get_by_role("button", name="Save").click()
    assert "Give the unit of the QTc value" in page.locator(".errorlist").first.inner_text()
    assert page.input_value("input[name=weight_kg]") == "68"
    screenshot(page, "screening-medical-error")
    page.select_option("select[name=qtc_unit]", "ms")
    page.get_by_role("button", name="Save").click()

    page.get_by_role("link", name="Psychiatric").click()
    page.select_option("select[name=suicide_risk]", "low")
    page.get_by_role("button", name="Save").click()

    # Vitals: an impossible systolic is refused beside the field.
    page.get_by_role("link", name="Vitals").click()
    page.fill("input[name=measured_at]", timezone.localtime().strftime("%Y-%m-%dT%H:%M"))
    page.fill("input[name=systolic]", "400")
    page.fill("input[name=diastolic]", "82")
    page.fill("input[name=heart_rate]", "72")
    page.fill("input[name=temperature_c]", "36.8")
    page.get_by_role("button", name="Save").click()
    # expect() waits for the answer; page.content() could read the page being left.
    expect(page.locator("main")).to_contain_text("400 is outside what is possible")
    screenshot(page, "screening-vitals-error")
    page.fill("input[name=systolic]", "128")
    page.get_by_role("button", name="Save").click()

    # The SSRI, by its Norwegian brand name; the last dose was three days ago.
    page.get_by_role("link", name="Medications").click()
    page.fill("input[name=name]", "Cipralex")
    page.fill("input[name=dose]", "10 mg daily")
    page.fill("input[name=start_date]", (timezone.localdate() - dt.timedelta(days=400)).isoformat())
    page.fill("input[name=stop_date]", (timezone.localdate() - dt.timedelta(days=3)).isoformat())
    page.get_by_role("button", name="Add medication").click()
    expect(page.locator("main")).to_contain_text("escitalopram")
    screenshot(page, "screening-medications")

    page.get_by_role("link", name="Screening", exact=True).last.click()
    finding = page.locator('[data-rule="ssri-snri-taper"]')
    assert "Taper / washout" in finding.inner_text()
    assert finding.locator("a.source").get_attribute("href") == (
        "https://doi.org/10.1007/s00213-020-05710-w"
    )
    assert "Washout plan" in page.content()
    screenshot(page, "screening-coordinator-findings")
    context.close()

    # The medical lead signs "eligible", first forgetting the reason for the override.
    context, page = _open_as(chromium, live_server, lead)
    page.goto(live_server.url + reverse("screening:detail", args=[code]))
    page.check("input[name=decision][value=eligible]")
    page.fill("input[name=secret]", PASSWORD)
    page.get_by_role("button", name="Sign decision").click()
    assert "needs a written reason" in page.locator("#decision .errorlist").first.inner_text()
    screenshot(page, "screening-override-needs-reason")
    page.fill("textarea[name=reason]", "Escitalopram stopped; first session after the washout.")
    page.fill("input[name=secret]", PASSWORD)
    page.get_by_role("button", name="Sign decision").click()
    signed = page.locator("[data-locked=true]")
    assert "Signed and locked" in signed.inner_text()
    # The overridden rule reads as its message, not its id (issue 12).
    assert "taper before MDMA" in signed.inner_text()
    assert "ssri-snri-taper" not in signed.inner_text()
    assert page.locator("[data-status]").get_attribute("data-status") == "eligible"
    screenshot(page, "screening-signed-locked")
    assert _fits(page)
    context.close()


@pytest.mark.parametrize("viewport_name, viewport", [("tablet", TABLET), ("phone", PHONE)])
def test_screening_pages_fit_the_screen(
    chromium, live_server, clinics, lead, therapist, viewport_name, viewport
):
    code = clinics.client.code
    for name, path in {
        "index": reverse("screening:index"),
        "detail": reverse("screening:detail", args=[code]),
        "medications": reverse("screening:medications", args=[code]),
        "experiences": reverse("screening:experiences", args=[code]),
        "rules": reverse("screening:rules"),
    }.items():
        context, page = _open_as(chromium, live_server, lead, viewport)
        assert page.goto(live_server.url + path).status == 200, path
        screenshot(page, f"{viewport_name}-screening-{name}")
        assert _fits(page), f"{path} is wider than a {viewport_name}"
        context.close()
