"""Scoped reads of medicine sessions. Outsiders get 404; existence is never revealed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from holdspace.courses.models import Visit, VisitKind
from holdspace.people.models import Client, Membership, Role
from holdspace.people.selectors import client_for_user

from . import policies
from .models import (
    AlertTier,
    DoseKind,
    MedicineSession,
    SessionAlert,
    SessionSettings,
    SessionStatus,
    VitalReading,
)
from .rules import checklist_labels, session_rules


def quick_entries() -> dict[str, str]:
    """One-tap timeline entries (code -> label)."""
    return {
        "music_changed": _("Music changed"),
        "eyeshades_off": _("Eyeshades off"),
        "talking": _("Talking"),
        "silence": _("Silence"),
        "crying": _("Crying"),
        "break": _("Break"),
        "nausea": _("Nausea"),
        "supportive_touch": _("Supportive touch (with consent)"),
    }


def session_client(membership: Membership | None, code: str) -> Client:
    client = client_for_user(membership, code)
    if not policies.can_see_session(membership, client):
        raise Http404("No such client.")
    return client


def sessions_visible_to(membership: Membership | None) -> QuerySet[MedicineSession]:
    if membership is None or membership.role not in (Role.THERAPIST, Role.MEDICAL_LEAD):
        return MedicineSession.objects.none()
    rows = MedicineSession.objects.filter(clinic_id=membership.clinic_id)
    if membership.role == Role.THERAPIST:
        rows = rows.filter(client__care_team__membership=membership)
    return rows.select_related("client", "visit").distinct()


def session_for_user(membership: Membership | None, code: str, pk: int) -> MedicineSession:
    client = session_client(membership, code)
    found = MedicineSession.objects.filter(client=client, pk=pk).select_related(
        "client", "visit", "clinic"
    )
    session = found.first()
    if session is None:
        raise Http404("No such session.")
    return session


def session_by_id(membership: Membership | None, pk: int) -> MedicineSession:
    """For the API's /sessions/{id}: the same scope, 404 for everyone else."""
    session = sessions_visible_to(membership).filter(pk=pk).first()
    if session is None:
        raise Http404("No such session.")
    return session


def alert_of_session(session: MedicineSession, pk: int) -> SessionAlert:
    alert = session.alerts.filter(pk=pk).first()
    if alert is None:
        raise Http404("No such alert.")
    return alert


def medicine_visits_today(membership: Membership) -> list[tuple[Visit, Client]]:
    """Today's medicine-session visits of clients the member may see in a session."""
    today = timezone.localdate()
    start = dt.datetime.combine(today, dt.time.min, tzinfo=timezone.get_current_timezone())
    visits = (
        Visit.objects.filter(
            kind=VisitKind.MEDICINE_SESSION,
            cancelled=False,
            starts_at__gte=start,
            starts_at__lt=start + dt.timedelta(days=1),
            course__clinic_id=membership.clinic_id,
        )
        .prefetch_related("course__clients")
        .order_by("starts_at")
    )
    return [
        (visit, client)
        for visit in visits
        for client in visit.course.clients.all()
        if policies.can_see_session(membership, client)
    ]


# Settings -------------------------------------------------------------------------------------


def settings_defaults() -> dict[str, Any]:
    rules = session_rules()
    t = rules.thresholds
    return {
        "vitals_every_minutes": rules.cadence.every_minutes,
        "vitals_after_alert_minutes": rules.cadence.after_alert_minutes,
        "systolic_watch": t.systolic_watch,
        "systolic_act": t.systolic_act,
        "diastolic_watch": t.diastolic_watch,
        "diastolic_act": t.diastolic_act,
        "heart_rate_watch": t.heart_rate_watch,
        "heart_rate_act": t.heart_rate_act,
        "temperature_watch": None
        if t.temperature_watch is None
        else Decimal(str(t.temperature_watch)),
        "temperature_act": None if t.temperature_act is None else Decimal(str(t.temperature_act)),
        "spo2_watch_below": t.spo2_watch_below,
        "spo2_act_below": t.spo2_act_below,
        "suds_max": rules.suds.max,
    }


def settings_read(clinic_id: int) -> SessionSettings:
    """The clinic's settings without writing (the live view's path): unsaved defaults when the
    clinic has none yet."""
    found = SessionSettings.objects.filter(clinic_id=clinic_id).first()
    return found or SessionSettings(clinic_id=clinic_id, **settings_defaults())


def settings_for(clinic_id: int) -> SessionSettings:
    """The clinic's settings, created from the reviewed defaults (not yet confirmed)."""
    found, _created = SessionSettings.objects.get_or_create(
        clinic_id=clinic_id, defaults=settings_defaults()
    )
    return found


