"""The session's timeline: everything that happened, from every table, as one list."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _

from holdspace.people.models import Membership

from .models import MedicineSession, VitalReading
from .selectors import quick_entries


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
    for presence in session.team.all():
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
    for entry in session.entries.all():
        text = entry.text if entry.kind == "note" else quick.get(entry.kind, entry.kind)
        if entry.kind != "note" and entry.text:
            text = f"{text}: {entry.text}"
        items.append(
            TimelineItem(
                entry.at, "note" if entry.kind == "note" else "quick", text, by=_who(entry.by)
            )
        )
    for dose in session.doses.all():
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
    for r in session.vitals.all():
        items.append(
            TimelineItem(r.taken_at, "vitals", vitals_text(r), tier=r.tier, by=_who(r.recorded_by))
        )
    for alert in session.alerts.all():
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
