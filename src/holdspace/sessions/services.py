"""Every write of a medicine session: permission, validation, transaction and audit in one
function each. Views, the API and the demo all call these. Clinical text is never audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from holdspace.core.schemas import CLOCK_SKEW as EDGE_CLOCK_SKEW
from holdspace.courses.models import Visit, VisitKind
from holdspace.courses.phase import phase_refresh
from holdspace.courses.services import dose_for_client
from holdspace.people.actors import Actor
from holdspace.people.auditing import audit_write
from holdspace.people.models import Client, Membership, Role

from . import policies, selectors
from .models import (
    AdverseEvent,
    AlertTier,
    Disposition,
    Dose,
    DoseKind,
    MedicineSession,
    NoteSignature,
    SessionAlert,
    SessionSettings,
    SessionStatus,
    StartOverride,
    TeamPresence,
    TimelineEntry,
    VitalReading,
)
from .rules import checklist_labels, session_rules
from .vitals import classify

# A clock a few minutes fast on a tablet is not "the future" (the same skew as the API's edge).
CLOCK_SKEW = EDGE_CLOCK_SKEW
# Entries may be dated a little before the session was opened in Holdspace: the client
# arrives, the baseline is taken, then someone opens the monitor. A data-entry bound, not a
# clinical one.
ARRIVAL_WINDOW = dt.timedelta(hours=2)


def _audit(by: Actor, action: str, session: MedicineSession, **kwargs: Any) -> None:
    audit_write(by, action, client=session.client, **kwargs)


def _require(
    by: Actor, session: MedicineSession, check: Callable[..., bool] = policies.can_record
) -> Membership:
    membership = by.membership
    if membership is None or not check(membership, session.client):
        raise PermissionDenied(_("You may not do this in this session."))
    return membership


def _touch(session: MedicineSession) -> None:
    """Bump the version the live view's ETag is made of."""
    MedicineSession.objects.filter(pk=session.pk).update(
        version=F("version") + 1, updated_at=timezone.now()
    )


def _not_ended(session: MedicineSession, field: str = "__all__") -> None:
    if session.status == SessionStatus.ENDED:
        raise ValidationError({field: _("This session has ended: nothing more can be entered.")})


def _when(
    value: dt.datetime | None,
    field: str,
    errors: dict[str, list[str]],
    *,
    session: MedicineSession,
    since_start: bool = False,
) -> dt.datetime:
    """The time of an entry in this session: now when none is given; never in the future;
    never before the session was opened (less the arrival window: a baseline taken on arrival
    is entered a little later); with `since_start`, never before the session started."""
    now = timezone.now()
    if value is None:
        return now
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    earliest = min(session.opened_at, session.started_at or session.opened_at) - ARRIVAL_WINDOW
    if since_start and session.started_at is not None:
        earliest = session.started_at - CLOCK_SKEW
    if value > now + CLOCK_SKEW:
        errors.setdefault(field, []).append(_("This time is in the future."))
    elif value < earliest:
        errors.setdefault(field, []).append(
            _("This time is before the session (earliest %(time)s).")
            % {"time": timezone.localtime(earliest).strftime("%Y-%m-%d %H:%M")}
        )
    return value


