"""Every read of measures goes through a scoped selector (404 outside the member's scope)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from holdspace.people import policies as people_policies
from holdspace.people import selectors as people_selectors
from holdspace.people.models import CareTeamMember, Client, Membership, Role

from . import policies
from .models import (
    Assignment,
    AssignmentState,
    InstrumentDefinition,
    Response,
    SafetyAlert,
    Score,
)

OPEN_STATES = (AssignmentState.DUE, AssignmentState.IN_PROGRESS)


def clinic_instruments_for_user(membership: Membership | None) -> QuerySet[InstrumentDefinition]:
    """The instruments the member's clinic added itself (admin or FHIR import), by code."""
    if membership is None or not policies.can_read_instruments(membership):
        raise PermissionDenied
    return InstrumentDefinition.objects.filter(
        clinic_id=membership.clinic_id, is_active=True
    ).order_by("code")


def assignments_for_client(client: Client) -> QuerySet[Assignment]:
    return client.assignments.order_by("-due_on", "-pk")


def scores_for_client(client: Client) -> QuerySet[Score]:
    return client.scores.order_by("observed_on", "pk")


def assignment_for_user(membership: Membership | None, code: str, pk: int) -> Assignment:
    client = people_selectors.client_for_user(membership, code)
    assignment = client.assignments.filter(pk=pk).first()
    if assignment is None:
        raise Http404("No such assignment.")
    return assignment


def open_assignments_visible_to(membership: Membership | None) -> QuerySet[Assignment]:
    clients = people_selectors.clients_visible_to(membership)
    return (
        Assignment.objects.filter(client__in=clients, state__in=OPEN_STATES)
        .select_related("client")
        .order_by("due_on", "pk")
    )


def recent_scores_visible_to(membership: Membership | None, days: int = 30) -> QuerySet[Score]:
    """Scores of the last `days` days of the clients the member may see, newest first: the
    clients of `people.selectors.clients_visible_to`, said by the score's own clinic column
    (and, for a role that sees its care team only, an EXISTS on the score's client). So
    PostgreSQL walks the clinic's part of the (clinic, -observed_on, -id) index and stops at the
    rows asked for. Through `client__in=clients_visible_to(...)` it misjudged the care team and
    read every score of the therapist's clients (25 ms for one on 1,856 clients' teams)."""
    if membership is None or not people_policies.can_list_clients(membership):
        return Score.objects.none()
    since = timezone.localdate() - dt.timedelta(days=days)
    scores = Score.objects.filter(clinic_id=membership.clinic_id, observed_on__gte=since)
    if not people_policies.can_see_all_clinic_clients(membership):
        scores = scores.filter(
            Exists(
                CareTeamMember.objects.filter(client=OuterRef("client_id"), membership=membership)
            )
        )
    return scores.select_related("client").order_by("-observed_on", "-pk")


def alerts_visible_to(membership: Membership | None) -> QuerySet[SafetyAlert]:
    """Alerts of the member's care-team clients; a medical lead sees the whole clinic's."""
    if membership is None:
        return SafetyAlert.objects.none()
    alerts = SafetyAlert.objects.filter(client__clinic_id=membership.clinic_id)
    if membership.role != Role.MEDICAL_LEAD:
        # EXISTS rather than a join: no DISTINCT, so the rows can be sliced inside a subquery.
        alerts = alerts.filter(
            Exists(
                CareTeamMember.objects.filter(client=OuterRef("client_id"), membership=membership)
            )
        )
    return alerts.select_related("client")


def open_alerts_visible_to(membership: Membership | None) -> QuerySet[SafetyAlert]:
    return alerts_visible_to(membership).filter(acknowledged_at__isnull=True)


def alert_for_user(membership: Membership | None, code: str, pk: int) -> SafetyAlert:
    client = people_selectors.client_for_user(membership, code)
    alert = client.safety_alerts.filter(pk=pk).first()
    if alert is None or not policies.can_see_alerts(membership, client):
        raise Http404("No such alert.")
    return alert


def measures_client_for_user(membership: Membership | None, code: str) -> Client:
    """The client, if the member may read their measures (scores and answers)."""
    client = people_selectors.client_for_user(membership, code)
    if not policies.can_view_measures(membership, client):
        raise PermissionDenied(_("Your role may not read this client's measures."))
    return client


def responses_for_client(client: Client, limit: int = 500) -> QuerySet[Response]:
    return client.responses.select_related("score").order_by("-pk")[:limit]


def response_for_user(membership: Membership | None, code: str, pk: int) -> Response:
    client = measures_client_for_user(membership, code)
    response = client.responses.filter(pk=pk).select_related("client").first()
    if response is None:
        raise Http404("No such response.")
    return response
