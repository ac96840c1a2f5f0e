"""Every write of intake and screening: permission, checks, transaction and audit in one place.

Checks that protect the record (plausible vitals, a unit beside a QTc, no future dates) live
here, so the pages, the API and the demo all get the same answer, beside the field it concerns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from holdspace.people.actors import Actor
from holdspace.people.auditing import audit_write
from holdspace.people.models import Client
from holdspace.people.policies import require

from . import policies
from .engine import evaluate_client
from .medications import medication_list
from .models import (
    OUTCOME_CHOICES,
    Decision,
    MedicalHistory,
    Medication,
    PriorExperience,
    PsychiatricHistory,
    QtcUnit,
    RuleOverride,
    ScreeningDecision,
    SettingOverride,
    VitalsReading,
)
from .rules import shipped_rules

# Data-entry plausibility, not clinical thresholds: values outside these are typing errors.
SYSTOLIC_RANGE = (50, 300)
DIASTOLIC_RANGE = (20, 200)
HEART_RATE_RANGE = (20, 250)
TEMPERATURE_RANGE = (Decimal("30.0"), Decimal("45.0"))
QTC_MS_RANGE = (200, 800)

# Findings a medical lead must give a written reason to decide "eligible" despite. A monitor
# finding is a note for the sessions, not something to override.
OVERRIDE_OUTCOMES = frozenset({"exclude", "medical_review", "taper_washout"})

MEDICAL_FIELDS = [f.name for f in MedicalHistory._meta.fields if f.name not in {
    "id", "client", "recorded_at", "recorded_by"}]  # fmt: skip
PSYCHIATRIC_FIELDS = [f.name for f in PsychiatricHistory._meta.fields if f.name not in {
    "id", "client", "recorded_at", "recorded_by"}]  # fmt: skip


def _require_intake(by: Actor, client: Client) -> None:
    require(by, policies.can_record_intake, client, message=_("You may not record intake."))


def intake_record(
    *,
    by: Actor,
    client: Client,
    medical: dict[str, Any] | None = None,
    psychiatric: dict[str, Any] | None = None,
    vitals: dict[str, Any] | None = None,
    experiences: Sequence[dict[str, Any]] = (),
    partial: bool = False,
) -> None:
    """Record an intake document in one transaction: all of it or none of it.

    `partial=False` (a PUT): `medical` and `psychiatric` are complete new versions.
    `partial=True` (a PATCH): they carry only the changed fields; every field not sent keeps
    its current value (a contraindication is never dropped by leaving it out)."""
    _require_intake(by, client)
    with transaction.atomic():
        if medical is not None:
            if partial:
                medical = {**_current_facts(MedicalHistory, client, MEDICAL_FIELDS), **medical}
            medical_history_record(by=by, client=client, **medical)
        if psychiatric is not None:
            if partial:
                psychiatric = {
                    **_current_facts(PsychiatricHistory, client, PSYCHIATRIC_FIELDS),
                    **psychiatric,
                }
            psychiatric_history_record(by=by, client=client, **psychiatric)
        if vitals is not None:
            vitals_record(by=by, client=client, **vitals)
        for experience in experiences:
            experience_add(by=by, client=client, **experience)


def _current_facts(model: Any, client: Client, names: list[str]) -> dict[str, Any]:
    """The current version's facts, or the model's defaults when there is none yet."""
    current = model.objects.filter(client=client).first() or model()
    return {name: getattr(current, name) for name in names}


def _in_range(errors: dict[str, str], field: str, value: Any, limits: tuple[Any, Any]) -> None:
    if value is not None and not limits[0] <= value <= limits[1]:
        errors[field] = _("%(value)s is outside what is possible (%(low)s to %(high)s).") % {
            "value": value,
            "low": limits[0],
            "high": limits[1],
        }


def medical_history_record(*, by: Actor, client: Client, **facts: Any) -> MedicalHistory:
    """Add a new version of the medical history (earlier versions stay)."""
    _require_intake(by, client)
    unknown = set(facts) - set(MEDICAL_FIELDS)
    if unknown:
        raise ValidationError({"__all__": f"Unknown fields: {', '.join(sorted(unknown))}"})
    errors: dict[str, str] = {}
    if facts.get("qtc_value") is not None and not facts.get("qtc_unit"):
        errors["qtc_unit"] = _("Give the unit of the QTc value (milliseconds).")
    if facts.get("qtc_unit") and facts["qtc_unit"] not in QtcUnit.values:
        errors["qtc_unit"] = _("QTc is recorded in milliseconds (ms).")
    if facts.get("qtc_unit") == QtcUnit.MS:
        _in_range(errors, "qtc_value", facts.get("qtc_value"), QTC_MS_RANGE)
    _in_range(errors, "weight_kg", facts.get("weight_kg"), (Decimal(20), Decimal(400)))
    _in_range(errors, "height_cm", facts.get("height_cm"), (100, 250))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        previous = MedicalHistory.objects.filter(client=client).first()
        row = MedicalHistory(client=client, recorded_by=by.user, **facts)
        row.full_clean(exclude=["client", "recorded_by"])
        row.save()
        audit_write(
            by,
            "screening.medical_history.record",
            target=row,
            client_code=client.code,
            fields=_changed(previous, row, MEDICAL_FIELDS),
        )
    return row


def psychiatric_history_record(*, by: Actor, client: Client, **facts: Any) -> PsychiatricHistory:
    _require_intake(by, client)
    unknown = set(facts) - set(PSYCHIATRIC_FIELDS)
    if unknown:
        raise ValidationError({"__all__": f"Unknown fields: {', '.join(sorted(unknown))}"})
    with transaction.atomic():
        previous = PsychiatricHistory.objects.filter(client=client).first()
        row = PsychiatricHistory(client=client, recorded_by=by.user, **facts)
        row.full_clean(exclude=["client", "recorded_by"])
        row.save()
        audit_write(
            by,
            "screening.psychiatric_history.record",
            target=row,
            client_code=client.code,
            fields=_changed(previous, row, PSYCHIATRIC_FIELDS),
        )
    return row


def _changed(previous: Any, row: Any, names: list[str]) -> list[str]:
    if previous is None:
        return names
    return [n for n in names if getattr(previous, n) != getattr(row, n)]


def vitals_record(
    *,
    by: Actor,
    client: Client,
    measured_at: dt.datetime,
    systolic: int,
    diastolic: int,
    heart_rate: int,
    temperature_c: Decimal | None = None,
) -> VitalsReading:
    _require_intake(by, client)
    errors: dict[str, str] = {}
    _in_range(errors, "systolic", systolic, SYSTOLIC_RANGE)
    _in_range(errors, "diastolic", diastolic, DIASTOLIC_RANGE)
    _in_range(errors, "heart_rate", heart_rate, HEART_RATE_RANGE)
    _in_range(errors, "temperature_c", temperature_c, TEMPERATURE_RANGE)
    if "diastolic" not in errors and "systolic" not in errors and diastolic >= systolic:
        errors["diastolic"] = _("The diastolic pressure must be lower than the systolic.")
    if measured_at > timezone.now() + dt.timedelta(minutes=5):
        errors["measured_at"] = _("A measurement cannot be in the future.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        row = VitalsReading.objects.create(
            client=client,
            recorded_by=by.user,
            measured_at=measured_at,
            systolic=systolic,
            diastolic=diastolic,
            heart_rate=heart_rate,
            temperature_c=temperature_c,
        )
        audit_write(
            by,
            "screening.vitals.record",
            target=row,
            client_code=client.code,
            fields=["measured_at", "systolic", "diastolic", "heart_rate", "temperature_c"],
        )
    return row


def _medication_dates(errors: dict[str, str], start: dt.date | None, stop: dt.date | None) -> None:
    if start is not None and start > timezone.localdate():
        errors["start_date"] = _("A start date cannot be in the future.")
    if start is not None and stop is not None and stop < start:
        errors["stop_date"] = _("The last dose cannot be before the start date.")


def medication_add(
    *,
    by: Actor,
    client: Client,
    name: str,
    dose: str = "",
    start_date: dt.date | None = None,
    stop_date: dt.date | None = None,
    keep_unmatched: bool = False,
) -> Medication:
    """Record a medication. A name the list does not know is kept only when asked, and flagged."""
    _require_intake(by, client)
    name = name.strip()
    errors: dict[str, str] = {}
    drug = medication_list().match(name)
    if not name:
        errors["name"] = _("Give the medication's name.")
    elif drug is None and not keep_unmatched:
        errors["name"] = _(
            "“%(name)s” matches nothing in the medication list. Check the spelling, or tick "
            "“keep as written” to record it for medical review."
        ) % {"name": name}
    _medication_dates(errors, start_date, stop_date)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        row = Medication.objects.create(
            client=client,
            recorded_by=by.user,
            name=drug.key if drug is not None else name,
            list_key=drug.key if drug is not None else "",
            dose=dose.strip(),
            start_date=start_date,
            stop_date=stop_date,
        )
        audit_write(
            by,
            "screening.medication.add",
            target=row,
            client_code=client.code,
            fields=["name", "dose", "start_date", "stop_date"],
        )
    return row


def medication_update(
    *, by: Actor, medication: Medication, dose: str, stop_date: dt.date | None
) -> Medication:
    """Change the dose or record the last dose (the start of a washout)."""
    client = medication.client
    _require_intake(by, client)
    errors: dict[str, str] = {}
    _medication_dates(errors, medication.start_date, stop_date)
    if errors:
        raise ValidationError(errors)
    changed = [
        n
        for n, v in (("dose", dose.strip()), ("stop_date", stop_date))
        if getattr(medication, n) != v
    ]
    with transaction.atomic():
        medication.dose = dose.strip()
        medication.stop_date = stop_date
        medication.save(update_fields=["dose", "stop_date", "updated_at"])
        audit_write(
            by, "screening.medication.update", target=medication, client_code=client.code,
            fields=changed,
        )  # fmt: skip
    return medication


def experience_add(
    *,
    by: Actor,
    client: Client,
    substance: str,
    context: str,
    times: int,
    how_it_went: str,
    last_use: dt.date | None = None,
    intention: str = "",
    sober_person_present: bool = False,
    co_used_substances: str = "",
    notes: str = "",
) -> PriorExperience:
    _require_intake(by, client)
    errors: dict[str, str] = {}
    if last_use is not None and last_use > timezone.localdate():
        errors["last_use"] = _("The last use cannot be in the future.")
    if times is None or times < 1:
        errors["times"] = _("Count at least one time.")
    if errors:
        raise ValidationError(errors)
    row = PriorExperience(
        client=client,
        recorded_by=by.user,
        substance=substance,
        context=context,
        times=times,
        last_use=last_use,
        intention=intention.strip(),
        sober_person_present=sober_person_present,
        co_used_substances=co_used_substances.strip(),
        how_it_went=how_it_went,
        notes=notes.strip(),
    )
    row.full_clean(exclude=["client", "recorded_by"])
    with transaction.atomic():
        row.save()
        audit_write(
            by,
            "screening.experience.add",
            target=row,
            client_code=client.code,
            fields=["substance", "context", "times", "last_use", "how_it_went", "notes"],
        )
    return row


def _secret_is_valid(by: Actor, secret: str) -> bool:
    """The signer's password, or a current code from their authenticator app."""
    user = by.user
    if user is None or not secret:
        return False
    if user.check_password(secret):
        return True
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    device = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    return device is not None and bool(TOTP(device).validate_code(secret.strip()))


