"""The monitor reads only the readings it shows: the timeline it builds from them is the one
every reading gives, the chart keeps every peak, and a long session loads no more rows than a
short one."""

from __future__ import annotations

import datetime as dt
import re
from unittest import mock

import pytest
from django.db.models import F
from django.utils import timezone

from holdspace.sessions import charts, selectors
from holdspace.sessions.live import live_parts
from holdspace.sessions.models import MedicineSession, SessionAlert, TimelineEntry, VitalReading
from holdspace.sessions.shown import RECENT_STEP, SHOWN, line_index, shown_readings
from holdspace.sessions.timeline import (
    RunStats,
    SplitTimeline,
    TimelineItem,
    _summary,
    older_runs,
    split_shown,
    timeline,
)
from holdspace.sessions.views import live_context

pytestmark = pytest.mark.django_db


def reference_split(items: list[TimelineItem], step: int = RECENT_STEP) -> SplitTimeline:
    """The rule on the whole timeline, every reading in memory (as the monitor did before it
    read only what it shows): the oracle split_shown must equal. The newest SHOWN readings and
    what follows the first of them in full; before them in-range readings summarised per run;
    the recent part of the live region from the line on (shown.line_index), no run across it."""
    positions = [i for i, item in enumerate(items) if item.kind == "vitals"]
    if len(positions) <= SHOWN:
        return SplitTimeline(recent=list(items), older=[], summarised=0)
    cut = positions[-SHOWN]
    line = positions[line_index(len(positions), step)] if len(positions) >= 2 * step else None
    parts: dict[str, list[TimelineItem]] = {"older": [], "recent": []}
    summarised = {"older": 0, "recent": 0}
    run: list[VitalReading] = []
    into = "older" if line is not None else "recent"

    def close() -> None:
        nonlocal run
        if run:
            parts[into].append(_summary(_stats(run)))
            summarised[into] += len(run)
            run = []

    for place, item in enumerate(items[:cut]):
        if place == line:
            close()
            into = "recent"
        reading = item.reading
        in_range = reading is not None and not item.tier and not reading.is_baseline
        if item.kind == "vitals" and reading is not None and in_range:
            run.append(reading)
            continue
        close()
        parts[into].append(item)
    close()
    return SplitTimeline(
        recent=parts["recent"] + items[cut:],
        older=parts["older"],
        summarised=summarised["older"],
        summarised_recent=summarised["recent"],
    )


def _stats(run: list[VitalReading]) -> RunStats:
    def both(values: list) -> tuple | None:  # type: ignore[type-arg]
        present = [v for v in values if v is not None]
        return (min(present), max(present)) if present else None

    return RunStats(
        count=len(run),
        first_at=run[0].taken_at,
        last_at=run[-1].taken_at,
        systolic=both([r.systolic for r in run]),  # type: ignore[arg-type]
        diastolic=both([r.diastolic for r in run]),  # type: ignore[arg-type]
        heart_rate=both([r.heart_rate for r in run]),  # type: ignore[arg-type]
        temperature=both([r.temperature for r in run]),  # type: ignore[arg-type]
        spo2=both([r.spo2 for r in run]),
        suds=both([r.suds for r in run]),
    )


def _seen(items: list[TimelineItem]) -> list[tuple[object, ...]]:
    return [(item.at, item.kind, item.text, item.tier, item.by) for item in items]


def _add(session: MedicineSession, member, first: int, last: int) -> None:  # type: ignore[no-untyped-def]
    """Readings `first`..`last-1`, a minute apart, with what makes the order hard: some at the
    same minute as the one before, out-of-range ones, a baseline, notes and acknowledgements
    at the very time of a reading."""
    assert session.started_at is not None
    start = session.started_at + dt.timedelta(minutes=2)
    readings = []
    for i in range(first, last):
        minute = i - (1 if i % 7 == 0 else 0)  # every seventh shares the minute before
        readings.append(
            VitalReading(
                session=session,
                taken_at=start + dt.timedelta(minutes=minute),
                systolic=112 + i % 13 + (40 if i % 23 == 0 else 0),
                diastolic=70 + i % 9,
                heart_rate=64 + i % 11,
                temperature="37.1" if i % 17 == 0 else "36.8",
                spo2=97 - i % 3 if i % 3 == 0 else None,
                suds=i % 6 if i % 5 == 0 else None,
                is_baseline=i == 40,
                tier="act" if i % 23 == 0 else ("watch" if i % 11 == 0 else ""),
                recorded_by=member,
            )
        )
    saved = VitalReading.objects.bulk_create(readings)
    for i, reading in zip(range(first, last), saved, strict=True):
        if i % 13 == 0:  # a note at the reading's time, listed before it
            TimelineEntry.objects.create(
                session=session, at=reading.taken_at, kind="note", text=f"note {i}", by=member
            )
        if reading.tier and i % 2 == 0:  # acknowledged at the time of a later reading
            SessionAlert.objects.create(
                session=session,
                reading=reading,
                tier=reading.tier,
                reasons=["systolic.act"],
                acknowledged_at=start + dt.timedelta(minutes=i + 3),
                acknowledged_by=member,
                action_taken=f"done {i}",
            )
    MedicineSession.objects.filter(pk=session.pk).update(version=F("version") + 1)