# Thresholds -----------------------------------------------------------------------------------


def classify(
    settings: SessionSettings,
    *,
    systolic: int,
    diastolic: int,
    heart_rate: int,
    temperature: Decimal,
    spo2: int | None,
) -> tuple[str, list[str]]:
    """The highest tier a reading reaches and every reason code ("systolic.act")."""
    reasons: list[str] = []

    def dec(value: object) -> Decimal | None:
        return None if value is None else Decimal(str(value))

    above: list[tuple[str, Decimal, Decimal | None, Decimal | None]] = [
        ("systolic", Decimal(systolic), dec(settings.systolic_watch), dec(settings.systolic_act)),
        (
            "diastolic",
            Decimal(diastolic),
            dec(settings.diastolic_watch),
            dec(settings.diastolic_act),
        ),
        (
            "heart_rate",
            Decimal(heart_rate),
            dec(settings.heart_rate_watch),
            dec(settings.heart_rate_act),
        ),
        (
            "temperature",
            Decimal(temperature),
            dec(settings.temperature_watch),
            dec(settings.temperature_act),
        ),
    ]
    for name, value, watch, act in above:
        if act is not None and value > act:
            reasons.append(f"{name}.act")
        elif watch is not None and value > watch:
            reasons.append(f"{name}.watch")
    if spo2 is not None:
        if settings.spo2_act_below is not None and spo2 < settings.spo2_act_below:
            reasons.append("spo2.act")
        elif settings.spo2_watch_below is not None and spo2 < settings.spo2_watch_below:
            reasons.append("spo2.watch")
    if any(r.endswith(".act") for r in reasons):
        return AlertTier.ACT, reasons
    return (AlertTier.WATCH if reasons else AlertTier.NONE), reasons


def reason_label(code: str) -> str:
    name, tier = code.split(".")
    labels = {
        "systolic": _("systolic"),
        "diastolic": _("diastolic"),
        "heart_rate": _("heart rate"),
        "temperature": _("temperature"),
        "spo2": _("SpO2"),
    }
    level = _("act") if tier == "act" else _("watch")
    return f"{labels.get(name, name)} ({level})"


# Starting -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Blocker:
    item: str
    message: str
    overridable: bool


def baseline_reading(session: MedicineSession) -> VitalReading | None:
    return session.vitals.filter(is_baseline=True).order_by("taken_at", "pk").first()


def attested_count(session: MedicineSession) -> int:
    return session.team.filter(membership__role=Role.THERAPIST).count()


def start_blockers(session: MedicineSession) -> list[Blocker]:
    """Everything that keeps the session from starting, minus what a medical lead overrode."""
    from holdspace.preparation.selectors import preparation_readiness

    rules = session_rules()
    overridden = set(session.overrides.values_list("item", flat=True))
    blockers: list[Blocker] = []
    settings = settings_for(session.clinic_id)
    if settings.confirmed_at is None:
        blockers.append(
            Blocker(
                "settings",
                _("A medical lead has not yet confirmed this clinic's thresholds and cadence."),
                False,
            )
        )
    count = attested_count(session)
    if count < rules.team.min_therapists:
        blockers.append(
            Blocker(
                "team",
                _("%(n)d of %(min)d therapists present and attested sober.")
                % {"n": count, "min": rules.team.min_therapists},
                False,
            )
        )
    for key, label in checklist_labels().items():
        if not session.checklist.get(key) and key not in overridden:
            blockers.append(Blocker(key, _("Setting: %(item)s") % {"item": _(label)}, True))
    if "preparation" not in overridden:
        readiness = preparation_readiness(session.client)
        if not readiness.ready:
            blockers.append(
                Blocker(
                    "preparation",
                    _("Preparation not complete: %(missing)s")
                    % {"missing": ", ".join(str(m) for m in readiness.missing)},
                    True,
                )
            )
    if "clinical_review" not in overridden:
        from holdspace.review.selectors import first_session_needs_review

        unreviewed = first_session_needs_review(session)
        if unreviewed:
            blockers.append(
                Blocker(
                    "clinical_review",
                    _(
                        "The clinic's first medicine session: %(n)d clinical values are still "
                        "unconfirmed (Clinical review)."
                    )
                    % {"n": unreviewed},
                    True,
                )
            )
    baseline = baseline_reading(session)
    if "baseline" not in overridden and (baseline is None or baseline.suds is None):
        blockers.append(Blocker("baseline", _("Baseline vital signs and SUDS."), True))
    return blockers


# Doses ----------------------------------------------------------------------------------------


def initial_dose_time(session: MedicineSession) -> dt.datetime | None:
    dose = session.doses.filter(kind=DoseKind.INITIAL, given=True).first()
    return dose.given_at if dose is not None else None


