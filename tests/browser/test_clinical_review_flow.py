"""A medical lead of a new clinic confirms every unconfirmed value on the Clinical review page;
the clinic's first medicine session can then start without any override."""

from __future__ import annotations

import pytest

from holdspace.people.models import CareTeamRole
from holdspace.review.models import ReviewDecision
from holdspace.review.selectors import unconfirmed_count
from holdspace.sessions import services
from holdspace.sessions.models import MedicineSession, StartOverride

from ..conftest import signed_in
from ..factories import CareTeamMemberFactory
from ..sessions.conftest import act, make_ready, make_visit, patch_preparation
from .conftest import ARTIFACTS, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TABLET = {"width": 820, "height": 1180}
PHONE = {"width": 390, "height": 844}


def _context(chromium, live_server, member, viewport=TABLET, scheme="dark"):  # type: ignore[no-untyped-def]
    context = chromium.new_context(viewport=viewport, color_scheme=scheme)
    context.set_default_timeout(15_000)
    cookie = signed_in(member).cookies["sessionid"].value
    context.add_cookies([{"name": "sessionid", "value": cookie, "url": live_server.url}])
    return context, context.new_page()


@pytest.fixture
def ready(clinics, therapist, therapist_off_team, monkeypatch):  # type: ignore[no-untyped-def]
    """A new clinic's first session, ready in every other way; nothing reviewed yet."""
    CareTeamMemberFactory(
        client=clinics.client, membership=therapist_off_team, role=CareTeamRole.CO_THERAPIST
    )
    patch_preparation(monkeypatch)
    session = services.session_open(
        by=act(therapist), visit=make_visit(clinics, therapist), client=clinics.client
    )
    make_ready(session, therapist, therapist_off_team)
    return session


def test_a_lead_confirms_every_value_and_the_first_session_starts(
    chromium, live_server, ready, lead, therapist, clinics
):
    monitor = f"{live_server.url}/sessions/{clinics.client.code}/{ready.pk}/"
    t_context, t_page = _context(chromium, live_server, therapist)
    t_page.goto(monitor)
    blockers = t_page.locator("ul.blockers").inner_text()
    assert "Clinical review" in blockers
    assert t_page.locator("button.big", has_text="Start the session").is_disabled()
    screenshot(t_page, "review-first-session-blocked")

    l_context, l_page = _context(chromium, live_server, lead)
    l_page.goto(f"{live_server.url}/")
    l_page.locator("a[href='/review/']").first.click()  # the banner
    l_page.wait_for_url("**/review/")
    open_before = unconfirmed_count(clinics.north.pk)
    assert open_before > 20
    assert l_page.locator("button.confirm").count() == open_before
    screenshot(l_page, "review-page-tablet")

    # One value changed with a reason, the rest confirmed one by one.
    item = l_page.locator("[data-key='screening.setting.qtc_review_ms']")
    item.locator("summary").click()
    item.locator("input[name=value]").fill("470")
    item.locator("input[name=reason]").last.fill("Cardiology advice for this site")
    item.locator("button", has_text="Change and confirm").click()
    l_page.wait_for_load_state()
    while l_page.locator("button.confirm").count():
        l_page.locator("button.confirm").first.click()
        l_page.wait_for_load_state()
    assert "Nothing to review" not in l_page.content()  # confirmed items stay listed
    assert l_page.locator(".state.confirmed").count() >= open_before
    assert unconfirmed_count(clinics.north.pk) == 0
    assert ReviewDecision.objects.filter(clinic=clinics.north).count() == open_before
    screenshot(l_page, "review-page-all-confirmed")

    t_page.goto(monitor)
    assert t_page.locator("ul.blockers").count() == 0
    t_page.locator("button.big", has_text="Start the session").click()
    t_page.wait_for_load_state()
    assert MedicineSession.objects.get(pk=ready.pk).status == "running"
    assert not StartOverride.objects.exists()
    t_context.close()
    l_context.close()


def test_the_review_page_reads_on_a_phone_and_in_light(chromium, live_server, lead, clinics):
    for name, viewport, scheme in (("phone", PHONE, "dark"), ("light", TABLET, "light")):
        context, page = _context(chromium, live_server, lead, viewport, scheme)
        page.goto(f"{live_server.url}/review/")
        assert page.locator("#area-sessions").is_visible()
        screenshot(page, f"review-page-{name}")
        page.screenshot(path=str(ARTIFACTS / f"review-page-{name}-top.png"))  # the first screen
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= viewport["width"], wide  # nothing runs off the side
        context.close()
