"""A course from the phase 3 template, end to end in Chromium: propose, move a medicine
session (its integration visits follow), prepare until "ready", sign an integration note,
fail to edit it, add an addendum; and the client's portal on a phone."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from holdspace.courses.models import Course, Room, VisitKind
from holdspace.people.models import CareTeamRole

from ..conftest import sign_in, signed_in
from ..courses.conftest import FakeEligibility
from ..factories import CareTeamMemberFactory
from .conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TABLET = {"width": 820, "height": 1180}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def eligible(monkeypatch):  # type: ignore[no-untyped-def]
    import holdspace.screening.selectors as screening

    monkeypatch.setattr(
        screening,
        "screening_eligibility",
        lambda client: FakeEligibility(True, "eligible", "Signed eligible."),
        raising=False,
    )
    monkeypatch.setattr(
        screening, "earliest_medicine_session_date", lambda client: None, raising=False
    )


def _open_as(chromium, live_server, member, viewport=TABLET):  # type: ignore[no-untyped-def]
    context = chromium.new_context(viewport=viewport, color_scheme="dark", bypass_csp=True)
    context.set_default_timeout(10_000)
    cookie = signed_in(member).cookies["sessionid"].value
    context.add_cookies([{"name": "sessionid", "value": cookie, "url": live_server.url}])
    return context, context.new_page()


def _fits(page) -> bool:  # type: ignore[no-untyped-def]
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_a_phase3_course_from_start_to_a_signed_note(
    chromium, live_server, clinics, eligible, therapist, therapist_off_team, lead
):
    CareTeamMemberFactory(
        client=clinics.client, membership=therapist_off_team, role=CareTeamRole.CO_THERAPIST
    )
    room = Room.objects.create(clinic=clinics.north, name="Linden")
    code = clinics.client.code
    context, page = _open_as(chromium, live_server, therapist)

    # Start the course.
    page.goto(live_server.url + reverse("courses:course_create", args=[code]))
    page.select_option("select[name=template]", "mdma-at-ptsd-phase3")
    page.fill("input[name=start_date]", (timezone.localdate() + dt.timedelta(days=3)).isoformat())
    page.check(f"input[name=therapists][value='{therapist.pk}']")
    # First a team of one: refused beside the field, nothing typed lost.
    page.select_option("select[name=medical_lead]", str(lead.pk))
    page.select_option("select[name=room]", str(room.pk))
    page.get_by_role("button", name="Propose the schedule").click()
    page.wait_for_selector(".errorlist")
    assert "at least 2 therapists" in page.content()
    assert page.input_value("select[name=medical_lead]") == str(lead.pk)
    screenshot(page, "courses-create-team-of-one")
    page.check(f"input[name=therapists][value='{therapist_off_team.pk}']")
    page.get_by_role("button", name="Propose the schedule").click()
    page.wait_for_selector("table.schedule")
    assert "the morning after medicine session 1" in page.content()
    screenshot(page, "courses-proposed-schedule")
    page.screenshot(
        path=str(screenshot(page, "courses-proposed-schedule")).replace(".png", "-top.png")
    )
    assert _fits(page)
    course = Course.objects.get()
    session = course.visits.get(kind=VisitKind.MEDICINE_SESSION, number=1)
    morning_after = (
        session.followers.filter(kind=VisitKind.INTEGRATION).order_by("starts_at").first()
    )
    before = morning_after.starts_at
    page.get_by_role("button", name="Accept the schedule").click()
    page.wait_for_selector("text=The schedule was accepted.")

    # Move the first medicine session by four days: its integration visits follow.
    page.goto(live_server.url + reverse("courses:visit_move", args=[code, course.pk, session.pk]))
    new_start = timezone.localtime(session.starts_at + dt.timedelta(days=4))
    page.fill("input[name=starts_at]", new_start.strftime("%Y-%m-%dT%H:%M"))
    page.fill("textarea[name=reason]", "The client's partner cannot drive that day")
    screenshot(page, "courses-move-session")
    page.get_by_role("button", name="Move the visit").click()
    page.wait_for_selector("text=was moved")
    morning_after.refresh_from_db()
    assert morning_after.starts_at == before + dt.timedelta(days=4)
    row = page.locator(f"tr[data-visit='{morning_after.label}']")
    assert timezone.localtime(morning_after.starts_at).strftime("%-d %b %Y") in row.inner_text()
    screenshot(page, "courses-after-move")
    page.goto(
        live_server.url
        + reverse("courses:calendar_therapist", args=[therapist.pk])
        + f"?date={new_start.date().isoformat()}"
    )
    assert "Medicine session 1" in page.content()
    screenshot(page, "courses-calendar-week")
    assert _fits(page)

    # Preparation until ready.
    page.goto(live_server.url + reverse("preparation:preparation", args=[code]))
    assert page.inner_text("#readiness") == "Not ready"
    page.fill("textarea[name=intentions]", "To stop bracing for danger at home")
    page.fill("textarea[name=music_playlist]", "Clinic list A")
    page.check("input[name=eyeshades]")
    page.select_option("select[name=room]", str(room.pk))
    page.fill("input[name=ride_home]", "My brother")
    page.get_by_role("button", name="Save preparation").click()
    page.wait_for_selector("#missing")
    assert "overnight plan" in page.inner_text("#missing")
    screenshot(page, "preparation-not-ready")
    page.fill("textarea[name=overnight_plan]", "Clinic overnight room")
    page.fill("input[name=overnight_attendant]", "Night nurse on duty")
    page.check("input[name=supportive_touch][value=yes]")
    page.check("input[name=agrees_to_stay]")
    page.get_by_role("button", name="Save preparation").click()
    page.wait_for_selector("text=Preparation saved.")
    assert page.inner_text("#readiness") == "Ready"
    screenshot(page, "preparation-ready")

    # Integration note: write, sign (no edit is offered once signed), add an addendum.
    page.goto(live_server.url + reverse("integration:integration", args=[code]))
    page.fill("textarea[name=text]", "Talked through the first session. Slept well.")
    page.get_by_role("button", name="Save the note").click()
    page.get_by_role("button", name="Sign the note").click()
    page.wait_for_selector("text=Signed and locked")
    assert page.locator("text=Edit the text").count() == 0
    assert page.get_by_role("button", name="Save changes").count() == 0
    assert page.inner_text("#note-text") == "Talked through the first session. Slept well."
    screenshot(page, "integration-signed")
    page.fill("form[action$='addendum/'] textarea[name=text]", "Correction: slept about 5 hours.")
    page.get_by_role("button", name="Add the addendum").click()
    page.wait_for_selector("text=The addendum was added.")
    assert "Correction: slept about 5 hours." in page.content()
    screenshot(page, "integration-addendum")
    context.close()


def test_the_portal_fits_a_phone(
    chromium, live_server, clinics, eligible, therapist, therapist_off_team, lead
):
    from allauth.mfa.totp.internal.auth import TOTP

    from holdspace.courses.models import CourseSettings
    from holdspace.people.actors import Actor
    from holdspace.portal.services import portal_invite

    from ..courses.conftest import start_course

    CourseSettings.objects.create(
        clinic=clinics.north,
        emergency_number="113",
        preparation_material="Bring comfortable clothes. Eat a light breakfast.",
    )
    CareTeamMemberFactory(
        client=clinics.client, membership=therapist_off_team, role=CareTeamRole.CO_THERAPIST
    )
    start_course(
        by=therapist,
        clients=[clinics.client],
        therapists=[therapist, therapist_off_team],
        lead=lead,
    )
    account = portal_invite(
        by=Actor.command_line(therapist), client=clinics.client, email="me@example.org"
    )
    TOTP.activate(account.user, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    from django.test import Client as HttpClient

    browser = HttpClient()
    sign_in(browser, account.user)
    context = chromium.new_context(viewport=PHONE, color_scheme="dark", bypass_csp=True)
    context.add_cookies(
        [{"name": "sessionid", "value": browser.cookies["sessionid"].value, "url": live_server.url}]
    )
    page = context.new_page()
    assert page.goto(live_server.url + reverse("portal:home")).status == 200
    page.fill("textarea[name=text]", "Felt calm on the walk today.")
    page.get_by_role("button", name="Save in my journal").click()
    page.wait_for_selector("text=Saved in your journal.")
    assert "call 113" in page.inner_text("#journal-who-reads")
    screenshot(page, "portal-phone")
    assert _fits(page)
    assert page.goto(live_server.url + reverse("people:client_list")).status == 403
    context.close()
