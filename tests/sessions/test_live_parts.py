"""The live poll sends only what changed, a long timeline is kept short without hiding what
matters, and the render memo stays under its byte bound."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db.models import F
from django.utils import timezone

from holdspace.core.memo import BoundedMemo
from holdspace.sessions import live
from holdspace.sessions.charts import CHART_POINTS, DOTS
from holdspace.sessions.models import MedicineSession, VitalReading
from holdspace.sessions.shown import RECENT_STEP, SHOWN

from ..conftest import signed_in
from .conftest import act

pytestmark = pytest.mark.django_db

# After one write the poll carries at most the top strip, the chart and the recent entries:
# about 12 KB here, whatever the length of the session (the whole region was 248 KB at 602
# readings before it was split into parts).
POLL_AFTER_A_WRITE_BYTES = 16_000


def _long(session: MedicineSession, member, count: int, *, start_minutes: int = 2) -> None:  # type: ignore[no-untyped-def]
    """`count` in-range readings a minute apart after the session's start (bulk: test data)."""
    assert session.started_at is not None
    VitalReading.objects.bulk_create(
        VitalReading(
            session=session,
            taken_at=session.started_at + dt.timedelta(minutes=start_minutes + i),
            systolic=118 + i % 5,
            diastolic=78,
            heart_rate=72 + i % 3,
            temperature="36.8",
            recorded_by=member,
        )
        for i in range(count)
    )
    MedicineSession.objects.filter(pk=session.pk).update(version=F("version") + 1)


def _started_hours_ago(session: MedicineSession, hours: int) -> MedicineSession:
    MedicineSession.objects.filter(pk=session.pk).update(
        started_at=timezone.now() - dt.timedelta(hours=hours)
    )
    session.refresh_from_db()
    return session


def _url(session: MedicineSession, tail: str = "") -> str:
    return f"/sessions/{session.client.code}/{session.pk}/{tail}"


def _held(html: str) -> str:
    pairs = re.findall(r'data-live-part="(\w+)" data-hash="(\w+)"', html)
    assert {name for name, _hash in pairs} == set(live.PARTS)
    return ",".join(f"{name}={digest}" for name, digest in pairs)


def test_a_poll_after_one_write_sends_only_the_changed_parts(running, therapist):
    session = _started_hours_ago(running, 6)
    _long(session, therapist, 300)
    browser = signed_in(therapist)
    page = browser.get(_url(session)).content.decode()
    have = _held(page)
    first = browser.get(_url(session, "live/"), HTTP_X_LIVE_HAVE=have)
    assert first.status_code == 200 and first.content == b""  # the page holds every part

    saved = browser.post(
        _url(session, "do/vitals/"),
        {"systolic": 131, "diastolic": 79, "heart_rate": 77, "temperature": "36.9"},
        HTTP_X_HOLDSPACE_FETCH="1",
    )
    assert saved.status_code == 201
    poll = browser.get(
        _url(session, "live/"), HTTP_IF_NONE_MATCH=first["ETag"], HTTP_X_LIVE_HAVE=have
    )
    body = poll.content.decode()
    assert poll.status_code == 200
    assert "BP 131/79" in body
    assert 'data-live-part="recent"' in body and 'data-live-part="older"' not in body
    assert len(poll.content) < POLL_AFTER_A_WRITE_BYTES
    assert len(poll.content) * 2 < len(page)
    # Without the header (no script, a first load) every part comes.
    whole = browser.get(_url(session, "live/")).content.decode()
    assert all(f'data-live-part="{name}"' in whole for name in live.PARTS)


@pytest.mark.requirement("REQ-SES-008")
def test_an_alert_older_than_the_cap_still_shows_in_full(running, therapist):
    session = _started_hours_ago(running, 6)
    from holdspace.sessions import services

    services.vital_record(
        by=act(therapist),
        session=session,
        systolic=150,
        diastolic=95,
        heart_rate=132,
        temperature="37.4",
        taken_at=session.started_at + dt.timedelta(minutes=1),
    )
    _long(session, therapist, 3 * RECENT_STEP, start_minutes=2)
    html = signed_in(therapist).get(_url(session, "live/")).content.decode()
    older = html.split('data-live-part="older"', 1)[1]
    assert "tier-act" in older and "BP 150/95 · HR 132" in older  # the reading, in full
    assert "readings within limits from" in older  # the in-range ones before it, summarised
    top = html.split('data-live-part="top"', 1)[1].split('data-live-part="chart"', 1)[0]
    assert "alert-act" in top  # and the open alert at the top, as always
    shown = html.count('class="tl-vitals')
    assert shown == SHOWN + 1  # the newest one by one, plus the act reading


@pytest.mark.requirement("REQ-SES-008")
def test_show_every_entry_lists_every_reading(running, therapist):
    session = _started_hours_ago(running, 6)
    _long(session, therapist, 3 * RECENT_STEP)
    browser = signed_in(therapist)
    summarised = browser.get(_url(session)).content.decode()
    assert "Show every entry" in summarised
    every = browser.get(_url(session) + "?timeline=all").content.decode()
    assert every.count('class="tl-vitals') == session.vitals.count()
    assert "?timeline=all" in every  # the live poll keeps the whole timeline too


@pytest.mark.requirement("REQ-SES-008")
def test_a_session_too_short_for_an_older_part_lists_its_newest_and_summarises_the_rest(
    running, therapist
):
    session = _started_hours_ago(running, 6)
    # With the baseline (taken last, 5 minutes ago): SHOWN + 6, fewer than 2 x RECENT_STEP.
    _long(session, therapist, SHOWN + 5)
    html = signed_in(therapist).get(_url(session, "live/")).content.decode()
    recent = html.split('data-live-part="recent"', 1)[1].split('data-live-part="older"', 1)[0]
    older = html.split('data-live-part="older"', 1)[1]
    assert recent.count('class="tl-vitals') == SHOWN  # the newest, one by one
    assert "6 readings within limits from" in recent  # the rest, in one line
    assert "Show every entry" in recent  # the link closes the timeline, here in the recent part
    assert "tl-vitals" not in older and "Show every entry" not in older


def test_a_long_session_draws_a_bounded_chart(running, therapist):
    session = _started_hours_ago(running, 8)
    _long(session, therapist, 400)
    html = signed_in(therapist).get(_url(session, "live/")).content.decode()
    chart = html.split('data-live-part="chart"', 1)[1].split('data-live-part="recent"', 1)[0]
    assert chart.count("<circle") == 3 * DOTS
    polyline = re.search(r'<polyline class="series sys" points="([^"]*)"', chart)
    assert polyline is not None
    assert len(polyline.group(1).split()) <= CHART_POINTS + DOTS + 1


def test_the_render_memo_stays_under_its_byte_bound() -> None:
    memo = BoundedMemo(10_000, live._parts_bytes)
    from django.utils.safestring import mark_safe

    def parts(size: int) -> dict[str, live.LivePart]:
        return {"top": live.LivePart("top", "h", mark_safe("x" * size))}  # noqa: S308

    for index in range(50):
        memo.put(f"v{index}", parts(900))
        assert memo.size <= 10_000
    assert memo.get("v49") is not None and memo.get("v0") is None
    held = [p for value, _size in memo.rows.values() for p in value.values()]
    assert sum(len(p.html) for p in held) == memo.size
    memo.put("huge", parts(20_000))
    assert memo.get("huge") is None and memo.size <= 10_000
