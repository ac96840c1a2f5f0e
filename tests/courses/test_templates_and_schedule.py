"""Protocol templates as data, and the schedule proposed from each."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from holdspace.courses.models import VisitKind
from holdspace.courses.protocols import PROTOCOL_DIR, builtin_protocols, load_protocols
from holdspace.courses.schedule import measure_due_dates, schedule_propose

START = dt.date(2026, 12, 7)


def _kinds(visits):  # type: ignore[no-untyped-def]
    return [v.kind for v in visits]


def test_both_shipped_templates_load_with_their_sources():
    protocols = builtin_protocols()
    assert set(protocols) == {"mdma-at-ptsd-phase3", "couples-cbct-mdma"}
    phase3 = protocols["mdma-at-ptsd-phase3"]
    assert phase3.name == "MDMA-AT for PTSD (phase 3 design)"
    assert [(d.initial_mg, d.supplemental_mg) for d in phase3.medicine_sessions.doses] == [
        (80, 40),
        (120, 60),
        (120, 60),
    ]
    assert protocols["couples-cbct-mdma"].clients == 2


def test_a_broken_template_stops_the_start_naming_file_and_field(tmp_path: Path):
    text = (PROTOCOL_DIR / "mdma-at-ptsd-phase3.yaml").read_text()
    (tmp_path / "broken.yaml").write_text(
        text.replace("duration_minutes: 480", "duration_minutes: eight hours")
    )
    with pytest.raises(ImproperlyConfigured) as error:
        load_protocols(tmp_path)
    assert "broken.yaml" in str(error.value)
    assert "medicine_sessions.duration_minutes" in str(error.value)


def test_a_template_citing_an_unknown_source_is_refused(tmp_path: Path):
    text = (PROTOCOL_DIR / "couples-cbct-mdma.yaml").read_text()
    (tmp_path / "x.yaml").write_text(
        text.replace("source: wagner-2021\n  unconfirmed", "source: nobody\n  unconfirmed")
    )
    with pytest.raises(ImproperlyConfigured, match="unknown source"):
        load_protocols(tmp_path)


def test_phase3_schedule_has_every_visit_on_its_date():
    protocol = builtin_protocols()["mdma-at-ptsd-phase3"]
    visits = schedule_propose(protocol=protocol, start_date=START, washout_date=None)
    kinds = _kinds(visits)
    assert kinds.count(VisitKind.PREPARATION) == 3
    assert kinds.count(VisitKind.MEDICINE_SESSION) == 3
    assert kinds.count(VisitKind.INTEGRATION) == 9
    assert kinds.count(VisitKind.CHECK_IN) == 21
    assert kinds.count(VisitKind.OUTCOME_ASSESSMENT) == 1
    prep = [v.starts_at.date() for v in visits if v.kind == VisitKind.PREPARATION]
    assert prep == [START, START + dt.timedelta(days=7), START + dt.timedelta(days=14)]
    sessions = [v for v in visits if v.kind == VisitKind.MEDICINE_SESSION]
    first = START + dt.timedelta(days=21)
    assert [s.starts_at.date() for s in sessions] == [
        first,
        first + dt.timedelta(days=28),
        first + dt.timedelta(days=56),
    ]
    assert all(s.duration_minutes == 480 for s in sessions)
    assert sessions[0].planned_dose["initial_mg"] == 80
    integration = [v for v in visits if v.kind == VisitKind.INTEGRATION and v.follows == 1]
    assert [v.starts_at.date() for v in integration] == [
        first + dt.timedelta(days=d) for d in (1, 8, 15)
    ]
    assert "morning after" in str(integration[0].why)
    checks = [v for v in visits if v.kind == VisitKind.CHECK_IN and v.follows == 2]
    assert [v.starts_at.date() for v in checks] == [
        sessions[1].starts_at.date() + dt.timedelta(days=d) for d in range(1, 8)
    ]
    outcome = next(v for v in visits if v.kind == VisitKind.OUTCOME_ASSESSMENT)
    assert outcome.starts_at.date() == START + dt.timedelta(weeks=18)
    assert all(v.why for v in visits)


def test_the_first_medicine_session_waits_for_the_washout():
    protocol = builtin_protocols()["mdma-at-ptsd-phase3"]
    washout = START + dt.timedelta(days=40)
    visits = schedule_propose(protocol=protocol, start_date=START, washout_date=washout)
    sessions = [v for v in visits if v.kind == VisitKind.MEDICINE_SESSION]
    assert sessions[0].starts_at.date() == washout
    assert f"washout ({washout.isoformat()})" in str(sessions[0].why)
    assert (sessions[1].starts_at.date() - washout).days == 28


def test_couples_schedule_has_two_sessions_and_fifteen_therapy_sessions():
    protocol = builtin_protocols()["couples-cbct-mdma"]
    visits = schedule_propose(protocol=protocol, start_date=START, washout_date=None)
    kinds = _kinds(visits)
    assert kinds.count(VisitKind.MEDICINE_SESSION) == 2
    therapy = [
        k
        for k in kinds
        if k in (VisitKind.PREPARATION, VisitKind.MEDICINE_SESSION, VisitKind.INTEGRATION)
    ]
    assert len(therapy) == 15
    sessions = [v for v in visits if v.kind == VisitKind.MEDICINE_SESSION]
    assert (sessions[1].starts_at - sessions[0].starts_at).days == 21
    assert sessions[0].planned_dose["initial_mg"] == 75


def test_measures_fall_on_their_timepoints():
    protocol = builtin_protocols()["mdma-at-ptsd-phase3"]
    visits = schedule_propose(protocol=protocol, start_date=START, washout_date=None)
    due = measure_due_dates(protocol, visits)
    pcl5 = [(d, t) for code, d, t in due if code == "PCL-5"]
    assert (START, "baseline") in pcl5
    assert len(pcl5) == 7  # baseline, before each of 3 sessions, end, follow-ups at 6 and 12 months
    first = START + dt.timedelta(days=21)
    assert ("PPS", first - dt.timedelta(days=1), "before_medicine_session_1") in due
    assert ("EBI", first + dt.timedelta(days=1), "after_medicine_session_1") in due


def test_visit_texts_read_in_each_viewers_language(course):
    """A schedule proposed in one language reads in the other for a colleague."""
    from django.utils import translation

    from holdspace.courses.models import Visit

    with translation.override("nb"):
        visit = Visit.objects.get(
            pk=course.visits.get(kind=VisitKind.MEDICINE_SESSION, number=1).pk
        )
        norwegian = (visit.label, visit.needs)
    with translation.override("en"):
        english = (visit.label, visit.needs)
    assert english[0] == "Medicine session 1"
    assert norwegian[0] != english[0] and "1" in norwegian[0]
    assert norwegian[1] != english[1]
    # The stored columns keep English for exports.
    assert visit.label_stored == "Medicine session 1"
