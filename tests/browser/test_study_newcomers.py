"""Study roles as a newcomer meets them: a blinded rater the clinic admin has just added chooses
a password, enrols a second factor on a phone, and lands on Today, which offers nothing but their
study work; once a study schedules an assessment for them, Today lists it, in Norwegian too."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from holdspace.people.actors import Actor
from holdspace.people.models import User
from holdspace.people.services import staff_create
from holdspace.studies import services

from ..factories import randomised_into_a_two_arm_study
from .conftest import screenshot
from .test_second_factor_enrolment import _choose_password_and_enrol

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def test_a_new_blinded_rater_enrols_and_finds_only_their_assessments(
    page, clinics, clinic_admin, lead, coordinator
):
    staff_create(
        by=Actor.command_line(clinic_admin),
        email="new.rater@north.test",
        first_name="Rut",
        last_name="Rater",
        role="blinded_rater",
    )
    page.set_viewport_size(PHONE)
    _choose_password_and_enrol(page, "new.rater@north.test", "rater")

    page.goto(page.base_url + "/")
    page.wait_for_url("**/today/")
    nav = page.locator("nav[aria-label] a").all_inner_texts()
    assert "Clients" not in nav and "Sessions" not in nav
    assert clinics.client.code not in page.content()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    screenshot(page, "studies-rater-newcomer-empty-phone")

    enrolment = randomised_into_a_two_arm_study(lead, coordinator, clinics.client, "new")
    actor = Actor.command_line(coordinator)
    services.assessment_schedule(
        by=actor, enrolment=enrolment, timepoint="endpoint",
        due_on=enrolment.enrolled_at.date(),
        rater=User.objects.get(email="new.rater@north.test"),
    )  # fmt: skip
    page.reload()
    expect(page.locator("main")).to_contain_text("1 assessment due")
    page.locator("main").get_by_role("link", name="My assessments").click()
    page.wait_for_url("**/studies/rater/")
    expect(page.locator("main")).to_contain_text(clinics.client.code)
    page.click("button[name=language][value=nb]")
    page.wait_for_selector("html[lang=nb]")
    expect(page.locator("main")).to_contain_text(clinics.client.code)
    screenshot(page, "studies-rater-newcomer-nb-phone")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
