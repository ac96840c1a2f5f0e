"""A researcher on the Exports page: sees a queued export progress to finished (the list
polls), starts a de-identified REDCap export, downloads a file. Screenshots:
test-artifacts/exports-*.png."""

from __future__ import annotations

import pytest

from holdspace.exports.services import export_run, export_start
from holdspace.people.actors import Actor

from ..conftest import signed_in
from ..exports.conftest import fill
from .conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_researcher_watches_an_export_finish_and_downloads_it(
    chromium, live_server, clinics, lead, researcher
):  # type: ignore[no-untyped-def]
    fill(clinics.client, lead, seed=1)
    queued = export_start(by=Actor.command_line(researcher), format="csv", run=False)
    context = chromium.new_context(viewport={"width": 820, "height": 1180}, color_scheme="light")
    context.set_default_timeout(15_000)
    cookie = signed_in(researcher).cookies["sessionid"].value
    context.add_cookies([{"name": "sessionid", "value": cookie, "url": live_server.url}])
    page = context.new_page()
    page.goto(live_server.url + "/", timeout=60_000)  # the first request loads the URL map
    page.get_by_role("link", name="Exports").first.click()
    row = page.locator(f"tr[data-export='{queued.pk}']")
    assert row.locator("progress").count() == 1  # queued: a progress bar, and the list polls
    screenshot(page, "exports-tablet-light-running")

    export_run(queued.pk)  # the worker finishes it; the next poll shows the files
    row.get_by_role("link", name="vitals.csv", exact=True).wait_for()
    with page.expect_download() as download:
        row.get_by_role("link", name="vitals.csv", exact=True).click()
    assert download.value.path().read_text(encoding="utf-8").startswith("record_id")

    page.locator("select[name=format]").select_option("redcap")
    page.locator("select[name=profile]").select_option("deidentified")
    assert page.locator("select[name=profile] option[value=identified]").count() == 0
    page.get_by_role("button", name="Start export").click()
    page.get_by_role("link", name="records.csv", exact=True).wait_for()
    page.set_viewport_size({"width": 390, "height": 844})
    page.emulate_media(color_scheme="dark")
    screenshot(page, "exports-phone-dark")
    context.close()
