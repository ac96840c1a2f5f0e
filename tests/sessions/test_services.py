"""The medicine session's rules, through its services."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from holdspace.audit.models import AuditEvent
from holdspace.sessions import selectors, services
from holdspace.sessions.models import (
    Dose,
    MedicineSession,
    SessionAlert,
    SessionSettings,
    TimelineEntry,
    VitalReading,
)
from holdspace.sessions.timeline import timeline
from holdspace.sessions.vitals import classify

from .conftest import act, give_initial, make_ready

pytestmark = pytest.mark.django_db


def _backdate(session: MedicineSession, minutes: int) -> MedicineSession:
    MedicineSession.objects.filter(pk=session.pk).update(
        started_at=timezone.now() - dt.timedelta(minutes=minutes)
    )
    session.refresh_from_db()
    return session


def _reading(session, member, **overrides):  # type: ignore[no-untyped-def]
    values = {"systolic": 125, "diastolic": 80, "heart_rate": 75, "temperature": "37.0", "suds": 3}
    values.update(overrides)
    return services.vital_record(by=act(member), session=session, **values)


# Starting --------------------------------------------------------------------------------------


def test_session_cannot_start_without_two_attested_therapists(session, therapist, co_therapist):
    services.team_attest(by=act(therapist), session=session)
    services.checklist_set(
        by=act(therapist),
        session=session,
        items=dict.fromkeys(selectors.checklist_labels(), True),
    )
    _reading(session, therapist)
    with pytest.raises(ValidationError) as refused:
        services.session_start(by=act(therapist), session=session)
    assert "1 of 2 therapists" in str(refused.value)
    services.team_attest(by=act(co_therapist), session=session)
    started = services.session_start(by=act(therapist), session=session)
    assert started.status == "running"
    assert started.next_reading_due_at is not None


@pytest.mark.requirement("REQ-SES-006")
def test_session_cannot_start_until_a_medical_lead_confirms_the_thresholds(
    session, therapist, co_therapist
):
    SessionSettings.objects.update(confirmed_at=None, confirmed_by=None)
    make_ready(session, therapist, co_therapist)
    with pytest.raises(ValidationError, match="medical lead has not yet confirmed"):
        services.session_start(by=act(therapist), session=session)


def test_only_a_medical_lead_confirms_thresholds(therapist):
    with pytest.raises(PermissionDenied):
        services.settings_confirm(by=act(therapist), values={})


def test_each_item_of_the_setting_checklist_blocks_the_start(session, therapist, co_therapist):
    make_ready(session, therapist, co_therapist)
    services.checklist_set(by=act(therapist), session=session, items={"eyeshades": False})
    items = [b.item for b in selectors.start_blockers(session)]
    assert items == ["eyeshades"]


def test_the_preparation_gate_blocks_the_start(session, therapist, co_therapist, prepared):
    make_ready(session, therapist, co_therapist)
    prepared["ready"] = False
    assert [b.item for b in selectors.start_blockers(session)] == ["preparation"]


def test_baseline_vitals_and_suds_are_needed(session, therapist, co_therapist):
    services.team_attest(by=act(therapist), session=session)
    services.team_attest(by=act(co_therapist), session=session)
    services.checklist_set(
        by=act(therapist), session=session, items=dict.fromkeys(selectors.checklist_labels(), True)
    )
    _reading(session, therapist, suds=None)
    assert [b.item for b in selectors.start_blockers(session)] == ["baseline"]


def test_a_medical_lead_overrides_a_missing_item_with_a_written_reason(
    session, therapist, co_therapist, lead
):
    make_ready(session, therapist, co_therapist)
    services.checklist_set(by=act(therapist), session=session, items={"blanket": False})
    with pytest.raises(ValidationError, match="Write why"):
        services.start_override(by=act(lead), session=session, item="blanket", reason="  ")
    with pytest.raises(PermissionDenied):
        services.start_override(by=act(therapist), session=session, item="blanket", reason="x")
    services.start_override(
        by=act(lead), session=session, item="blanket", reason="Room is warm; blanket on order."
    )
    assert services.session_start(by=act(therapist), session=session).status == "running"


def test_the_team_cannot_be_overridden(session, therapist, lead):
    services.team_attest(by=act(therapist), session=session)
    with pytest.raises(ValidationError, match="cannot be overridden"):
        services.start_override(by=act(lead), session=session, item="team", reason="short")


def test_sobriety_is_attested_by_therapists_in_their_own_name(session, therapist, lead):
    with pytest.raises(PermissionDenied):
        services.team_attest(by=act(lead), session=session)
    presence = services.team_attest(by=act(therapist), session=session)
    assert presence.membership == therapist


def test_a_therapist_off_the_care_team_cannot_open_the_session(clinics, visit, therapist_off_team):
    with pytest.raises(PermissionDenied):
        services.session_open(by=act(therapist_off_team), visit=visit, client=clinics.client)


# Vital signs -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"systolic": 400}, "systolic"),
        ({"systolic": 120, "diastolic": 130}, "diastolic"),
        ({"temperature": "15"}, "temperature"),
        ({"heart_rate": "fast"}, "heart_rate"),
        ({"suds": 11}, "suds"),
        ({"taken_at": timezone.now() + dt.timedelta(hours=1)}, "taken_at"),
    ],
)
@pytest.mark.requirement("REQ-SES-004")
def test_impossible_readings_are_refused_beside_the_field_and_nothing_is_stored(
    running, therapist, values, field
):
    before = VitalReading.objects.count()
    with pytest.raises(ValidationError) as refused:
        _reading(running, therapist, **values)
    assert field in refused.value.message_dict
    assert VitalReading.objects.count() == before


@pytest.mark.requirement("REQ-SES-001")
def test_a_reading_beyond_act_raises_an_alert_and_shortens_the_next_reading(running, therapist):
    settings = selectors.settings_for(running.clinic_id)
    reading = _reading(running, therapist, heart_rate=130)
    running.refresh_from_db()
    alert = SessionAlert.objects.get(reading=reading)
    assert alert.tier == "act"
    assert "heart_rate.act" in alert.reasons
    due = running.next_reading_due_at - reading.taken_at
    assert due <= dt.timedelta(minutes=settings.vitals_after_alert_minutes + 1)


@pytest.mark.requirement("REQ-SES-002")
def test_a_reading_beyond_watch_raises_a_watch_alert(running, therapist):
    reading = _reading(running, therapist, systolic=165, diastolic=95)
    assert reading.tier == "watch"
    assert SessionAlert.objects.get(reading=reading).reasons == ["systolic.watch"]


def test_a_reading_within_limits_raises_nothing_and_keeps_the_cadence(running, therapist):
    reading = _reading(running, therapist)
    running.refresh_from_db()
    assert reading.tier == ""
    assert not SessionAlert.objects.exists()
    assert running.next_reading_due_at - timezone.now() > dt.timedelta(minutes=25)


@pytest.mark.requirement("REQ-SES-003")
def test_an_alert_stays_open_until_acknowledged_with_what_was_done(
    running, therapist, co_therapist
):
    _reading(running, therapist, temperature="38.9")
    alert = selectors.open_alerts(running).get()
    with pytest.raises(ValidationError, match="Say what was done"):
        services.alert_acknowledge(by=act(co_therapist), alert=alert, action_taken=" ")
    services.alert_acknowledge(by=act(co_therapist), alert=alert, action_taken="Cooled the room")
    assert not selectors.open_alerts(running).exists()
    with pytest.raises(ValidationError, match="already acknowledged"):
        services.alert_acknowledge(by=act(therapist), alert=alert, action_taken="again")


# Doses -----------------------------------------------------------------------------------------


def test_a_dose_before_the_session_started_is_refused(session, therapist, co_therapist):
    make_ready(session, therapist, co_therapist)
    with pytest.raises(ValidationError, match="Start the session"):
        give_initial(session, therapist)


def test_a_dose_timed_before_the_start_is_refused(running, therapist):
    with pytest.raises(ValidationError, match="Before the session started"):
        give_initial(running, therapist, minutes_ago=30)


def test_a_dose_in_the_future_is_refused(running, therapist):
    with pytest.raises(ValidationError, match="future"):
        give_initial(running, therapist, minutes_ago=-30)


def test_a_second_initial_dose_is_refused(running, therapist):
    give_initial(running, therapist)
    with pytest.raises(ValidationError, match="already recorded"):
        give_initial(running, therapist)
    assert Dose.objects.count() == 1


def test_an_initial_dose_above_the_plan_needs_a_reason(running, therapist):
    with pytest.raises(ValidationError) as refused:
        services.dose_give(
            by=act(therapist),
            session=running,
            kind="initial",
            substance="MDMA HCl",
            mg=120,
            lot_number="L1",
        )
    assert "reason" in refused.value.message_dict
    services.dose_give(
        by=act(therapist),
        session=running,
        kind="initial",
        substance="MDMA HCl",
        mg=120,
        lot_number="L1",
        reason="Medical lead chose 120 mg after review",
    )


def test_supplemental_dose_before_window_needs_reason(running, therapist):
    running = _backdate(running, 180)
    give_initial(running, therapist, minutes_ago=60)
    supplemental = {
        "by": act(therapist),
        "session": running,
        "kind": "supplemental",
        "substance": "MDMA HCl",
        "mg": 40,
        "lot_number": "L1",
    }
    with pytest.raises(ValidationError) as refused:
        services.dose_give(**supplemental)
    assert "outside its window" in refused.value.message_dict["reason"][0]
    services.dose_give(**supplemental, reason="Client asked early; lead agreed")
    assert Dose.objects.filter(kind="supplemental", given=True).count() == 1


def test_supplemental_dose_in_its_window_needs_no_reason(running, therapist):
    running = _backdate(running, 180)
    give_initial(running, therapist, minutes_ago=120)
    dose = services.dose_give(
        by=act(therapist),
        session=running,
        kind="supplemental",
        substance="MDMA HCl",
        mg=40,
        lot_number="L1",
    )
    assert dose.reason == ""


def test_the_supplemental_dose_is_withheld_with_a_reason(running, therapist):
    give_initial(running, therapist)
    with pytest.raises(ValidationError, match="withheld"):
        services.dose_withhold(by=act(therapist), session=running, reason="")
    services.dose_withhold(by=act(therapist), session=running, reason="BP 170/100 at 90 min")
    with pytest.raises(ValidationError, match="already recorded"):
        services.dose_withhold(by=act(therapist), session=running, reason="again")


# Timeline, adverse events ------------------------------------------------------------------------


def test_one_tap_entries_and_notes_make_one_timeline(running, therapist):
    give_initial(running, therapist)
    services.event_note(by=act(therapist), session=running, kind="music_changed")
    services.event_note(by=act(therapist), session=running, kind="note", text="Asked for water")
    with pytest.raises(ValidationError):
        services.event_note(by=act(therapist), session=running, kind="note", text="")
    with pytest.raises(ValidationError):
        services.event_note(by=act(therapist), session=running, kind="dancing")
    kinds = [item.kind for item in timeline(running)]
    assert {"status", "dose", "quick", "note", "vitals"} <= set(kinds)


def test_a_serious_event_shows_its_reporting_deadline(running, therapist):
    event = services.adverse_event_report(
        by=act(therapist),
        session=running,
        term="Chest pain",
        onset_at=timezone.now(),
        severity="severe",
        valence="unpleasant",
        relatedness="possible",
        outcome="ongoing",
        serious_criteria=["hospitalisation"],
        special_interest=["cardiovascular"],
    )
    assert event.serious
    days = (event.report_due_at - timezone.now()).days
    assert 14 <= days <= 15


def test_a_pleasant_event_is_recorded_with_abuse_potential(running, therapist):
    event = services.adverse_event_report(
        by=act(therapist),
        session=running,
        term="Euphoria",
        onset_at=timezone.now(),
        severity="mild",
        valence="pleasant",
        relatedness="probable",
        outcome="resolved",
        special_interest=["abuse_potential"],
    )
    assert not event.serious and event.report_due_at is None


@pytest.mark.requirement("REQ-SES-007")
def test_a_suicidality_event_raises_the_clinics_safety_alert(running, therapist):
    from holdspace.measures.models import SafetyAlert

    services.adverse_event_report(
        by=act(therapist),
        session=running,
        term="Suicidal ideation",
        onset_at=timezone.now(),
        severity="moderate",
        valence="unpleasant",
        relatedness="possible",
        outcome="ongoing",
        special_interest=["suicidality"],
    )
    assert SafetyAlert.objects.filter(client=running.client, severity="act").exists()


# Ending and the note ---------------------------------------------------------------------------


def _end(session, member, **kw):  # type: ignore[no-untyped-def]
    values = {
        "oriented_stable": True,
        "therapists_agree": True,
        "disposition": "escort_home",
        "companion_name": "A friend",
    }
    values.update(kw)
    return services.session_end(by=act(member), session=session, **values)


def test_discharge_needs_suds_at_or_below_baseline_and_vitals_within_limits(running, therapist):
    _reading(running, therapist, suds=5)
    with pytest.raises(ValidationError) as refused:
        _end(running, therapist)
    assert "suds_at_or_below_baseline" in refused.value.message_dict
    _reading(running, therapist, suds=2, systolic=170, diastolic=90)
    with pytest.raises(ValidationError) as refused:
        _end(running, therapist)
    assert "vitals_within_limits" in refused.value.message_dict
    for alert in selectors.open_alerts(running):
        services.alert_acknowledge(by=act(therapist), alert=alert, action_taken="Rest")
    _reading(running, therapist, suds=2)
    with pytest.raises(ValidationError) as refused:
        _end(running, therapist, therapists_agree=False, companion_name="")
    assert {"therapists_agree", "companion_name"} <= set(refused.value.message_dict)
    ended = _end(running, therapist)
    assert ended.status == "ended" and ended.discharge["therapists_agree"]


def test_entries_on_an_ended_session_are_refused(running, therapist):
    _end(running, therapist)
    running.refresh_from_db()
    with pytest.raises(ValidationError, match="ended"):
        _reading(running, therapist)
    with pytest.raises(ValidationError, match="ended"):
        services.event_note(by=act(therapist), session=running, kind="crying")
    assert not TimelineEntry.objects.exists()


def test_the_note_is_signed_by_both_therapists_then_locked(running, therapist, co_therapist):
    ended = _end(running, therapist)
    services.note_write(by=act(therapist), session=ended, text="Calm session.")
    services.note_sign(by=act(therapist), session=ended)
    with pytest.raises(ValidationError, match="signed and locked"):
        services.note_write(by=act(co_therapist), session=ended, text="Changed")
    ended.refresh_from_db()
    assert ended.note_locked_at is None
    ended = services.note_sign(by=act(co_therapist), session=ended)
    assert ended.note_locked_at is not None
    with pytest.raises(ValidationError, match="signed and locked"):
        services.note_write(by=act(therapist), session=ended, text="Changed")


@pytest.mark.requirement("REQ-AUD-003")
def test_every_write_is_audited_without_its_values(running, therapist):
    _reading(running, therapist, systolic=157, diastolic=91)
    services.event_note(by=act(therapist), session=running, kind="note", text="zebra-moon")
    events = AuditEvent.objects.filter(action__startswith="session.")
    actions = set(events.values_list("action", flat=True))
    assert {
        "session.open",
        "session.attest",
        "session.start",
        "session.vital_record",
        "session.event_note",
    } <= actions
    for event in events:
        assert "157" not in str(event.fields) and "zebra" not in str(event.fields)


# Thresholds as a property ----------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    systolic=st.integers(60, 260),
    diastolic=st.integers(30, 180),
    heart_rate=st.integers(30, 220),
    temperature=st.decimals("34.0", "42.0", places=1),
)
def test_the_tier_is_act_exactly_when_a_value_passes_an_act_threshold(
    systolic, diastolic, heart_rate, temperature
):
    from holdspace.sessions.models import SessionSettings as Settings

    clinic_settings = Settings(**selectors.settings_defaults())
    tier, reasons = classify(
        clinic_settings,
        systolic=systolic,
        diastolic=diastolic,
        heart_rate=heart_rate,
        temperature=temperature,
        spo2=None,
    )
    over_act = (
        diastolic > clinic_settings.diastolic_act
        or heart_rate > clinic_settings.heart_rate_act
        or temperature > clinic_settings.temperature_act
    )
    over_watch = (
        systolic > clinic_settings.systolic_watch
        or heart_rate > clinic_settings.heart_rate_watch
        or temperature > clinic_settings.temperature_watch
    )
    assert (tier == "act") == over_act
    assert (tier == "") == (not over_act and not over_watch)
    assert bool(reasons) == (tier != "")


def test_a_running_session_puts_the_client_in_the_medicine_session_phase(
    clinics, running, therapist
):
    from django.urls import reverse

    from holdspace.people.models import Phase

    from ..conftest import signed_in

    clinics.client.refresh_from_db()
    assert clinics.client.phase == Phase.MEDICINE_SESSIONS
    listed = signed_in(therapist).get(reverse("people:client_list"), {"phase": "medicine_sessions"})
    assert clinics.client.code in listed.content.decode()
    api = signed_in(therapist).get(f"/api/v1/clients/{clinics.client.code}")
    assert api.json()["phase"] == "medicine_sessions"
