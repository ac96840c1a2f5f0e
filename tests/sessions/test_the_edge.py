"""Issue 9's findings at the medicine session: dates out of any window, NUL bytes, idempotency
keys bound to the request, and a device finding the running session by itself."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from holdspace.sessions.models import IdempotentRequest, TimelineEntry, VitalReading

from ..conftest import signed_in

pytestmark = pytest.mark.django_db

READING = {"systolic": 128, "diastolic": 82, "heart_rate": 76, "temperature": "37.0"}


def _post(browser, url, body, key=None):  # type: ignore[no-untyped-def]
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return browser.post(url, json.dumps(body), content_type="application/json", **headers)


@pytest.mark.requirement("REQ-SES-005")
@pytest.mark.parametrize(
    "taken_at",
    [
        "0001-01-01T00:00:00+14:00",  # year 0 in UTC: once stored, every read answered 500
        "1900-01-01T12:00:00+00:00",
        "9999-12-31T23:59:59-14:00",
    ],
)
def test_a_reading_dated_outside_any_session_is_refused_and_the_monitor_stays_up(
    running, therapist, taken_at
):
    browser = signed_in(therapist)
    before = VitalReading.objects.count()
    refused = _post(
        browser, f"/api/v1/sessions/{running.pk}/vitals", {**READING, "taken_at": taken_at}
    )
    assert refused.status_code == 422
    assert "taken_at" in refused.json()["errors"]
    assert VitalReading.objects.count() == before
    for tail in ("vitals", "timeline"):
        assert browser.get(f"/api/v1/sessions/{running.pk}/{tail}").status_code == 200
    monitor = f"/sessions/{running.client.code}/{running.pk}/"
    assert browser.get(monitor).status_code == 200


@pytest.mark.requirement("REQ-SES-005")
def test_a_reading_from_before_the_session_started_is_refused(running, therapist):
    before_start = running.started_at - dt.timedelta(minutes=30)
    refused = _post(
        signed_in(therapist),
        f"/api/v1/sessions/{running.pk}/vitals",
        {**READING, "taken_at": before_start.isoformat()},
    )
    assert refused.status_code == 422
    assert "before the session" in refused.json()["errors"]["taken_at"][0]


def test_a_nul_byte_is_refused_naming_the_field(running, therapist):
    browser = signed_in(therapist)
    refused = _post(browser, f"/api/v1/sessions/{running.pk}/notes", {"text": "calm\x00"})
    assert refused.status_code == 422
    assert "text" in refused.json()["errors"]
    assert not TimelineEntry.objects.filter(session=running).exists()


def test_an_idempotency_key_is_bound_to_its_request(running, therapist, co_therapist):
    browser = signed_in(therapist)
    url = f"/api/v1/sessions/{running.pk}/notes"
    first = _post(browser, url, {"text": "Music changed"}, key="k" * 255)
    assert first.status_code == 201 and first.json()["replayed"] is False
    again = _post(browser, url, {"text": "Music changed"}, key="k" * 255)
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    # Another body under the same key: refused, the new note is not silently dropped.
    other_body = _post(browser, url, {"text": "Crying"}, key="k" * 255)
    assert other_body.status_code == 422
    assert "Idempotency-Key" in other_body.json()["errors"]
    # Another route under the same key: refused too.
    other_route = _post(browser, f"/api/v1/sessions/{running.pk}/vitals", READING, key="k" * 255)
    assert other_route.status_code == 422
    # Keys are never cut: two keys alike in their first 100 characters are two keys.
    longer = _post(browser, url, {"text": "Crying"}, key="k" * 254 + "x")
    assert longer.status_code == 201 and longer.json()["replayed"] is False
    too_long = _post(browser, url, {"text": "Crying"}, key="k" * 256)
    assert too_long.status_code == 422
    # The same key from another user is their own request.
    theirs = _post(signed_in(co_therapist), url, {"text": "Music changed"}, key="k" * 255)
    assert theirs.status_code == 201 and theirs.json()["replayed"] is False
    assert TimelineEntry.objects.filter(session=running).count() == 3
    assert IdempotentRequest.objects.count() == 3


def test_a_device_finds_the_running_session_in_one_call(running, therapist, lead, researcher):
    listed = signed_in(therapist).get("/api/v1/sessions?status=running").json()
    assert [s["id"] for s in listed["items"]] == [running.pk]
    assert listed["items"][0]["client"] == running.client.code
    today = timezone.localdate().isoformat()
    assert signed_in(lead).get(f"/api/v1/sessions?date={today}").json()["count"] == 1
    # Researchers do not see medicine sessions at all.
    assert signed_in(researcher).get("/api/v1/sessions").json()["count"] == 0


def test_a_started_session_is_today_until_it_ends(running, therapist):
    from holdspace.courses.models import Visit

    Visit.objects.filter(pk=running.visit_id).update(
        starts_at=timezone.now() - dt.timedelta(days=1)
    )
    today = timezone.localdate().isoformat()
    found = signed_in(therapist).get(f"/api/v1/sessions?date={today}").json()
    assert [s["id"] for s in found["items"]] == [running.pk]


def test_a_medicine_session_visit_carries_its_session_id(running, therapist):
    course_id = running.visit.course_id
    visit = signed_in(therapist).get(f"/api/v1/courses/{course_id}/visits/{running.visit_id}")
    assert visit.status_code == 200
    assert visit.json()["sessions"] == [
        {"client": running.client.code, "session_id": running.pk, "status": "running"}
    ]


def test_the_api_grades_of_adverse_events_are_the_models():
    from typing import get_args

    from holdspace.sessions.api import AdverseEventSeverity
    from holdspace.sessions.models import Severity

    assert set(get_args(AdverseEventSeverity)) == set(Severity.values)