def _fresh(session: MedicineSession) -> MedicineSession:
    return selectors.session_loaded(MedicineSession.objects.get(pk=session.pk))


def test_the_shown_timeline_is_the_one_every_reading_gives(running, therapist):
    had = 0
    for count in (SHOWN, SHOWN + 1, 25, 59, 60, 61, 95, 131):
        _add(running, therapist, had, count)
        had = count
        expected = reference_split(timeline(_fresh(running)))
        session = selectors.session_loaded(
            MedicineSession.objects.get(pk=running.pk), every_reading=False
        )
        got = split_shown(session, shown_readings(session))
        assert _seen(got.recent) == _seen(expected.recent), count
        assert _seen(got.older) == _seen(expected.older), count
        assert got.summarised == expected.summarised, count
        assert got.summarised_recent == expected.summarised_recent, count
    assert expected.summarised > 0 and any(i.kind == "ack" for i in expected.older)
    assert expected.summarised_recent > 0  # the recent part summarises before its newest too


def _long(session: MedicineSession, member, count: int) -> None:  # type: ignore[no-untyped-def]
    start = timezone.now() - dt.timedelta(hours=8)
    MedicineSession.objects.filter(pk=session.pk).update(started_at=start)
    step = dt.timedelta(hours=8) / count
    VitalReading.objects.bulk_create(
        VitalReading(
            session=session,
            taken_at=start + step * i,
            systolic=116 + i % 9,
            diastolic=76 + i % 5,
            heart_rate=68 + i % 7,
            temperature="36.8",
            recorded_by=member,
        )
        for i in range(count)
    )


def test_a_single_peak_among_two_thousand_readings_still_shows_in_the_chart(running, therapist):
    _long(running, therapist, 2000)
    # One reading far above the others, not flagged (so no dot marks it) and far from the
    # newest: only the lowest/highest of its slice of time can show it.
    peak = VitalReading.objects.filter(session=running).order_by("taken_at", "pk")[1000]
    VitalReading.objects.filter(pk=peak.pk).update(systolic=188)
    session = selectors.session_loaded(
        MedicineSession.objects.get(pk=running.pk), every_reading=False
    )
    chart = charts.vitals_chart(
        session, selectors.settings_read(session.clinic_id), shown_readings(session)
    )
    systolic = next(s for s in chart.series if s.css == "sys")
    top = charts.TOP + (charts.HIGH - 188) / (charts.HIGH - charts.LOW) * (
        charts.HEIGHT - charts.TOP - charts.BOTTOM
    )
    spread = [float(point.split(",")[1]) for point in systolic.spread.split()]
    assert min(spread) == pytest.approx(top, abs=0.5)  # SVG: up is smaller; whole units
    assert len(systolic.points) <= charts.CHART_POINTS + charts.DOTS
    assert len(systolic.dots) == charts.DOTS  # the newest; the peak is within limits here


def test_a_long_session_loads_no_more_readings_than_it_shows(running, therapist):
    _long(running, therapist, 2000)
    made: list[int] = []
    real = VitalReading.from_db.__func__  # type: ignore[attr-defined]

    def counted(cls, db, names, values):  # type: ignore[no-untyped-def]
        made.append(1)
        return real(cls, db, names, values)

    session = MedicineSession.objects.select_related("client", "visit", "clinic").get(pk=running.pk)
    with mock.patch.object(VitalReading, "from_db", classmethod(counted)):
        parts = live_parts(live_context(session), full=False)
    assert len(made) <= SHOWN + 2  # the newest, the baseline, an alert's
    recent = parts["recent"].html
    # The newest, and the baseline just before them (flagged: always in full).
    assert len(re.findall(r'class="tl-vitals', recent)) == SHOWN + 1
    assert "readings within limits from" in recent  # the rest of the recent part, summarised
    assert "readings within limits from" in parts["older"].html


