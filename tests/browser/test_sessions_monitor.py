"""The live monitor in Chromium: two tablets see each other's entries and alerts within two
seconds; a dropped network loses nothing and saves everything exactly once."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.utils import timezone

from holdspace.people.models import CareTeamRole
from holdspace.sessions import selectors, services
from holdspace.sessions.models import SessionAlert, TimelineEntry, VitalReading
from tests.review.helpers import confirm_everything

from ..conftest import signed_in
from ..factories import CareTeamMemberFactory
from ..sessions.conftest import act, give_initial, make_ready, make_visit, patch_preparation
from .conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TABLET = {"width": 820, "height": 1180}


def _ten_minutes_ago() -> str:
    """A datetime-local value ten minutes ago in the clinic's time zone, the one the server
    reads it in. (The browser's own is the machine's, UTC in CI: its wall time read as Oslo's
    was 2 h 10 min ago in summer, before the session's arrival window, and refused.)"""
    return (timezone.localtime() - dt.timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def opened(clinics, therapist, therapist_off_team, lead, monkeypatch):  # type: ignore[no-untyped-def]
    """An opened session of a visit today; two therapists on the team; thresholds confirmed."""
    CareTeamMemberFactory(
        client=clinics.client, membership=therapist_off_team, role=CareTeamRole.CO_THERAPIST
    )
    patch_preparation(monkeypatch)
    services.settings_confirm(by=act(lead), values=selectors.settings_defaults())
    confirm_everything(lead)
    visit = make_visit(clinics, therapist)
    return services.session_open(by=act(therapist), visit=visit, client=clinics.client)


@pytest.fixture
def started(opened, therapist, therapist_off_team):  # type: ignore[no-untyped-def]
    make_ready(opened, therapist, therapist_off_team)
    return services.session_start(by=act(therapist), session=opened)


def _open_as(chromium, live_server, member, viewport=TABLET):  # type: ignore[no-untyped-def]
    context = chromium.new_context(viewport=viewport, color_scheme="dark", bypass_csp=True)
    context.set_default_timeout(10_000)
    cookie = signed_in(member).cookies["sessionid"].value
    context.add_cookies([{"name": "sessionid", "value": cookie, "url": live_server.url}])
    return context, context.new_page()


def _reopen(page, url):  # type: ignore[no-untyped-def]
    """The same monitor in a fresh tab. An open monitor reloads itself when the session's
    status changes, and a goto() in the same tab can be interrupted by that reload."""
    fresh = page.context.new_page()
    page.close()
    fresh.goto(url)
    return fresh


def _enter_reading(page, systolic, diastolic, hr, temp, suds=""):  # type: ignore[no-untyped-def]
    form = page.locator("form.vitals-form")
    form.locator("[name=systolic]").fill(str(systolic))
    form.locator("[name=diastolic]").fill(str(diastolic))
    form.locator("[name=heart_rate]").fill(str(hr))
    form.locator("[name=temperature]").fill(str(temp))
    if suds != "":
        form.locator("[name=suds]").fill(str(suds))
    form.locator("button[type=submit]").click()


def test_an_act_alert_reaches_the_co_therapist_within_two_seconds(
    chromium, live_server, started, therapist, therapist_off_team, clinics
):
    give_initial(started, therapist)
    url = f"{live_server.url}/sessions/{clinics.client.code}/{started.pk}/"
    context_a, page_a = _open_as(chromium, live_server, therapist)
    context_b, page_b = _open_as(chromium, live_server, therapist_off_team)
    page_a.goto(url)
    page_b.goto(url)
    identity = clinics.client.identity
    assert f"{identity.given_name} {identity.family_name}" not in page_a.content()
    screenshot(page_a, "sessions-monitor-started")

    _enter_reading(page_a, 150, 95, 132, "37.4", 4)
    started = time.monotonic()
    page_b.locator(".alert-act").wait_for(state="visible", timeout=2500)
    seen_after = time.monotonic() - started
    assert seen_after < 2.0, seen_after
    assert "heart rate (act)" in page_b.locator(".alert-act").inner_text()
    screenshot(page_b, "sessions-monitor-act-alert")

    page_b.locator(".alert-act input[name=action_taken]").fill("Rested, rechecked: HR 104")
    page_b.locator(".alert-act button[type=submit]").click()
    page_a.locator(".timeline li.tl-ack").wait_for(timeout=2500)
    assert "Rested, rechecked" in page_a.locator(".timeline").inner_text()
    assert page_a.locator(".alert-act").count() == 0
    alert = SessionAlert.objects.get()
    assert alert.acknowledged_by == therapist_off_team
    screenshot(page_a, "sessions-monitor-acknowledged")
    page_b.goto(f"{live_server.url}/sessions/")
    assert clinics.client.code in page_b.content()
    screenshot(page_b, "sessions-home")
    context_a.close()
    context_b.close()


def test_a_dropped_network_loses_nothing_and_saves_each_entry_once(
    chromium, live_server, started, therapist, clinics
):
    url = f"{live_server.url}/sessions/{clinics.client.code}/{started.pk}/"
    context, page = _open_as(chromium, live_server, therapist)
    page.goto(url)
    page.locator("#live-top .strip").wait_for()
    context.set_offline(True)
    for step in range(5):
        _enter_reading(page, 120 + step, 80, 70 + step, "36.9", 3)
    page.locator(".note-form textarea[name=text]").fill("Quiet, listening to music")
    page.locator(".note-form button[type=submit]").click()
    outbox = page.locator("#outbox")
    assert outbox.is_visible()
    assert outbox.locator("li").count() == 6
    assert "not yet saved" in outbox.inner_text()
    screenshot(page, "sessions-monitor-offline")
    # (Chromium's offline emulation may still let a request reach the server with its answer
    # lost: the entry stays in the outbox, is sent again with its key, and is stored once.)

    # Reload while offline: the browser cannot fetch the page; what was typed is still on this
    # device, and goes out when the monitor opens again with the network back.
    with pytest.raises(Exception):  # noqa: B017  (Playwright's net::ERR_INTERNET_DISCONNECTED)
        page.reload()
    context.set_offline(False)
    answers: list[str] = []
    page.on(
        "response",
        lambda r: answers.append(f"{r.status} {r.text()[:200]}") if "/do/" in r.url else None,
    )
    page.goto(url)
    page.locator("#outbox").wait_for(state="hidden", timeout=8000)
    # A second open of the same monitor (another tab) must not send anything again.
    second = context.new_page()
    second.goto(url)
    second.wait_for_timeout(1500)
    assert VitalReading.objects.filter(is_baseline=False).count() == 5, answers
    assert TimelineEntry.objects.filter(kind="note").count() == 1
    assert sorted(
        VitalReading.objects.filter(is_baseline=False).values_list("systolic", flat=True)
    ) == [120, 121, 122, 123, 124]
    page.locator(".timeline").get_by_text("Quiet, listening to music").wait_for()
    screenshot(page, "sessions-monitor-back-online")
    context.close()


def test_before_dosing_and_the_phone_layout(chromium, live_server, opened, therapist, clinics):
    url = f"{live_server.url}/sessions/{clinics.client.code}/{opened.pk}/"
    context, page = _open_as(
        chromium, live_server, therapist, viewport={"width": 390, "height": 844}
    )
    page.goto(url)
    page.get_by_role("button", name="I am present and sober").click()
    page.locator("form.checklist input[type=checkbox]").first.check()
    screenshot(page, "sessions-before-dosing-phone")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert page.get_by_role("button", name="Start the session").is_disabled()
    context.close()


def test_from_attestation_to_a_locked_note_in_the_browser(
    chromium, live_server, opened, therapist, therapist_off_team, clinics
):
    url = f"{live_server.url}/sessions/{clinics.client.code}/{opened.pk}/"
    context_a, page = _open_as(chromium, live_server, therapist)
    context_b, page_b = _open_as(chromium, live_server, therapist_off_team)
    page.goto(url)
    page.get_by_role("button", name="I am present and sober").click()
    page_b.goto(url)
    page_b.get_by_role("button", name="I am present and sober").click()
    page = _reopen(page, url)
    for box in page.locator("form.checklist input[type=checkbox]").all():
        box.check()
    page.get_by_role("button", name="Save the checklist").click()
    _enter_reading(page, 118, 76, 66, "36.7", 3)
    page.get_by_role("button", name="Start the session").wait_for()
    page.wait_for_function("!document.querySelector('.start-box button.big').disabled")
    page.get_by_role("button", name="Start the session").click()
    page.locator("form.vitals-form").wait_for()

    # A dose above the plan with no reason: refused beside the field, what was typed kept.
    dose = page.locator("form.dose-form")
    dose.locator("[name=mg]").fill("120")
    dose.locator("[name=lot_number]").fill("LOT-7")
    dose.get_by_role("button", name="Record the dose as given").click()
    page.locator("form.dose-form .field-error").first.wait_for()
    assert "above the planned 80 mg" in page.locator("form.dose-form").inner_text()
    assert page.locator("form.dose-form [name=mg]").input_value() == "120"
    assert page.locator("form.dose-form [name=lot_number]").input_value() == "LOT-7"
    screenshot(page, "sessions-dose-error")
    page.locator("form.dose-form [name=reason]").fill("Lead chose 120 mg after review")
    page.locator("form.dose-form").get_by_role("button", name="Record the dose as given").click()
    page.locator(".timeline").get_by_text("Initial dose: MDMA HCl 120 mg, lot LOT-7").wait_for()

    # An impossible reading through the offline-safe form: the message beside the field.
    _enter_reading(page, 400, 80, 70, "36.9", 2)
    page.locator("form.vitals-form .field-error").first.wait_for()
    assert "Not a possible reading" in page.locator("form.vitals-form").inner_text()
    assert page.locator("form.vitals-form [name=systolic]").input_value() == "400"
    screenshot(page, "sessions-reading-error")
    page.locator("form.vitals-form [name=systolic]").fill("122")
    page.locator("form.vitals-form button[type=submit]").click()
    page.locator("#outbox").wait_for(state="hidden")

    page.get_by_text("Adverse events (0)").click()
    page.locator("[name=term]").fill("Euphoria")
    page.locator("[name=onset_at]").fill(_ten_minutes_ago())
    page.locator("[name=valence]").select_option("pleasant")
    page.locator("[name=relatedness]").select_option("probable")
    page.locator("[name=outcome]").select_option("resolved")
    page.locator("input[name=special_interest][value=abuse_potential]").check()
    page.get_by_role("button", name="Record the event").click()
    page.get_by_text("Adverse events (1)").wait_for()

    page.get_by_text("End the session (discharge)").click()
    page.locator("[name=oriented_stable]").check()
    page.locator("[name=therapists_agree]").check()
    page.locator("input[name=disposition][value=escort_home]").check()
    page.locator("[name=companion_name]").fill("Partner (synthetic)")
    screenshot(page, "sessions-discharge")
    page.get_by_role("button", name="Discharge and end the session").click()
    page.locator("[name=note_text]").fill("A calm session; no concerns.")
    page.get_by_role("button", name="Save the draft").click()
    page.get_by_role("button", name="Sign the note").click()
    page_b = _reopen(page_b, url)
    page_b.get_by_role("button", name="Sign the note").click()
    page_b.get_by_text("Locked.").wait_for()
    screenshot(page_b, "sessions-ended-locked")
    opened.refresh_from_db()
    assert opened.status == "ended" and opened.note_locked_at is not None
    context_a.close()
    context_b.close()


def test_a_medical_lead_reviews_and_confirms_the_thresholds(chromium, live_server, lead, clinics):
    context, page = _open_as(chromium, live_server, lead)
    page.goto(f"{live_server.url}/sessions/")
    assert "has not confirmed yet" in page.content()
    page.get_by_role("link", name="Review and confirm").click()
    page.locator("[name=systolic_act]").fill("180")
    screenshot(page, "sessions-settings")
    page.get_by_role("button", name="Confirm these thresholds").click()
    page.get_by_text("Thresholds and cadence confirmed.").wait_for()
    assert selectors.settings_for(clinics.north.pk).systolic_act == 180
    context.close()
