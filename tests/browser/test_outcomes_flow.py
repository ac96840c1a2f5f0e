"""Outcomes in a real browser, in English and Norwegian: a researcher's cohort grouped by prior
party use, and a therapist's difference page. Screenshots: test-artifacts/outcomes-*.png."""

from __future__ import annotations

import pytest

from holdspace.screening.models import Context, HowItWent, PriorExperience, Substance
from tests.factories import ClientFactory
from tests.outcomes.helpers import dose, party, past_course, record, sign

from ..conftest import signed_in
from .conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TABLET = {"width": 820, "height": 1180}
PHONE = {"width": 390, "height": 844}
WORDS = {
    "en": ("Outcomes", "Estimated trajectories", "The difference", "Medicine session 1"),
    "nb": ("Utfall", "Estimerte forløp", "Forskjellen", "Medisinsesjon 1"),
}


def _open(chromium, live_server, member, language, viewport):  # type: ignore[no-untyped-def]
    context = chromium.new_context(viewport=viewport, color_scheme="dark", locale=language)
    cookie = signed_in(member).cookies["sessionid"].value
    context.add_cookies(
        [
            {"name": "sessionid", "value": cookie, "url": live_server.url},
            {"name": "django_language", "value": language, "url": live_server.url},
        ]
    )
    return context, context.new_page()


@pytest.fixture
def cohort(clinics, lead):  # type: ignore[no-untyped-def]
    clients = [clinics.client, clinics.other_client]
    clients += [ClientFactory(clinic=clinics.north) for _ in range(6)]
    for i, client in enumerate(clients):
        record(lead, client, 48 + i, 1, "baseline")
        record(lead, client, 40 - i, 40)
        record(lead, client, 26 + (i % 4) * 3, 120, "end")
    for client, times in zip(clients[2:], (5, 8, 20, 30, 60, 90), strict=True):
        party(client, times)
    return clients


@pytest.mark.parametrize("language", ["en", "nb"])
def test_researcher_groups_the_cohort_by_prior_party_use(
    chromium, live_server, cohort, researcher, language
):
    outcomes, trajectories, _d, _s = WORDS[language]
    for name, viewport in (("tablet", TABLET), ("phone", PHONE)):
        context, page = _open(chromium, live_server, researcher, language, viewport)
        page.goto(live_server.url + "/")
        page.get_by_role("link", name=outcomes).first.click()
        page.locator("select[name=group_by]").select_option("prior_party_use")
        page.locator("form.cohort-filters button[type=submit]").click()
        page.wait_for_url("**group_by=prior_party_use**")
        # The flow, the model and the plots come in a region fetched after the page painted.
        page.locator("#cohort-plots figure svg").first.wait_for()
        assert page.locator("#cohort-plots[aria-busy]").count() == 0  # the placeholder went
        assert page.get_by_role("heading", name=trajectories).is_visible()
        for group in ("none", "1-9", "10-49", "50+"):
            assert page.locator("th[scope=row]", has_text=group).first.is_visible()
        assert page.locator("figure svg").count() >= 4  # flow, trajectories, forest, bars
        assert page.locator("caption").count() >= 4  # a data table beside each plot
        assert cohort[0].code in page.content()
        screenshot(page, f"outcomes-cohort-{language}-{name}")
        if name == "tablet":
            page.emulate_media(color_scheme="light")
            screenshot(page, f"outcomes-cohort-{language}-{name}-light")
        context.close()


@pytest.mark.parametrize("language", ["en", "nb"])
def test_therapist_opens_one_clients_difference(
    chromium, live_server, clinics, lead, therapist, therapist_off_team, language
):
    client = clinics.client
    PriorExperience.objects.create(
        client=client, substance=Substance.MDMA, context=Context.FESTIVAL, times=12,
        co_used_substances="alcohol", how_it_went=HowItWent.DIFFICULT,
    )  # fmt: skip
    sign(lead, client)
    course = past_course(lead, [therapist, therapist_off_team], client)
    dose(course, client, 3)
    _o, _t, title, session = WORDS[language]
    for name, viewport in (("tablet", TABLET), ("phone", PHONE)):
        context, page = _open(chromium, live_server, therapist, language, viewport)
        page.goto(live_server.url + "/outcomes/")
        page.get_by_role("link", name=client.code).click()
        # is_visible() does not wait: without this it can look at the page being left.
        page.wait_for_url(f"**/outcomes/clients/{client.code}/difference/")
        assert page.get_by_role("heading", name=title).is_visible()
        assert page.locator("th", has_text=session).first.is_visible()
        assert page.locator(".plain-summary").is_visible()
        screenshot(page, f"outcomes-difference-{language}-{name}")
        context.close()