def decision_sign(
    *, by: Actor, client: Client, decision: str, reason: str, secret: str
) -> ScreeningDecision:
    """A medical lead signs eligible / not eligible / deferred. Locked once signed."""
    require(
        by,
        policies.can_sign_decision,
        client,
        message="Only a medical lead may sign a screening decision.",
    )
    errors: dict[str, str] = {}
    if decision not in Decision.values:
        errors["decision"] = _("Choose eligible, not eligible or deferred.")
    evaluation = evaluate_client(client)
    overridden = sorted({f.rule_id for f in evaluation.findings if f.outcome in OVERRIDE_OUTCOMES})
    reason = reason.strip()
    if decision == Decision.ELIGIBLE and overridden and not reason:
        errors["reason"] = _(
            "Deciding eligible despite these findings needs a written reason: %(rules)s."
        ) % {"rules": ", ".join(overridden)}
    if not _secret_is_valid(by, secret):
        errors["secret"] = _("That is not your password or a current authenticator code.")
        # Kept even though nothing is signed: repeated failures are worth seeing in the log.
        audit_write(by, "screening.decision.sign_refused", target=client, client_code=client.code)
    if errors:
        raise ValidationError(errors)
    assert by.user is not None  # noqa: S101  (checked by _secret_is_valid)
    with transaction.atomic():
        row = ScreeningDecision.objects.create(
            client=client,
            decision=decision,
            reason=reason,
            overridden_rule_ids=overridden if decision == Decision.ELIGIBLE else [],
            findings=[f.as_dict() for f in evaluation.findings],
            ruleset_version=evaluation.version,
            signed_by=by.user,
            signed_at=timezone.now(),
        )
        audit_write(
            by,
            "screening.decision.sign",
            target=row,
            client_code=client.code,
            fields=["decision", "reason", "ruleset_version"],
        )
    return row