def supplemental_window(session: MedicineSession) -> tuple[dt.datetime, dt.datetime] | None:
    """The window after the initial dose (the template's, else the data file's default)."""
    first = initial_dose_time(session)
    if first is None:
        return None
    window = session_rules().supplemental_window
    plan = session.planned_dose or {}
    start = plan.get("supplemental_window_start_minutes", window.start_minutes)
    end = plan.get("supplemental_window_end_minutes", window.end_minutes)
    return first + dt.timedelta(minutes=start), first + dt.timedelta(minutes=end)


# The timeline ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineItem:
    at: dt.datetime
    kind: str  # "note", "quick", "dose", "vitals", "alert", "ack", "event", "status"
    text: str
    tier: str = ""
    by: str = ""


def _who(membership: Membership | None) -> str:
    if membership is None:
        return ""
    user = membership.user
    return user.get_full_name() or user.email


def timeline(session: MedicineSession) -> list[TimelineItem]:
    """Everything that happened, as one list, newest last."""
    quick = quick_entries()
    items: list[TimelineItem] = []
    for presence in session.team.select_related("membership__user"):
        items.append(
            TimelineItem(
                presence.attested_sober_at,
                "status",
                _("Present and attested sober"),
                by=_who(presence.membership),
            )
        )
    if session.started_at:
        items.append(TimelineItem(session.started_at, "status", _("Session started")))
    for entry in session.entries.select_related("by__user"):
        text = entry.text if entry.kind == "note" else quick.get(entry.kind, entry.kind)
        if entry.kind != "note" and entry.text:
            text = f"{text}: {entry.text}"
        items.append(
            TimelineItem(
                entry.at, "note" if entry.kind == "note" else "quick", text, by=_who(entry.by)
            )
        )
    for dose in session.doses.select_related("given_by__user", "recorded_by__user"):
        if dose.given and dose.given_at:
            text = _("%(kind)s: %(substance)s %(mg)s mg, lot %(lot)s") % {
                "kind": dose.get_kind_display(),
                "substance": dose.substance,
                "mg": format(dose.mg.normalize(), "f") if dose.mg is not None else "",
                "lot": dose.lot_number or "—",
            }
            items.append(TimelineItem(dose.given_at, "dose", text, by=_who(dose.given_by)))
        else:
            items.append(
                TimelineItem(
                    dose.recorded_at,
                    "dose",
                    _("%(kind)s withheld: %(reason)s")
                    % {"kind": dose.get_kind_display(), "reason": dose.reason},
                    by=_who(dose.recorded_by),
                )
            )
    for r in session.vitals.select_related("recorded_by__user"):
        items.append(
            TimelineItem(r.taken_at, "vitals", vitals_text(r), tier=r.tier, by=_who(r.recorded_by))
        )
    for alert in session.alerts.select_related("acknowledged_by__user"):
        if alert.acknowledged_at:
            items.append(
                TimelineItem(
                    alert.acknowledged_at,
                    "ack",
                    _("Alert acknowledged: %(action)s") % {"action": alert.action_taken},
                    tier=alert.tier,
                    by=_who(alert.acknowledged_by),
                )
            )
    for event in session.adverse_events.all():
        items.append(
            TimelineItem(
                event.onset_at,
                "event",
                _("Adverse event: %(term)s (%(severity)s)")
                % {"term": event.term, "severity": event.get_severity_display()},
                tier="act" if event.serious else "",
            )
        )
    if session.ended_at:
        items.append(TimelineItem(session.ended_at, "status", _("Session ended")))
    items.sort(key=lambda item: item.at)
    return items


def vitals_text(r: VitalReading) -> str:
    parts = [f"BP {r.systolic}/{r.diastolic}", f"HR {r.heart_rate}", f"{r.temperature} °C"]
    if r.spo2 is not None:
        parts.append(f"SpO2 {r.spo2}%")
    if r.suds is not None:
        parts.append(f"SUDS {r.suds}")
    if r.is_baseline:
        parts.insert(0, _("Baseline"))
    return " · ".join(parts)


def open_alerts(session: MedicineSession) -> QuerySet[SessionAlert]:
    return session.alerts.filter(acknowledged_at__isnull=True).select_related("reading")


def session_dates(client: Client) -> list[dt.date]:
    """For measures' trajectories: the dates of the client's started medicine sessions."""
    return [
        timezone.localdate(s.started_at)
        for s in MedicineSession.objects.filter(client=client, started_at__isnull=False)
        if s.started_at is not None
    ]


def is_running(session: MedicineSession) -> bool:
    return session.status == SessionStatus.RUNNING