def _raise(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(errors)


# Opening and getting ready ---------------------------------------------------------------------


def session_open(*, by: Actor, visit: Visit, client: Client) -> MedicineSession:
    """The session of this medicine-session visit for this client (opened once)."""
    membership = by.membership
    if membership is None or not policies.can_record(membership, client):
        raise PermissionDenied(_("You may not open this session."))
    if (
        visit.kind != VisitKind.MEDICINE_SESSION
        or not visit.course.clients.filter(pk=client.pk).exists()
    ):
        raise ValidationError({"visit": _("This visit is not a medicine session of this client.")})
    with transaction.atomic():
        session, created = MedicineSession.objects.get_or_create(
            visit=visit,
            client=client,
            defaults={
                "clinic_id": client.clinic_id,
                "planned_dose": dose_for_client(visit, client),
            },
        )
        if created:
            _audit(by, "session.open", session, target=session, fields=["visit", "planned_dose"])
            phase_refresh([client])
    return session


def team_attest(*, by: Actor, session: MedicineSession) -> TeamPresence:
    """The acting therapist, in their own name: present, and sober."""
    membership = _require(by, session, policies.can_attest)
    _not_ended(session)
    with transaction.atomic():
        presence, created = TeamPresence.objects.get_or_create(
            session=session, membership=membership, defaults={"attested_sober_at": timezone.now()}
        )
        if created:
            _audit(by, "session.attest", session, target=presence, fields=["attested_sober_at"])
            _touch(session)
    return presence


def checklist_set(
    *, by: Actor, session: MedicineSession, items: dict[str, bool]
) -> MedicineSession:
    _require(by, session)
    _not_ended(session)
    known = checklist_labels()
    unknown = set(items) - set(known)
    if unknown:
        raise ValidationError({"__all__": _("Unknown checklist item.")})
    with transaction.atomic():
        locked = MedicineSession.objects.select_for_update().get(pk=session.pk)
        changed = [k for k, v in items.items() if bool(locked.checklist.get(k)) != v]
        locked.checklist = {**locked.checklist, **{k: bool(v) for k, v in items.items()}}
        locked.save(update_fields=["checklist", "updated_at"])
        if changed:
            _audit(
                by,
                "session.checklist",
                session,
                target=locked,
                fields=[f"checklist.{k}" for k in changed],
            )
            _touch(locked)
    session.checklist = locked.checklist
    return session


def start_override(*, by: Actor, session: MedicineSession, item: str, reason: str) -> StartOverride:
    """A medical lead overrides one missing item with a written reason (kept, not audited)."""
    membership = _require(by, session, policies.is_medical_lead)
    _not_ended(session)
    overridable = {b.item for b in selectors.start_blockers(session) if b.overridable}
    errors: dict[str, list[str]] = {}
    if item not in overridable:
        errors["item"] = [_("This item is not missing, or cannot be overridden.")]
    if not reason.strip():
        errors["reason"] = [_("Write why the session may start without it.")]
    _raise(errors)
    with transaction.atomic():
        override = StartOverride.objects.create(
            session=session, item=item, reason=reason.strip(), by=membership
        )
        _audit(by, "session.override", session, target=override, fields=["item", "reason"])
        _touch(session)
    return override


def session_start(*, by: Actor, session: MedicineSession) -> MedicineSession:
    _require(by, session)
    if session.status != SessionStatus.PREPARING:
        raise ValidationError({"__all__": _("This session has already started.")})
    blockers = selectors.start_blockers(session)
    if blockers:
        raise ValidationError({"__all__": [b.message for b in blockers]})
    settings = selectors.settings_for(session.clinic_id)
    with transaction.atomic():
        locked = MedicineSession.objects.select_for_update().get(pk=session.pk)
        if locked.status != SessionStatus.PREPARING:
            raise ValidationError({"__all__": _("This session has already started.")})
        now = timezone.now()
        locked.status = SessionStatus.RUNNING
        locked.started_at = now
        locked.next_reading_due_at = now + dt.timedelta(minutes=settings.vitals_every_minutes)
        locked.save(update_fields=["status", "started_at", "next_reading_due_at", "updated_at"])
        _audit(by, "session.start", session, target=locked, fields=["status", "started_at"])
        _touch(locked)
    locked.refresh_from_db()
    return locked


def settings_confirm(*, by: Actor, values: dict[str, Any]) -> SessionSettings:
    """A medical lead reviews and confirms the clinic's thresholds and cadence."""
    membership = by.membership
    if membership is None or not policies.can_confirm_settings(membership):
        raise PermissionDenied(_("Only a medical lead confirms the session thresholds."))
    with transaction.atomic():
        settings = selectors.settings_for(membership.clinic_id)
        changed = [k for k, v in values.items() if getattr(settings, k) != v]
        for key, value in values.items():
            setattr(settings, key, value)
        settings.confirmed_by = membership
        settings.confirmed_at = timezone.now()
        settings.save()
        audit_write(
            by, "session.settings_confirm", target=settings, fields=[*changed, "confirmed_at"]
        )
    return settings


# Vital signs and alerts ----------------------------------------------------------------------


def _int(
    value: Any, field: str, errors: dict[str, list[str]], *, required: bool = True
) -> int | None:
    if value in (None, ""):
        if required:
            errors.setdefault(field, []).append(_("Required."))
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        errors.setdefault(field, []).append(_("A whole number, please."))
        return None


def vital_record(
    *,
    by: Actor,
    session: MedicineSession,
    systolic: Any,
    diastolic: Any,
    heart_rate: Any,
    temperature: Any,
    spo2: Any = None,
    suds: Any = None,
    taken_at: dt.datetime | None = None,
) -> VitalReading:
    """A reading. Before the start it is a baseline; beyond a threshold it raises an alert at
    once and the next reading is due sooner. Impossible values are refused field by field."""
    membership = _require(by, session)
    _not_ended(session)
    rules = session_rules()
    p = rules.plausible
    settings = selectors.settings_for(session.clinic_id)
    errors: dict[str, list[str]] = {}
    sys_v = _int(systolic, "systolic", errors)
    dia_v = _int(diastolic, "diastolic", errors)
    hr_v = _int(heart_rate, "heart_rate", errors)
    spo2_v = _int(spo2, "spo2", errors, required=False)
    suds_v = _int(suds, "suds", errors, required=False)
    temp_v: Decimal | None = None
    if temperature in (None, ""):
        errors.setdefault("temperature", []).append(_("Required."))
    else:
        try:
            temp_v = Decimal(str(temperature).replace(",", ".")).quantize(Decimal("0.1"))
        except InvalidOperation:
            errors.setdefault("temperature", []).append(_("A number in °C, please."))
    checks: list[tuple[str, Any, tuple[Any, Any], str]] = [
        ("systolic", sys_v, p.systolic, "mmHg"),
        ("diastolic", dia_v, p.diastolic, "mmHg"),
        ("heart_rate", hr_v, p.heart_rate, "/min"),
        ("temperature", temp_v, p.temperature, "°C"),
        ("spo2", spo2_v, p.spo2, "%"),
    ]
    for field, value, (low, high), unit in checks:
        if value is not None and not (low <= value <= high):
            errors.setdefault(field, []).append(
                _("Not a possible reading: between %(low)s and %(high)s %(unit)s.")
                % {"low": low, "high": high, "unit": unit}
            )
    if sys_v is not None and dia_v is not None and dia_v >= sys_v:
        errors.setdefault("diastolic", []).append(_("Diastolic must be below systolic."))
    if suds_v is not None and not (0 <= suds_v <= settings.suds_max):
        errors.setdefault("suds", []).append(
            _("SUDS is between 0 and %(max)d.") % {"max": settings.suds_max}
        )
    when = _when(
        taken_at, "taken_at", errors, session=session, since_start=session.started_at is not None
    )
    _raise(errors)
    if sys_v is None or dia_v is None or hr_v is None or temp_v is None:  # for the type checker
        raise ValidationError({"__all__": _("Incomplete reading.")})
    tier, reasons = classify(
        settings, systolic=sys_v, diastolic=dia_v, heart_rate=hr_v, temperature=temp_v, spo2=spo2_v
    )
    with transaction.atomic():
        locked = MedicineSession.objects.select_for_update().get(pk=session.pk)
        _not_ended(locked)
        reading = VitalReading.objects.create(
            session=locked,
            taken_at=when,
            systolic=sys_v,
            diastolic=dia_v,
            heart_rate=hr_v,
            temperature=temp_v,
            spo2=spo2_v,
            suds=suds_v,
            is_baseline=locked.status == SessionStatus.PREPARING,
            tier=tier,
            recorded_by=membership,
        )
        fields = ["systolic", "diastolic", "heart_rate", "temperature", "taken_at"]
        fields += [f for f, v in (("spo2", spo2_v), ("suds", suds_v)) if v is not None]
        _audit(by, "session.vital_record", session, target=reading, fields=fields)
        if tier != AlertTier.NONE:
            alert = SessionAlert.objects.create(
                session=locked, reading=reading, tier=tier, reasons=reasons
            )
            _audit(by, "session.alert_raise", session, target=alert, fields=["tier", "reasons"])
        if locked.status == SessionStatus.RUNNING:
            minutes = settings.vitals_after_alert_minutes if tier else settings.vitals_every_minutes
            locked.next_reading_due_at = max(when, timezone.now()) + dt.timedelta(minutes=minutes)
            locked.save(update_fields=["next_reading_due_at", "updated_at"])
        _touch(locked)
    return reading


def alert_acknowledge(*, by: Actor, alert: SessionAlert, action_taken: str) -> SessionAlert:
    """Close an alert with what was done (kept on the alert, never in the audit)."""
    membership = _require(by, alert.session)
    action_taken = action_taken.strip()
    if not action_taken:
        raise ValidationError({"action_taken": _("Say what was done.")})
    with transaction.atomic():
        locked = SessionAlert.objects.select_for_update().get(pk=alert.pk)
        if locked.acknowledged_at is not None:
            raise ValidationError(
                {"action_taken": _("Someone has already acknowledged this alert.")}
            )
        locked.acknowledged_at = timezone.now()
        locked.acknowledged_by = membership
        locked.action_taken = action_taken
        locked.save(update_fields=["acknowledged_at", "acknowledged_by", "action_taken"])
        _audit(
            by,
            "session.alert_acknowledge",
            alert.session,
            target=locked,
            fields=["acknowledged_at", "action_taken"],
        )
        _touch(alert.session)
    return locked


# Doses ---------------------------------------------------------------------------------------


def _planned(session: MedicineSession, kind: str) -> Decimal | None:
    plan = session.planned_dose or {}
    value = plan.get("initial_mg" if kind == DoseKind.INITIAL else "supplemental_mg")
    return None if value is None else Decimal(str(value))


def dose_give(
    *,
    by: Actor,
    session: MedicineSession,
    kind: str,
    substance: str,
    mg: Any,
    lot_number: str,
    given_by: Membership | None = None,
    given_at: dt.datetime | None = None,
    reason: str = "",
) -> Dose:
    """The initial or supplemental dose, against the plan. Above the plan, or a supplemental
    dose outside its window, needs an explicit reason."""
    membership = _require(by, session)
    _not_ended(session)
    errors: dict[str, list[str]] = {}
    if kind not in DoseKind.values:
        errors["kind"] = [_("Initial or supplemental.")]
        _raise(errors)
    if session.status != SessionStatus.RUNNING:
        errors["given_at"] = [_("Start the session before recording a dose.")]
        _raise(errors)
    if session.doses.filter(kind=kind).exists():
        errors["kind"] = [
            _("The initial dose is already recorded.")
            if kind == DoseKind.INITIAL
            else _("The supplemental dose is already recorded (given or withheld).")
        ]
    if kind == DoseKind.SUPPLEMENTAL and selectors.initial_dose_time(session) is None:
        errors["kind"] = [_("Record the initial dose first.")]
    amount: Decimal | None = None
    try:
        amount = Decimal(str(mg).replace(",", "."))
        if not (Decimal("0") < amount <= Decimal("500")):
            errors.setdefault("mg", []).append(_("Between 0 and 500 mg."))
    except (InvalidOperation, ValueError):
        errors.setdefault("mg", []).append(_("A number of mg, please."))
    if not substance.strip():
        errors["substance"] = [_("Required.")]
    if not lot_number.strip():
        errors["lot_number"] = [_("Required.")]
    when = _when(given_at, "given_at", errors, session=session)
    if session.started_at and when < session.started_at:
        errors.setdefault("given_at", []).append(_("Before the session started."))
    giver = given_by or membership
    if giver.clinic_id != session.clinic_id:
        errors["given_by"] = [_("Not a member of this clinic.")]
    _raise(errors)
    needs_reason: list[str] = []
    planned = _planned(session, kind)
    if planned is not None and amount is not None and amount > planned:
        needs_reason.append(_("above the planned %(mg)s mg") % {"mg": f"{planned:g}"})
    if kind == DoseKind.SUPPLEMENTAL:
        window = selectors.supplemental_window(session)
        if window and not (window[0] <= when <= window[1]):
            needs_reason.append(
                _("outside its window %(start)s to %(end)s")
                % {
                    "start": timezone.localtime(window[0]).strftime("%H:%M"),
                    "end": timezone.localtime(window[1]).strftime("%H:%M"),
                }
            )
    if needs_reason and not reason.strip():
        raise ValidationError(
            {
                "reason": _("This dose is %(why)s: write the reason.")
                % {"why": _(" and ").join(needs_reason)}
            }
        )
    with transaction.atomic():
        try:
            with transaction.atomic():
                dose = Dose.objects.create(
                    session=session,
                    kind=kind,
                    given=True,
                    substance=substance.strip(),
                    mg=amount,
                    given_at=when,
                    lot_number=lot_number.strip(),
                    given_by=giver,
                    reason=reason.strip(),
                    recorded_by=membership,
                )
        except IntegrityError:
            raise ValidationError({"kind": _("This dose is already recorded.")}) from None
        fields = ["kind", "substance", "mg", "given_at", "lot_number", "given_by"]
        _audit(
            by,
            "session.dose_give",
            session,
            target=dose,
            fields=fields + (["reason"] if reason.strip() else []),
        )
        _touch(session)
    return dose


def dose_withhold(*, by: Actor, session: MedicineSession, reason: str) -> Dose:
    """The supplemental dose, not given, with the reason (e.g. contraindicated)."""
    membership = _require(by, session)
    _not_ended(session)
    if session.doses.filter(kind=DoseKind.SUPPLEMENTAL).exists():
        raise ValidationError(
            {"kind": _("The supplemental dose is already recorded (given or withheld).")}
        )
    if selectors.initial_dose_time(session) is None:
        raise ValidationError({"kind": _("Record the initial dose first.")})
    if not reason.strip():
        raise ValidationError({"reason": _("Write why it is withheld.")})
    with transaction.atomic():
        try:
            with transaction.atomic():
                dose = Dose.objects.create(
                    session=session,
                    kind=DoseKind.SUPPLEMENTAL,
                    given=False,
                    reason=reason.strip(),
                    recorded_by=membership,
                )
        except IntegrityError:
            raise ValidationError({"kind": _("This dose is already recorded.")}) from None
        _audit(by, "session.dose_withhold", session, target=dose, fields=["kind", "reason"])
        _touch(session)
    return dose


# The timeline and adverse events ---------------------------------------------------------------


def event_note(
    *,
    by: Actor,
    session: MedicineSession,
    kind: str = "note",
    text: str = "",
    at: dt.datetime | None = None,
) -> TimelineEntry:
    """A one-tap entry ("crying", "music_changed", ...) or a free-text note."""
    membership = _require(by, session)
    _not_ended(session)
    errors: dict[str, list[str]] = {}
    if kind != "note" and kind not in selectors.quick_entries():
        errors["kind"] = [_("Unknown entry.")]
    if kind == "note" and not text.strip():
        errors["text"] = [_("Write the note.")]
    when = _when(at, "at", errors, session=session)
    _raise(errors)
    with transaction.atomic():
        entry = TimelineEntry.objects.create(
            session=session, at=when, kind=kind, text=text.strip(), by=membership
        )
        _audit(
            by,
            "session.event_note",
            session,
            target=entry,
            fields=["kind", "at"] + (["text"] if text.strip() else []),
        )
        _touch(session)
    return entry


def adverse_event_report(
    *,
    by: Actor,
    session: MedicineSession,
    term: str,
    onset_at: dt.datetime | None,
    severity: str,
    valence: str,
    relatedness: str,
    outcome: str,
    serious_criteria: list[str] | None = None,
    special_interest: list[str] | None = None,
    action: str = "",
) -> AdverseEvent:
    """Any event in the session or the days after, pleasant ones too. Serious events carry
    their reporting deadline; a suicidality flag also raises the clinic's safety alert."""
    from .models import Outcome, Relatedness, Severity, Valence

    membership = _require(by, session)
    rules = session_rules().adverse_events
    deadlines = {c.key: c.deadline_days for c in rules.serious_criteria}
    serious_criteria = list(serious_criteria or [])
    special_interest = list(special_interest or [])
    errors: dict[str, list[str]] = {}
    if not term.strip():
        errors["term"] = [_("Required.")]
    for field, value, choices in (
        ("severity", severity, Severity.values),
        ("valence", valence, Valence.values),
        ("relatedness", relatedness, Relatedness.values),
        ("outcome", outcome, Outcome.values),
    ):
        if value not in choices:
            errors[field] = [_("Choose one.")]
    if set(serious_criteria) - set(deadlines):
        errors["serious_criteria"] = [_("Unknown criterion.")]
    if set(special_interest) - set(rules.special_interest):
        errors["special_interest"] = [_("Unknown flag.")]
    if onset_at is None:
        errors["onset_at"] = [_("Required.")]
    when = _when(onset_at, "onset_at", errors, session=session)
    _raise(errors)
    due = None
    if serious_criteria:
        due = timezone.now() + dt.timedelta(days=min(deadlines[c] for c in serious_criteria))
    with transaction.atomic():
        event = AdverseEvent.objects.create(
            session=session,
            term=term.strip(),
            onset_at=when,
            severity=severity,
            valence=valence,
            serious_criteria=serious_criteria,
            relatedness=relatedness,
            action=action.strip(),
            outcome=outcome,
            special_interest=special_interest,
            report_due_at=due,
            reported_by=membership,
        )
        _audit(
            by,
            "session.adverse_event_report",
            session,
            target=event,
            fields=[
                "term",
                "onset_at",
                "severity",
                "valence",
                "serious_criteria",
                "relatedness",
                "action",
                "outcome",
                "special_interest",
            ],
        )
        if "suicidality" in special_interest:
            from holdspace.measures.services import safety_alert_raise

            safety_alert_raise(
                by=by,
                client=session.client,
                severity="act",
                source="session",
                reason_code="session.ae.suicidality",
            )
        _touch(session)
    return event


# Ending and the note ---------------------------------------------------------------------------


def discharge_computed(session: MedicineSession) -> dict[str, bool]:
    """The criteria the record itself answers: latest reading within limits, SUDS at or below
    baseline (MAPS manual 2005)."""
    # A few single-row queries, not every reading: the monitor computes this on each load.
    latest = selectors.newest_reading(session, is_baseline=False)
    latest = latest or selectors.newest_reading(session)
    baseline = selectors.baseline_reading(session)
    latest_suds = selectors.newest_reading(session, suds__isnull=False)
    return {
        "vitals_within_limits": latest is not None and latest.tier == AlertTier.NONE,
        "suds_at_or_below_baseline": (
            baseline is not None
            and baseline.suds is not None
            and latest_suds is not None
            and latest_suds.suds is not None
            and latest_suds.suds <= baseline.suds
        ),
    }


def session_end(
    *,
    by: Actor,
    session: MedicineSession,
    oriented_stable: bool,
    therapists_agree: bool,
    disposition: str,
    companion_name: str,
) -> MedicineSession:
    """Discharge: every criterion met and recorded, with an overnight attendant or an escort."""
    _require(by, session)
    if session.status != SessionStatus.RUNNING:
        raise ValidationError({"__all__": _("Only a session in progress can end.")})
    computed = discharge_computed(session)
    errors: dict[str, list[str]] = {}
    if not computed["vitals_within_limits"]:
        errors["vitals_within_limits"] = [
            _("The latest reading is not within the clinic's limits: take another.")
        ]
    if not computed["suds_at_or_below_baseline"]:
        errors["suds_at_or_below_baseline"] = [_("SUDS is not yet at or below baseline.")]
    if not oriented_stable:
        errors["oriented_stable"] = [_("Required for discharge.")]
    if not therapists_agree:
        errors["therapists_agree"] = [_("Required for discharge.")]
    if disposition not in Disposition.values:
        errors["disposition"] = [_("Overnight stay or escort home.")]
    if not companion_name.strip():
        errors["companion_name"] = [_("Name the attendant or the person taking them home.")]
    if selectors.open_alerts(session).exists():
        errors.setdefault("__all__", []).append(_("Acknowledge every open alert first."))
    _raise(errors)
    with transaction.atomic():
        locked = MedicineSession.objects.select_for_update().get(pk=session.pk)
        if locked.status != SessionStatus.RUNNING:
            raise ValidationError({"__all__": _("Only a session in progress can end.")})
        locked.status = SessionStatus.ENDED
        locked.ended_at = timezone.now()
        locked.discharge = {**computed, "oriented_stable": True, "therapists_agree": True}
        locked.disposition = disposition
        locked.companion_name = companion_name.strip()
        locked.next_reading_due_at = None
        locked.save()
        _audit(
            by,
            "session.end",
            session,
            target=locked,
            fields=["status", "ended_at", "discharge", "disposition", "companion_name"],
        )
        _touch(locked)
        phase_refresh([locked.client])
    locked.refresh_from_db()
    return locked


def note_write(*, by: Actor, session: MedicineSession, text: str) -> MedicineSession:
    _require(by, session)
    with transaction.atomic():
        locked = MedicineSession.objects.select_for_update().get(pk=session.pk)
        if locked.signatures.exists():
            raise ValidationError(
                {"note_text": _("This note is signed and locked. Add a timeline note instead.")}
            )
        locked.note_text = text.strip()
        locked.save(update_fields=["note_text", "updated_at"])
        _audit(by, "session.note_write", session, target=locked, fields=["note_text"])
        _touch(locked)
    return locked


def note_sign(*, by: Actor, session: MedicineSession) -> MedicineSession:
    """A therapist present in the session signs; the first signature freezes the text and the
    note is locked once the minimum number of therapists has signed."""
    membership = _require(by, session, policies.can_attest)
    session = MedicineSession.objects.select_related("client").get(pk=session.pk)
    errors: dict[str, list[str]] = {}
    if session.status != SessionStatus.ENDED:
        errors["__all__"] = [_("The note is signed after the session has ended.")]
    if not session.note_text.strip():
        errors["note_text"] = [_("Write the note before signing.")]
    if not session.team.filter(membership=membership).exists():
        errors["__all__"] = [_("Only a therapist present in the session signs its note.")]
    if session.signatures.filter(membership=membership).exists():
        errors["__all__"] = [_("You have already signed this note.")]
    _raise(errors)
    with transaction.atomic():
        locked = MedicineSession.objects.select_for_update().get(pk=session.pk)
        signature = NoteSignature.objects.create(session=locked, membership=membership)
        _audit(by, "session.note_sign", session, target=signature, fields=["signed_at"])
        if (
            locked.signatures.filter(membership__role=Role.THERAPIST).count()
            >= session_rules().team.min_therapists
        ):
            locked.note_locked_at = timezone.now()
            locked.save(update_fields=["note_locked_at", "updated_at"])
            _audit(by, "session.note_lock", session, target=locked, fields=["note_locked_at"])
        _touch(locked)
    locked.refresh_from_db()
    return locked
