"""The Oregon quarterly "303" aggregate for a clinic (ORS 475A.372; steering notes,
clinical/outcomes.md F2; fields and what each is derived from in data/studies/oregon_303.yaml).

Per quarter (ending 31 March, 30 June, 30 September, 31 December; due 15 days later): the centre
counts, the computed averages and the client aggregate fields Holdspace holds. Every count from 1
to 4 is suppressed (shown as "< 5"), so no client can be picked out; 0 is shown. A client who
opted out of the 303 client data (`Oregon303OptOut`) is left out of the client fields; the centre
counts (sessions, clients served, denials, reactions) are the centre's own and count everyone.
Only a clinic that reports under SB 303 (`Oregon303Reporting`, off by default: the statute binds
Oregon-licensed psilocybin service centres) has the report and the opt-out.
A session counts in the quarter in which it started. A visit at which several clients had a
medicine session (a couple's joint session) counts as one group administration session.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import io
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from holdspace.core.compiled import CompiledQueries
from holdspace.people.actors import Actor
from holdspace.people.auditing import audit_write
from holdspace.people.models import Client, ClientIdentity, Membership, Role
from holdspace.people.policies import can_view_client
from holdspace.screening.models import Decision, ScreeningDecision
from holdspace.sessions.models import AdverseEvent, MedicineSession
from holdspace.sessions.models import Severity as AeSeverity

from .oregon_models import Oregon303OptOut, Oregon303Reporting

DATA_FILE = Path(settings.DATA_DIR) / "studies" / "oregon_303.yaml"
REPORT_ROLES = frozenset({Role.MEDICAL_LEAD})  # as the TGA report: the clinic's medical lead
UNDER_18, NOT_RECORDED = "<18", "?"  # age keys beside the bands
OPT_OUT_ROLES = frozenset({Role.MEDICAL_LEAD, Role.COORDINATOR, Role.THERAPIST})
# Whether the clinic reports under SB 303: whoever sets the clinic up, and the report's owner.
SETTING_ROLES = frozenset({Role.CLINIC_ADMIN, Role.MEDICAL_LEAD})


@cache
def fields() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))
    return loaded


def small_cell_limit() -> int:
    return int(fields()["small_cell"]["below"])


def quarter(year: int, number: int) -> tuple[dt.date, dt.date, dt.date]:
    """(first day, last day, due date) of a quarter: due 15 days after its last day."""
    if not 1 <= number <= 4:
        raise ValueError("quarter 1-4")
    first_month = 3 * number - 2
    last_month = first_month + 2
    start = dt.date(year, first_month, 1)
    end = dt.date(year, last_month, calendar.monthrange(year, last_month)[1])
    due = end + dt.timedelta(days=int(fields()["period"]["due_days_after_end"]))
    return start, end, due


@dataclass(frozen=True)
class Cell:
    """One number of the report and how it may be shown."""

    value: float | int | None  # None: not recorded by Holdspace
    suppressed: bool = False

    @property
    def shown(self) -> str:
        if self.value is None:
            return _("not recorded")
        if self.suppressed:
            return f"< {small_cell_limit()}"
        return f"{self.value:g}" if isinstance(self.value, float) else str(self.value)


def _count(n: int) -> Cell:
    return Cell(n, suppressed=0 < n < small_cell_limit())


# The page's words for the data file's keys (the file keeps the statute's wording).
LABELS = {
    "clients_served": gettext_lazy("Clients served"),
    "individual_sessions": gettext_lazy("Individual administration sessions"),
    "group_sessions": gettext_lazy("Group administration sessions"),
    "denied": gettext_lazy("Individuals denied services"),
    "adverse_behavioural": gettext_lazy("Adverse behavioural reactions (number and severity)"),
    "adverse_medical": gettext_lazy("Adverse medical reactions (number and severity)"),
    "sessions_per_client": gettext_lazy("Average number of administration sessions per client"),
    "clients_per_group_session": gettext_lazy("Average number of clients per group session"),
    "age": gettext_lazy("Age"),
    "race": gettext_lazy("Race"),
    "ethnicity": gettext_lazy("Ethnicity"),
    "languages": gettext_lazy("Preferred spoken and written languages"),
    "disability": gettext_lazy("Disability status"),
    "sexual_orientation": gettext_lazy("Sexual orientation"),
    "gender_identity": gettext_lazy("Gender identity"),
    "income": gettext_lazy("Income"),
    "county": gettext_lazy("County of residence"),
    "reasons": gettext_lazy("Reasons for requesting services"),
    "veteran": gettext_lazy("Veteran status"),
}


def _label(key: str) -> str:
    return str(LABELS[key])


# --- whether the clinic reports under SB 303 -----------------------------------------------


def reports_under_sb303(clinic_id: int) -> bool:
    """The clinic's setting; off when never set. Asked on every client overview: its SQL
    compiled once per process for any clinic."""
    return _reporting_sql.exists(
        "reports",
        lambda clinic_id: Oregon303Reporting.objects.filter(clinic_id=clinic_id, reports=True),
        clinic_id=clinic_id,
    )


_reporting_sql = CompiledQueries()


def can_set_reporting(membership: Membership | None) -> bool:
    return membership is not None and membership.role in SETTING_ROLES


def reporting_set(*, by: Actor, reports: bool) -> Oregon303Reporting:
    """Turn the caller's clinic's SB 303 reporting on or off (audited when it changes)."""
    membership = by.membership
    if membership is None or not can_set_reporting(membership):
        raise PermissionDenied(_("You may not change this setting."))
    if not isinstance(reports, bool):
        raise ValidationError({"reports": [_("Choose yes or no.")]})
    assert by.user is not None  # noqa: S101  (the policy checked the membership)
    with transaction.atomic():
        row = Oregon303Reporting.objects.select_for_update().filter(
            clinic_id=membership.clinic_id
        ).first() or Oregon303Reporting(clinic_id=membership.clinic_id, changed_by=by.user)
        if row.pk is None or row.reports != reports:
            row.reports = reports
            row.changed_by = by.user
            row.save()
            audit_write(by, "studies.oregon_303.reporting", target=row, fields=["reports"])
    return row


def _require_reporting(membership: Membership) -> None:
    if not reports_under_sb303(membership.clinic_id):
        raise PermissionDenied(_("This clinic does not report under Oregon SB 303."))


def oregon_quarter(membership: Membership | None, *, year: int, number: int) -> dict[str, Any]:
    if membership is None or membership.role not in REPORT_ROLES:
        raise PermissionDenied(_("The Oregon quarterly report is for medical leads."))
    _require_reporting(membership)
    start, end, due = quarter(year, number)
    tz = timezone.get_current_timezone()
    since = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    sessions = MedicineSession.objects.filter(
        clinic_id=membership.clinic_id, started_at__gte=since, started_at__lt=until
    )
    first_session: dict[int, dt.datetime] = {}
    for client_id, started in sessions.order_by("started_at").values_list(
        "client_id", "started_at"
    ):
        if started is not None:  # (the filter above guarantees it)
            first_session.setdefault(client_id, started)
    clients = len(first_session)
    n_sessions = sessions.count()  # one per client dosed: what "sessions per client" divides
    # A visit at which more than one client had a medicine session (a couple's joint session)
    # is a group administration session; a visit with one client's is an individual one.
    per_visit = Counter(sessions.values_list("visit_id", flat=True))
    individual = sum(1 for n in per_visit.values() if n == 1)
    group_sizes = [n for n in per_visit.values() if n > 1]

    # Denied: the latest "not eligible" decision in the quarter per client; its reasons are the
    # exclusion rules it found (the lead's own words stay in the record).
    latest: dict[int, ScreeningDecision] = {}
    for decision in ScreeningDecision.objects.filter(
        client__clinic_id=membership.clinic_id,
        decision=Decision.NOT_ELIGIBLE,
        signed_at__gte=since,
        signed_at__lt=until,
    ).order_by("signed_at", "pk"):
        latest[decision.client_id] = decision
    reasons: Counter[str] = Counter()
    for decision in latest.values():
        rules = {f.get("rule_id") for f in decision.findings if f.get("outcome") == "exclude"}
        for rule in sorted(r for r in rules if r) or [_("no exclusion rule (the lead's reason)")]:
            reasons[rule] += 1

    events = AdverseEvent.objects.filter(session__in=sessions)
    severity = Counter(events.values_list("severity", flat=True))
    hospital = sum(
        1 for c in events.values_list("serious_criteria", flat=True) if "hospitalisation" in c
    )

    opted_out = set(
        Oregon303OptOut.objects.filter(client_id__in=first_session, opted_out=True).values_list(
            "client_id", flat=True
        )
    )
    births = dict(
        ClientIdentity.objects.filter(client_id__in=first_session).values_list(
            "client_id", "birth_date"
        )
    )
    bands = [tuple(b) for b in fields()["age_bands"]["bands"]]
    ages: Counter[str] = Counter()
    for client_id, started in first_session.items():
        if client_id in opted_out:
            continue
        born = births.get(client_id)
        if born is None:
            ages[NOT_RECORDED] += 1
            continue
        on = timezone.localtime(started, tz).date()
        age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
        band = next((f"{lo}-{hi}" for lo, hi in bands if lo <= age <= hi), UNDER_18)
        ages[band] += 1

    data = fields()
    centre = [
        (_label("clients_served"), _count(clients)),
        (_label("individual_sessions"), _count(individual)),
        (_label("group_sessions"), _count(len(group_sizes))),
        (_label("denied"), _count(len(latest))),
        (_label("adverse_behavioural"), Cell(None)),
        (_label("adverse_medical"), Cell(None)),
    ]
    # An average over a suppressed count would let the count be worked back: suppress it too.
    small = 0 < clients < small_cell_limit() or 0 < n_sessions < small_cell_limit()
    averages = [
        (
            _label("sessions_per_client"),
            Cell(round(n_sessions / clients, 2), suppressed=small) if clients else Cell(0),
        ),
        (
            _label("clients_per_group_session"),
            Cell(
                round(sum(group_sizes) / len(group_sizes), 2),
                suppressed=len(group_sizes) < small_cell_limit(),
            )
            if group_sizes
            else Cell(0),
        ),
    ]
    events_rows = [
        (str(label), _count(severity.get(value, 0))) for value, label in AeSeverity.choices
    ] + [(_("Serious: requires or prolongs hospitalisation"), _count(hospital))]
    client_fields: list[tuple[str, Cell]] = []
    for entry in data["client_fields"]:
        if entry["key"] != "age":
            client_fields.append((_label(entry["key"]), Cell(None)))
            continue
        names = [f"{lo}-{hi}" for lo, hi in bands]
        if ages.get(UNDER_18):
            names.insert(0, UNDER_18)
        for name in [*names, NOT_RECORDED]:
            shown = (
                _("under 18")
                if name == UNDER_18
                else _("not recorded")
                if name == NOT_RECORDED
                else name
            )
            client_fields.append((f"{_label('age')}: {shown}", _count(ages.get(name, 0))))
    return {
        "period_start": start,
        "period_end": end,
        "due": due,
        "centre": centre,
        "denied_reasons": [(rule, _count(n)) for rule, n in sorted(reasons.items())],
        "averages": averages,
        "events": events_rows,
        "client_fields": client_fields,
        "opted_out": _count(len(opted_out)),
        "small_cell": small_cell_limit(),
    }


def as_csv(report: dict[str, Any]) -> str:
    """The report as CSV: section, field, value (suppressed and unrecorded cells as words)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["section", "field", "value"])
    writer.writerow(["period", "start", report["period_start"].isoformat()])
    writer.writerow(["period", "end", report["period_end"].isoformat()])
    writer.writerow(["period", "due", report["due"].isoformat()])
    for section in ("centre", "denied_reasons", "averages", "events", "client_fields"):
        for label, cell in report[section]:
            writer.writerow([section, label, cell.shown])
    writer.writerow(["client_fields", "opted out of the client data", report["opted_out"].shown])
    return out.getvalue()


# --- the client's opt-out ------------------------------------------------------------------


def can_set_opt_out(membership: Membership | None, client: Client) -> bool:
    return (
        membership is not None
        and membership.role in OPT_OUT_ROLES
        and can_view_client(membership, client)
    )


def opted_out(client: Client) -> bool:
    row = Oregon303OptOut.objects.filter(client=client).first()
    return bool(row and row.opted_out)


def opt_out_set(*, by: Actor, client: Client, opted_out: bool) -> Oregon303OptOut:
    """Record the client's choice on the 303 Client Data Form's opt-out box."""
    membership = by.membership
    if membership is None or not can_set_opt_out(membership, client):
        raise PermissionDenied(_("You may not change this client's data choices."))
    _require_reporting(membership)
    if not isinstance(opted_out, bool):
        raise ValidationError({"opted_out": [_("Choose yes or no.")]})
    assert by.user is not None  # noqa: S101  (the policy checked the membership)
    with transaction.atomic():
        row, _created = Oregon303OptOut.objects.update_or_create(
            client=client, defaults={"opted_out": opted_out, "recorded_by": by.user}
        )
        audit_write(
            by, "studies.oregon_303.opt_out", target=row, client=client, fields=["opted_out"]
        )
    return row