def rule_override_set(
    *, by: Actor, rule_id: str, enabled: bool, outcome: str, reason: str
) -> RuleOverride:
    """A clinic's medical lead switches a rule off or changes its outcome (a new version)."""
    membership = by.membership
    if membership is None or not policies.can_manage_rules(membership):
        raise PermissionDenied("Only a medical lead may change the clinic's screening rules.")
    errors: dict[str, str] = {}
    rule = shipped_rules().rule(rule_id)
    if rule is None:
        errors["rule_id"] = _("No such rule.")
    if outcome and outcome not in dict(OUTCOME_CHOICES):
        errors["outcome"] = _("Choose one of the outcomes.")
    if not reason.strip():
        errors["reason"] = _("Say why the clinic changes this rule.")
    if errors:
        raise ValidationError(errors)
    assert rule is not None  # noqa: S101  (checked above)
    with transaction.atomic():
        row = RuleOverride.objects.create(
            clinic_id=membership.clinic_id,
            rule_id=rule_id,
            enabled=enabled,
            outcome="" if outcome == rule.outcome else outcome,
            reason=reason.strip(),
            changed_by=by.user,
        )
        audit_write(
            by, "screening.rule.override", target=row, fields=["enabled", "outcome", "reason"]
        )
    return row


def setting_override_set(*, by: Actor, key: str, value: int, reason: str) -> SettingOverride:
    membership = by.membership
    if membership is None or not policies.can_manage_rules(membership):
        raise PermissionDenied("Only a medical lead may change the clinic's screening rules.")
    setting = shipped_rules().settings.get(key)
    errors: dict[str, str] = {}
    if setting is None:
        errors["key"] = _("No such setting.")
    elif not setting.minimum <= value <= setting.maximum:
        errors["value"] = _("Choose a value from %(low)s to %(high)s %(unit)s.") % {
            "low": setting.minimum,
            "high": setting.maximum,
            "unit": setting.unit,
        }
    if not reason.strip():
        errors["reason"] = _("Say why the clinic changes this setting.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        row = SettingOverride.objects.create(
            clinic_id=membership.clinic_id,
            key=key,
            value=value,
            reason=reason.strip(),
            changed_by=by.user,
        )
        audit_write(by, "screening.setting.override", target=row, fields=["value", "reason"])
    return row