def _split(session: MedicineSession) -> SplitTimeline:
    loaded = selectors.session_loaded(
        MedicineSession.objects.get(pk=session.pk), every_reading=False
    )
    return split_shown(loaded, shown_readings(loaded))


def test_a_late_reading_before_the_line_is_summarised_though_the_runs_there_are_kept(
    running, therapist
):
    _add(running, therapist, 0, 131)
    _split(running)  # the runs before the line are kept now
    assert older_runs.rows
    # A reading entered late, timed among the oldest (the line moves back by one reading).
    first = VitalReading.objects.filter(session=running).order_by("taken_at", "pk")[3]
    VitalReading.objects.create(
        session=running,
        taken_at=first.taken_at + dt.timedelta(seconds=10),
        systolic=199,
        diastolic=71,
        heart_rate=66,
        temperature="36.8",
        recorded_by=therapist,
    )
    expected = reference_split(timeline(_fresh(running)))
    got = _split(running)
    assert _seen(got.older) == _seen(expected.older)
    assert _seen(got.recent) == _seen(expected.recent)
    assert "199" in " ".join(item.text for item in got.older)


def test_a_fresh_render_reads_again_only_the_readings_after_the_line(running, therapist):
    _add(running, therapist, 0, 131)
    before = _split(running)
    # Rewrite an in-range reading before the line behind the application's back (it never
    # edits a reading): the kept runs do not see it, so they were not read again...
    oldest = VitalReading.objects.filter(session=running, tier="", is_baseline=False).order_by(
        "taken_at", "pk"
    )[2]
    VitalReading.objects.filter(pk=oldest.pk).update(heart_rate=150)
    assert _seen(_split(running).older) == _seen(before.older)
    # ...and without them the database summarises every run again.
    older_runs.clear()
    assert "150" in " ".join(item.text for item in _split(running).older)


def _chart(session: MedicineSession) -> charts.VitalsChart:
    loaded = selectors.session_loaded(
        MedicineSession.objects.get(pk=session.pk), every_reading=False
    )
    return charts.vitals_chart(
        loaded, selectors.settings_read(loaded.clinic_id), shown_readings(loaded)
    )


def test_the_chart_from_kept_slices_is_the_chart_summarised_afresh(running, therapist):
    _long(running, therapist, 600)
    first = _chart(running)
    assert charts.kept_slices.rows  # the finished slices are kept now
    assert _chart(running) == first
    # New readings at the end: the kept slices and the new ones make the chart a fresh
    # summary makes.
    last = VitalReading.objects.filter(session=running).order_by("taken_at", "pk").last()
    assert last is not None
    for minute in range(1, 40, 3):
        VitalReading.objects.create(
            session=running,
            taken_at=last.taken_at + dt.timedelta(minutes=minute),
            systolic=150 + minute,
            diastolic=80,
            heart_rate=70,
            temperature="36.9",
            recorded_by=therapist,
        )
    kept = _chart(running)
    charts.kept_slices.clear()
    assert kept == _chart(running)
    # A late reading among the finished slices is counted, and they are summarised again.
    early = VitalReading.objects.filter(session=running).order_by("taken_at", "pk")[50]
    VitalReading.objects.create(
        session=running,
        taken_at=early.taken_at + dt.timedelta(seconds=5),
        systolic=196,
        diastolic=80,
        heart_rate=70,
        temperature="36.9",
        recorded_by=therapist,
    )
    late = _chart(running)
    charts.kept_slices.clear()
    assert late == _chart(running)
    systolic = next(s for s in late.series if s.css == "sys")
    top = charts.TOP + (charts.HIGH - 196) / (charts.HIGH - charts.LOW) * (
        charts.HEIGHT - charts.TOP - charts.BOTTOM
    )
    assert min(float(p.split(",")[1]) for p in systolic.spread.split()) == pytest.approx(
        top, abs=0.5
    )


def test_a_fresh_chart_summarises_again_only_the_unfinished_slices(running, therapist):
    _long(running, therapist, 600)
    before = _chart(running)
    # Rewrite an early reading behind the application's back (it never edits a reading):
    # the kept slices do not see it, so they were not summarised again...
    early = VitalReading.objects.filter(session=running).order_by("taken_at", "pk")[10]
    VitalReading.objects.filter(pk=early.pk).update(systolic=190)
    assert _chart(running) == before
    # ...and without them the database summarises every slice again.
    charts.kept_slices.clear()
    assert _chart(running) != before
