"""Assigning, entering on behalf, score-only entry, alerts, rescoring: permission and audit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from holdspace.audit.models import AuditEvent
from holdspace.measures import library, services
from holdspace.measures.models import AssignmentState, EnteredBy, SafetyAlert, Score
from holdspace.measures.scoring import AnswerError

from .helpers import actor, assign, phq9

pytestmark = pytest.mark.django_db


def test_assignment_create_is_audited_and_due(clinics, therapist):
    assignment = services.assignment_create(
        by=actor(therapist),
        client=clinics.client,
        instrument_code="PCL-5",
        due_on=dt.date(2030, 1, 1),
        timepoint="baseline",
    )
    assert assignment.state == AssignmentState.DUE and assignment.timepoint == "baseline"
    event = AuditEvent.objects.get(action="measures.assignment.create")
    assert event.client_code == clinics.client.code
    assert event.fields == ["due_on", "instrument_code", "timepoint"]


def test_researchers_and_off_team_therapists_may_not_assign(
    clinics, researcher, therapist_off_team
):
    for member in (researcher, therapist_off_team):
        with pytest.raises(PermissionDenied):
            assign(member, clinics.client)


def test_an_unknown_instrument_is_404(clinics, therapist):
    from django.http import Http404

    with pytest.raises(Http404):
        assign(therapist, clinics.client, code="NOPE")


def test_pps_cannot_be_assigned_while_unconfirmed(clinics, therapist):
    with pytest.raises(ValidationError):
        assign(therapist, clinics.client, code="PPS")


def test_clinician_entry_scores_at_once_and_closes_the_assignment(clinics, therapist):
    assignment = assign(therapist, clinics.client)
    score = services.response_record(
        by=actor(therapist), client=clinics.client, instrument_code="PHQ-9", answers=phq9(12)
    )
    assert (score.total, score.band, score.definition_version) == (12, "moderate", "2001.1")
    assert score.response.entered_by == EnteredBy.CLINICIAN
    assignment.refresh_from_db()
    assert assignment.state == AssignmentState.COMPLETED


def test_a_wrong_answer_saves_nothing(clinics, therapist):
    with pytest.raises(AnswerError):
        services.response_record(
            by=actor(therapist),
            client=clinics.client,
            instrument_code="PHQ-9",
            answers=phq9(3) | {"2": 7},
        )
    assert not Score.objects.exists()
    assert not clinics.client.responses.exists()


def test_score_only_entry_for_bdi2(clinics, therapist):
    score = services.score_record_total(
        by=actor(therapist), client=clinics.client, instrument_code="BDI-II", total=21
    )
    assert (score.total, score.band) == (21, "moderate")
    assert score.response.entered_by == EnteredBy.SCORE_ONLY
    with pytest.raises(AnswerError):
        services.score_record_total(
            by=actor(therapist), client=clinics.client, instrument_code="BDI-II", total=70
        )


@pytest.mark.requirement("REQ-MEA-001")
def test_phq9_item9_raises_an_act_alert_at_once(clinics, therapist):
    services.response_record(
        by=actor(therapist), client=clinics.client, instrument_code="PHQ-9", answers=phq9(2, 1)
    )
    alert = SafetyAlert.objects.get()
    assert (alert.severity, alert.source, alert.reason_code) == ("act", "measures", "phq9.item9")
    assert AuditEvent.objects.filter(action="measures.safety_alert.raise").exists()


@pytest.mark.requirement("REQ-MEA-002")
def test_clinician_rated_cssrs_moderate_raises_a_watch_alert(clinics, lead):
    services.response_record(
        by=actor(lead), client=clinics.client, instrument_code="C-SSRS", answers={"1": 2}
    )
    assert SafetyAlert.objects.get().severity == "watch"


def test_safety_alert_raise_refuses_free_text_and_unknown_levels(clinics):
    with pytest.raises(ValidationError):
        services.safety_alert_raise(
            by=None,
            client=clinics.client,
            severity="act",
            source="check-in",
            reason_code="client said something worrying",
        )
    with pytest.raises(ValidationError):
        services.safety_alert_raise(
            by=None, client=clinics.client, severity="red", source="check-in", reason_code="x.y"
        )


def test_other_apps_can_raise_alerts(clinics):
    alert = services.safety_alert_raise(
        by=None,
        client=clinics.client,
        severity="watch",
        source="check-in",
        reason_code="checkin.low",
    )
    assert alert.is_open


def test_acknowledge_needs_what_was_done_and_is_audited_without_the_text(clinics, therapist):
    alert = services.safety_alert_raise(
        by=None, client=clinics.client, severity="act", source="measures", reason_code="phq9.item9"
    )
    with pytest.raises(ValidationError):
        services.safety_alert_acknowledge(by=actor(therapist), alert=alert, action_taken="  ")
    done = services.safety_alert_acknowledge(
        by=actor(therapist), alert=alert, action_taken="Phoned the client; safety plan reviewed."
    )
    assert done.acknowledged_by == therapist.user and not done.is_open
    event = AuditEvent.objects.get(action="measures.safety_alert.acknowledge")
    assert "Phoned" not in str(event.__dict__)
    with pytest.raises(ValidationError):
        services.safety_alert_acknowledge(by=actor(therapist), alert=alert, action_taken="Again")


def test_only_the_care_team_and_medical_leads_acknowledge(
    clinics, therapist_off_team, researcher, lead
):
    alert = services.safety_alert_raise(
        by=None, client=clinics.client, severity="act", source="measures", reason_code="phq9.item9"
    )
    for member in (therapist_off_team, researcher):
        with pytest.raises(PermissionDenied):
            services.safety_alert_acknowledge(by=actor(member), alert=alert, action_taken="x")
    services.safety_alert_acknowledge(by=actor(lead), alert=alert, action_taken="Seen")


def test_rescore_recomputes_with_the_corrected_definition_and_audits(
    clinics, therapist, monkeypatch
):
    score = services.response_record(
        by=actor(therapist), client=clinics.client, instrument_code="PHQ-9", answers=phq9(10)
    )
    shipped = dict(library.shipped())
    corrected = shipped["PHQ-9"].model_copy(update={"version": "2001.2"})
    monkeypatch.setattr(library, "_shipped", shipped | {"PHQ-9": corrected})
    call_command("measures", "rescore")
    score.refresh_from_db()
    assert score.definition_version == "2001.2"
    assert AuditEvent.objects.filter(
        action="measures.score.rescore", target_id=str(score.pk)
    ).exists()
    call_command("measures", "rescore")  # idempotent
    assert AuditEvent.objects.filter(action="measures.score.rescore").count() == 1


def test_reminders_email_due_and_overdue_clients_once(clinics, therapist, mailoutbox):
    assign(therapist, clinics.client, days=-2)
    assign(therapist, clinics.client, days=30)
    call_command("measures", "remind")
    assert len(mailoutbox) == 1
    assert "overdue" in mailoutbox[0].subject
    assert "PHQ" not in mailoutbox[0].body  # nothing clinical in an email
    call_command("measures", "remind")
    assert len(mailoutbox) == 1
