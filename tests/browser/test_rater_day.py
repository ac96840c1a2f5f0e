"""A blinded rater's day: sign in, land on their assessments, rate the one due (a wrong item is
refused beside the field with nothing typed lost), record a guess of the arm, and find nothing
else: the navigation offers their assessments only, and a client's record is not found."""

from __future__ import annotations

import pytest

from holdspace.people.actors import Actor
from holdspace.people.models import Role
from holdspace.studies import services

from ..conftest import signed_in
from ..factories import MembershipFactory, randomised_into_a_two_arm_study
from .conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_rater_rates_the_assessment_due_and_reaches_nothing_else(
    chromium, live_server, clinics, lead, coordinator
):
    rater = MembershipFactory(clinic=clinics.north, role=Role.BLINDED_RATER)
    enrolment = randomised_into_a_two_arm_study(lead, coordinator, clinics.client, "day")
    actor = Actor.command_line(coordinator)
    assessment = services.assessment_schedule(
        by=actor, enrolment=enrolment, timepoint="endpoint",
        due_on=enrolment.enrolled_at.date(), rater=rater.user,
    )  # fmt: skip

    context = chromium.new_context(viewport={"width": 820, "height": 1180}, color_scheme="light")
    context.set_default_timeout(45_000)  # a loaded CI machine is slow to first paint
    cookie = signed_in(rater).cookies["sessionid"].value
    context.add_cookies([{"name": "sessionid", "value": cookie, "url": live_server.url}])
    page = context.new_page()
    page.goto(f"{live_server.url}/studies/")
    page.wait_for_url("**/studies/rater/")
    nav = page.locator("nav[aria-label] a").all_inner_texts()
    assert "Clients" not in nav and "Sessions" not in nav
    assert clinics.client.code in page.content()
    screenshot(page, "studies-rater-list-tablet")

    page.get_by_role("button", name="Rate").click()
    for item in range(1, 21):
        page.fill(f"input[name=item_{item}]", "2")
    page.fill("input[name=item_7]", "9")  # out of range
    page.select_option("select[name=arm]", label="Placebo with therapy")
    page.fill("input[name=confidence]", "60")
    page.get_by_role("button", name="Save rating").click()
    assert page.locator("input[name=item_7]").input_value() == "9"  # nothing typed is lost
    assert page.locator("input[name=item_1]").input_value() == "2"
    assert "4" in page.locator(".rating-items").inner_text()  # the error names the bound
    screenshot(page, "studies-rater-refused-tablet")
    page.fill("input[name=item_7]", "3")
    page.get_by_role("button", name="Save rating").click()
    page.wait_for_url("**/studies/rater/")
    assert "rated" in page.content()
    assessment.refresh_from_db()
    assert assessment.score is not None and assessment.score.total == 41
    assert enrolment.guesses.get().arm.name == "Placebo with therapy"

    # Nothing else of the client: the record and the study are not found.
    answer = page.goto(f"{live_server.url}/clients/{clinics.client.code}/")
    assert answer is not None and answer.status == 404
    answer = page.goto(f"{live_server.url}/studies/{enrolment.study_id}/")
    assert answer is not None and answer.status == 404
    page.set_viewport_size({"width": 390, "height": 844})
    page.emulate_media(color_scheme="dark")
    page.goto(f"{live_server.url}/studies/rater/")
    screenshot(page, "studies-rater-list-phone-dark")
    context.close()
