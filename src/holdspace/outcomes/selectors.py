"""Every read of outcomes goes through here, with the outcomes policy applied.

The cohort rows are read in a constant number of queries whatever the number of clients:
scores, first medicine sessions, party uses and courses each come in one query over the
clients the member may see (people.selectors.clients_visible_to).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Min, QuerySet, Sum
from django.utils.translation import gettext as _

from holdspace.courses.models import Course, Visit, VisitKind
from holdspace.measures import library
from holdspace.measures.definitions import Definition
from holdspace.measures.models import Score
from holdspace.people import selectors as people_selectors
from holdspace.people.models import Client, Membership, Phase
from holdspace.screening.models import Context, PriorExperience

from . import policies
from .rows import ClientRow, Observation, build_row, party_use_group

GROUP_BY = ("prior_party_use", "baseline_severity", "template")
PARTY_CONTEXTS = (Context.PARTY, Context.FESTIVAL)
PHASE_ORDER = [choice.value for choice in Phase]


@dataclass(frozen=True)
class CohortFilter:
    instrument: str
    group_by: str = ""
    date_from: dt.date | None = None  # course start date, inclusive
    date_to: dt.date | None = None
    template: str = ""  # protocol template key
    phase: str = ""  # phase reached: this phase or any later one


def cohort_clients(membership: Membership | None, flt: CohortFilter) -> QuerySet[Client]:
    """The clients of the cohort: 403 for a role that may not read it."""
    if not policies.can_view_cohort(membership):
        raise PermissionDenied(_("Outcomes are for medical leads and researchers."))
    clients = people_selectors.clients_visible_to(membership)
    if flt.phase:
        clients = clients.filter(phase__in=PHASE_ORDER[PHASE_ORDER.index(flt.phase) :])
    if flt.date_from or flt.date_to or flt.template:
        courses = Course.objects.all()
        if flt.date_from:
            courses = courses.filter(start_date__gte=flt.date_from)
        if flt.date_to:
            courses = courses.filter(start_date__lte=flt.date_to)
        if flt.template:
            courses = courses.filter(template_key=flt.template)
        clients = clients.filter(courses__in=courses)
    return clients.distinct()


def first_medicine_sessions(clients: QuerySet[Client]) -> dict[int, dt.date]:
    rows = (
        Visit.objects.filter(
            course__clients__in=clients, kind=VisitKind.MEDICINE_SESSION, cancelled=False
        )
        .values("course__clients")
        .annotate(first=Min("starts_at"))
    )
    return {row["course__clients"]: row["first"].date() for row in rows}


def party_uses(clients: QuerySet[Client]) -> dict[int, int]:
    rows = (
        PriorExperience.objects.filter(client__in=clients, context__in=PARTY_CONTEXTS)
        .values("client")
        .annotate(total=Sum("times"))
    )
    return {row["client"]: int(row["total"] or 0) for row in rows}


def latest_courses(clients: QuerySet[Client]) -> dict[int, dict[str, object]]:
    """The newest course per client (its template and how it ended)."""
    found: dict[int, dict[str, object]] = {}
    rows = (
        Course.objects.filter(clients__in=clients)
        .order_by("created_at", "pk")
        .values("pk", "clients", "template_key", "template_name", "status", "start_date")
    )
    for row in rows:
        found[row["clients"]] = dict(row)
    return found


def severity_group(row: ClientRow, definition: Definition) -> str:
    if row.baseline is None:
        return _("no baseline")
    if row.baseline_band:
        return row.baseline_band
    if row.diagnosis_at_baseline is not None:
        if row.diagnosis_at_baseline:
            return _("at or above the provisional diagnosis cut-off")
        return _("below the provisional diagnosis cut-off")
    return _("not banded")


def cohort_rows(membership: Membership | None, flt: CohortFilter) -> list[ClientRow]:
    """One row per client of the cohort with at least one score on the instrument."""
    clients = cohort_clients(membership, flt)
    definition = library.definition_for(
        membership.clinic_id if membership else None, flt.instrument
    )
    sessions = first_medicine_sessions(clients)
    parties = party_uses(clients)
    courses = latest_courses(clients)
    observations: dict[tuple[int, str], list[Observation]] = defaultdict(list)
    scores = (
        Score.objects.filter(
            client__in=clients, instrument_code=definition.code, total__isnull=False
        )
        .order_by("client_id", "observed_on", "pk")
        .values_list(
            "client_id", "client__code", "observed_on", "total", "band",
            "response__assignment__timepoint",
        )
    )  # fmt: skip
    for client_id, code, observed_on, total, band, timepoint in scores:
        observations[(client_id, code)].append(
            Observation(observed_on, float(total or 0), timepoint or "", band or "")
        )
    result = []
    for (client_id, code), seen in observations.items():
        course = courses.get(client_id, {})
        row = build_row(
            code=code,
            observations=seen,
            first_medicine_session=sessions.get(client_id),
            definition=definition,
            prior_party_uses=parties.get(client_id, 0),
            template=str(course.get("template_name", "")),
        )
        row.group = group_of(row, flt.group_by, definition)
        result.append(row)
    result.sort(key=lambda r: r.code)
    return result


def group_of(row: ClientRow, group_by: str, definition: Definition) -> str:
    if group_by == "prior_party_use":
        return party_use_group(row.prior_party_uses)
    if group_by == "baseline_severity":
        return severity_group(row, definition)
    if group_by == "template":
        return row.template or _("no course")
    return _("all")
