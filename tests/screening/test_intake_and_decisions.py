"""Intake facts, bad input, signed decisions, outdated decisions and the washout plan."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from holdspace.audit.models import AuditEvent
from holdspace.people.actors import Actor
from holdspace.screening import selectors, services
from holdspace.screening.models import Medication, ScreeningDecision

from ..factories import PASSWORD, TOTP_SECRET
from .helpers import record


def _by(member):  # type: ignore[no-untyped-def]
    return Actor.command_line(member)


def _vitals(member, client, **values):  # type: ignore[no-untyped-def]
    reading = {"systolic": 120, "diastolic": 80, "heart_rate": 70, "temperature_c": Decimal("36.8")}
    reading.update(values)
    return services.vitals_record(
        by=_by(member), client=client, measured_at=timezone.now(), **reading
    )


@pytest.mark.parametrize(
    "values, field",
    [
        ({"systolic": 400}, "systolic"),
        ({"diastolic": 130, "systolic": 120}, "diastolic"),
        ({"temperature_c": Decimal("15.0")}, "temperature_c"),
        ({"heart_rate": 5}, "heart_rate"),
    ],
)
def test_impossible_vitals_are_refused_beside_the_field(values, field, clinics, coordinator):
    with pytest.raises(ValidationError) as error:
        _vitals(coordinator, clinics.client, **values)
    assert field in error.value.message_dict
    assert not selectors.vitals_for(clinics.client).exists()


def test_plausible_vitals_are_kept_and_audited_by_field_name(clinics, coordinator):
    _vitals(coordinator, clinics.client)
    event = AuditEvent.objects.filter(action="screening.vitals.record").get()
    assert "systolic" in event.fields and event.client_code == clinics.client.code


def test_a_qtc_without_a_unit_is_refused(clinics, coordinator):
    with pytest.raises(ValidationError) as error:
        services.medical_history_record(by=_by(coordinator), client=clinics.client, qtc_value=430)
    assert "qtc_unit" in error.value.message_dict


def test_a_last_use_in_the_future_is_refused(clinics, coordinator):
    with pytest.raises(ValidationError) as error:
        services.experience_add(
            by=_by(coordinator),
            client=clinics.client,
            substance="mdma",
            context="festival",
            times=3,
            how_it_went="good",
            last_use=timezone.localdate() + dt.timedelta(days=1),
        )
    assert "last_use" in error.value.message_dict


@pytest.mark.requirement("REQ-SCR-003")
def test_an_unknown_medication_is_refused_until_kept_then_flagged(clinics, coordinator):
    with pytest.raises(ValidationError) as error:
        services.medication_add(by=_by(coordinator), client=clinics.client, name="Zzzolpixx")
    assert "matches nothing" in error.value.message_dict["name"][0]
    row = services.medication_add(
        by=_by(coordinator), client=clinics.client, name="Zzzolpixx", keep_unmatched=True
    )
    assert row.unmatched and row.name == "Zzzolpixx"


@pytest.mark.requirement("REQ-SCR-004")
def test_a_brand_name_is_recorded_under_its_generic(clinics, coordinator):
    row = services.medication_add(by=_by(coordinator), client=clinics.client, name="Cipralex")
    assert (row.name, row.list_key) == ("escitalopram", "escitalopram")


def test_histories_are_versions_not_overwrites(clinics, coordinator):
    services.medical_history_record(by=_by(coordinator), client=clinics.client)
    services.medical_history_record(by=_by(coordinator), client=clinics.client, arrhythmia=True)
    assert selectors.medical_history_current(clinics.client).arrhythmia is True  # type: ignore[union-attr]
    event = (
        AuditEvent.objects.filter(action="screening.medical_history.record").order_by("id").last()
    )
    assert event is not None and event.fields == ["arrhythmia"]


def test_researchers_and_clinic_admins_record_nothing(clinics, researcher, clinic_admin):
    for member in (researcher, clinic_admin):
        with pytest.raises(PermissionDenied):
            services.medical_history_record(by=_by(member), client=clinics.client)


def test_a_therapist_off_the_care_team_records_nothing(clinics, therapist_off_team):
    with pytest.raises(PermissionDenied):
        services.psychiatric_history_record(by=_by(therapist_off_team), client=clinics.client)


# Decisions ---------------------------------------------------------------------------------


def _ssri_client(clinics, coordinator, stopped_days_ago=3):  # type: ignore[no-untyped-def]
    record(
        clinics.client,
        coordinator,
        {"medical": {}, "psychiatric": {}, "medication": ("Cipralex", stopped_days_ago)},
    )
    return clinics.client


@pytest.mark.requirement("REQ-SCR-005")
def test_only_a_medical_lead_signs(clinics, coordinator, therapist):
    client = _ssri_client(clinics, coordinator)
    for member in (coordinator, therapist):
        with pytest.raises(PermissionDenied):
            services.decision_sign(
                by=_by(member), client=client, decision="deferred", reason="", secret=PASSWORD
            )


@pytest.mark.requirement("REQ-SCR-005")
def test_signing_needs_the_leads_password_or_code(clinics, coordinator, lead):
    client = _ssri_client(clinics, coordinator)
    with pytest.raises(ValidationError) as error:
        services.decision_sign(
            by=_by(lead), client=client, decision="deferred", reason="", secret="wrong"
        )
    assert "secret" in error.value.message_dict
    assert AuditEvent.objects.filter(action="screening.decision.sign_refused").exists()
    import pyotp

    code = pyotp.TOTP(TOTP_SECRET).now()
    row = services.decision_sign(
        by=_by(lead), client=client, decision="deferred", reason="", secret=code
    )
    assert row.decision == "deferred"


def test_eligible_despite_a_finding_needs_a_written_reason(clinics, coordinator, lead):
    client = _ssri_client(clinics, coordinator)
    with pytest.raises(ValidationError) as error:
        services.decision_sign(
            by=_by(lead), client=client, decision="eligible", reason=" ", secret=PASSWORD
        )
    assert "ssri-snri-taper" in error.value.message_dict["reason"][0]
    row = services.decision_sign(
        by=_by(lead),
        client=client,
        decision="eligible",
        reason="Escitalopram stopped; first session after the washout.",
        secret=PASSWORD,
    )
    assert row.overridden_rule_ids == ["ssri-snri-taper"]
    assert row.ruleset_version
    assert AuditEvent.objects.filter(action="screening.decision.sign").exists()
    eligibility = selectors.screening_eligibility(client)
    assert (eligibility.eligible, eligibility.status) == (True, "eligible")


def test_a_signed_decision_is_locked(clinics, coordinator, lead):
    client = _ssri_client(clinics, coordinator)
    row = services.decision_sign(
        by=_by(lead), client=client, decision="not_eligible", reason="", secret=PASSWORD
    )
    row.decision = "eligible"
    with pytest.raises(ValueError, match="locked"):
        row.save()
    with pytest.raises(ValueError):
        row.delete()
    assert ScreeningDecision.objects.get().decision == "not_eligible"


def test_a_later_change_of_facts_makes_the_decision_outdated(clinics, coordinator, lead):
    client = _ssri_client(clinics, coordinator)
    services.decision_sign(
        by=_by(lead), client=client, decision="eligible", reason="Plan agreed.", secret=PASSWORD
    )
    _vitals(coordinator, client)
    eligibility = selectors.screening_eligibility(client)
    assert (eligibility.eligible, eligibility.status) == (False, "outdated")


def test_facts_changed_at_is_the_latest_change_over_every_intake_table(clinics, coordinator):
    """The five intake tables are read in one query; each client gets the latest moment of
    any of them, and a client with no facts none."""
    client = _ssri_client(clinics, coordinator)  # medical, psychiatric, a medication
    reading = _vitals(coordinator, client)
    Medication.objects.filter(client=client).update(
        updated_at=reading.recorded_at + dt.timedelta(hours=1)
    )
    other = _vitals(coordinator, clinics.other_client)
    changed = selectors.facts_changed_at_many(
        [client.pk, clinics.other_client.pk, clinics.south_client.pk]
    )
    assert changed[client.pk] == reading.recorded_at + dt.timedelta(hours=1)
    assert changed[clinics.other_client.pk] == other.recorded_at
    assert clinics.south_client.pk not in changed
    assert selectors.facts_changed_at_many([]) == {}


def test_eligibility_before_anything_is_recorded(clinics, coordinator):
    assert selectors.screening_eligibility(clinics.client).status == "not_started"
    _vitals(coordinator, clinics.client)
    assert selectors.screening_eligibility(clinics.client).status == "pending_decision"


# Washout -----------------------------------------------------------------------------------


def test_the_washout_plan_gives_last_dose_and_earliest_session(clinics, coordinator):
    client = _ssri_client(clinics, coordinator, stopped_days_ago=3)
    today = timezone.localdate()
    [plan] = selectors.washout_plans_for(client)
    assert plan.medication_name == "escitalopram"
    assert plan.drug_class == "ssri"
    assert plan.last_dose_date == today - dt.timedelta(days=3)
    assert plan.washout_days == 14
    assert plan.earliest_session_date == today + dt.timedelta(days=11)
    assert plan.rule_id == "ssri-snri-taper"
    assert selectors.earliest_medicine_session_date(client) == today + dt.timedelta(days=11)


def test_while_still_taking_the_earliest_date_is_at_least_a_washout_away(clinics, coordinator):
    record(clinics.client, coordinator, {"medication": ("Efexor", None)})
    [plan] = selectors.washout_plans_for(clinics.client)
    assert plan.last_dose_date is None
    assert plan.earliest_session_date == timezone.localdate() + dt.timedelta(days=14)


def test_the_latest_washout_wins_and_a_finished_one_leaves_nothing_to_wait_for(
    clinics, coordinator
):
    today = timezone.localdate()
    record(clinics.client, coordinator, {"medication": ("sertraline", 2)})
    record(clinics.client, coordinator, {"medication": ("Nardil", 10)})
    assert selectors.earliest_medicine_session_date(clinics.client) == today + dt.timedelta(12)
    record(clinics.other_client, coordinator, {"medication": ("sertraline", 40)})
    assert selectors.earliest_medicine_session_date(clinics.other_client) is None
    assert selectors.earliest_medicine_session_date(clinics.south_client) is None


def test_recording_the_last_dose_starts_the_washout(clinics, coordinator):
    record(clinics.client, coordinator, {"medication": ("Cipralex", None)})
    medication = Medication.objects.get()
    today = timezone.localdate()
    services.medication_update(
        by=_by(coordinator), medication=medication, dose="5 mg", stop_date=today
    )
    assert selectors.earliest_medicine_session_date(clinics.client) == today + dt.timedelta(14)


# Clinic overrides --------------------------------------------------------------------------


def test_a_clinic_override_changes_the_outcome_and_the_ruleset_version(clinics, coordinator, lead):
    from .helpers import rule_ids

    record(clinics.client, coordinator, {"medical": {"qtc_value": 470, "qtc_unit": "ms"}})
    from holdspace.screening.engine import evaluate_client

    before = evaluate_client(clinics.client).version
    assert rule_ids(clinics.client)["qtc-prolongation"] == "medical_review"
    services.rule_override_set(
        by=_by(lead), rule_id="qtc-prolongation", enabled=True, outcome="exclude",
        reason="Our cardiologist's advice.",
    )  # fmt: skip
    assert rule_ids(clinics.client)["qtc-prolongation"] == "exclude"
    assert evaluate_client(clinics.client).version != before
    services.rule_override_set(
        by=_by(lead), rule_id="qtc-prolongation", enabled=False, outcome="", reason="Off."
    )
    assert "qtc-prolongation" not in rule_ids(clinics.client)
    # Another clinic is not affected.
    assert AuditEvent.objects.filter(action="screening.rule.override").count() == 2


def test_a_clinic_setting_moves_the_threshold(clinics, coordinator, lead):
    from .helpers import rule_ids

    record(clinics.client, coordinator, {"medical": {"qtc_value": 470, "qtc_unit": "ms"}})
    services.setting_override_set(by=_by(lead), key="qtc_review_ms", value=480, reason="Review")
    assert "qtc-prolongation" not in rule_ids(clinics.client)
    with pytest.raises(ValidationError):
        services.setting_override_set(by=_by(lead), key="qtc_review_ms", value=9000, reason="x")


def test_only_medical_leads_change_rules(clinics, coordinator, clinic_admin):
    for member in (coordinator, clinic_admin):
        with pytest.raises(PermissionDenied):
            services.rule_override_set(
                by=_by(member), rule_id="lithium", enabled=False, outcome="", reason="x"
            )
