"""Today-page panels of the studies app: deviations reported to the medical lead, and the
blinded rater's assessments due."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from holdspace.core.compiled import CompiledQueries
from holdspace.people.models import Membership, Role

from .models import Assessment, Deviation

RECENT = dt.timedelta(days=30)  # how long a reported deviation stays on the lead's Today page


def deviations_panel(request: HttpRequest, membership: Membership) -> dict[str, Any] | None:
    """Protocol deviations reported at this clinic's sites in the last 30 days (medical lead)."""
    if membership.role != Role.MEDICAL_LEAD:
        return None
    rows = list(
        Deviation.objects.filter(
            site__clinic_id=membership.clinic_id, reported_at__gte=timezone.now() - RECENT
        ).select_related("study", "enrolment__client")[:20]
    )
    return {"rows": rows} if rows else None


def rater_panel(request: HttpRequest, membership: Membership) -> dict[str, Any] | None:
    if membership.role != Role.BLINDED_RATER:
        return None
    due = Assessment.objects.filter(
        rater_id=membership.user_id, done_at__isnull=True, due_on__lte=timezone.localdate()
    ).count()
    return {"due": due}


def invitations_panel(request: HttpRequest, membership: Membership) -> dict[str, Any] | None:
    """Invitations to run a study, for the invited clinic's medical lead to answer."""
    from .team import invitations_received

    if membership.role != Role.MEDICAL_LEAD:
        return None
    # Most days there is none: first whether there is one, by SQL compiled once per clinic
    # (the same round trip, without building the query with its joins on every visit).
    pending = _pending.get(
        (membership.clinic_id, membership.role),  # everything the query is built from
        lambda: invitations_received(membership).select_related(None).values("pk")[:1],
    )
    if not pending.rows():
        return None
    invitations = list(invitations_received(membership))
    return {"invitations": invitations} if invitations else None


_pending = CompiledQueries()


def follow_ups_panel(request: HttpRequest, membership: Membership) -> dict[str, Any] | None:
    """Study follow-ups (6 and 12 months) of the site's clients, overdue or due soon."""
    from .follow_up import coming_up

    today = timezone.localdate()
    rows = coming_up(membership, today=today)
    return {"rows": rows, "today": today} if rows else None
