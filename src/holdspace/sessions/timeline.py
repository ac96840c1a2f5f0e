"""The session's timeline: everything that happened, from every table, as one list."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

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
    reading: VitalReading | None = field(default=None, compare=False)  # for "vitals" items


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
            TimelineItem(
                r.taken_at,
                "vitals",
                vitals_text(r),
                tier=r.tier,
                by=_who(r.recorded_by),
                reading=r,
            )
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


# How the monitor keeps a long timeline short. The newest readings are shown one by one: at
# least RECENT_STEP of them, and fewer than twice that, because the line between the recent and
# the older part moves RECENT_STEP readings at a time. So the older part does not change with
# each new reading, and the live poll need not send it again (views.live). In the older part
# every alert, out-of-range reading, baseline, dose, note, event and acknowledgement is still
# shown in full; only readings within the clinic's limits are summarised, one line per run
# between two other items. The monitor's "show every entry" link shows them all.
RECENT_STEP = 30


@dataclass(frozen=True)
class SplitTimeline:
    recent: list[TimelineItem]  # oldest first
    older: list[TimelineItem]  # oldest first; runs of in-range readings as "summary" items
    summarised: int  # how many readings the summaries stand for


def split_timeline(items: list[TimelineItem], *, step: int = RECENT_STEP) -> SplitTimeline:
    """`items` (oldest first) as a recent part in full and an older part with in-range
    readings summarised (see RECENT_STEP)."""
    positions = [i for i, item in enumerate(items) if item.kind == "vitals"]
    if len(positions) < 2 * step:
        return SplitTimeline(recent=list(items), older=[], summarised=0)
    first_recent = positions[(len(positions) // step - 1) * step]
    older: list[TimelineItem] = []
    run: list[VitalReading] = []
    summarised = 0
    for item in items[:first_recent]:
        reading = item.reading
        if (
            item.kind == "vitals"
            and reading is not None
            and not item.tier
            and not reading.is_baseline
        ):
            run.append(reading)
            continue
        if run:
            older.append(_summary(run))
            summarised += len(run)
            run = []
        older.append(item)
    if run:
        older.append(_summary(run))
        summarised += len(run)
    return SplitTimeline(recent=items[first_recent:], older=older, summarised=summarised)


DASH = "\u2013"  # an en dash between the lowest and the highest value


def _span(values: list[int]) -> str:
    low, high = min(values), max(values)
    return f"{low}" if low == high else f"{low}{DASH}{high}"


def _summary(run: list[VitalReading]) -> TimelineItem:
    parts = [
        f"BP {_span([r.systolic for r in run])}/{_span([r.diastolic for r in run])}",
        f"HR {_span([r.heart_rate for r in run])}",
    ]
    temperatures = [r.temperature for r in run]
    low, high = min(temperatures), max(temperatures)
    parts.append(f"{low} °C" if low == high else f"{low}{DASH}{high} °C")
    spo2 = [r.spo2 for r in run if r.spo2 is not None]
    if spo2:
        parts.append(f"SpO2 {_span(spo2)}%")
    suds = [r.suds for r in run if r.suds is not None]
    if suds:
        parts.append(f"SUDS {_span(suds)}")
    first = timezone.localtime(run[0].taken_at).strftime("%H:%M")
    head = ngettext(
        "%(count)d reading within limits from %(first)s",
        "%(count)d readings within limits from %(first)s",
        len(run),
    ) % {"count": len(run), "first": first}
    return TimelineItem(run[-1].taken_at, "summary", f"{head}: " + " · ".join(parts))
