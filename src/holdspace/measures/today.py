"""The Today page's alerts panel: safety alerts not yet acknowledged."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, F, QuerySet, Window
from django.http import HttpRequest

from holdspace.core.compiled import CompiledQueries
from holdspace.people.models import Membership, Role

from . import selectors
from .models import SafetyAlert

SHOWN = 20  # the newest alerts listed; the heading counts them all


def today_panel(request: HttpRequest, membership: Membership) -> dict[str, Any] | None:
    if membership.role not in (Role.THERAPIST, Role.MEDICAL_LEAD):
        return None
    # The query is the member's alone (building it took longer than running it): compiled
    # once per member, role and clinic; its rows are read on every visit.
    key = (membership.pk, membership.role, membership.clinic_id)
    compiled = _open_alerts.get(key, lambda: _open_alerts_query(membership))
    alerts: list[SafetyAlert] = compiled.objects()
    count = getattr(alerts[0], "open_count", 0) if alerts else 0  # the query's annotation
    return {"alerts": alerts, "count": count}


_open_alerts = CompiledQueries()


def _open_alerts_query(membership: Membership) -> QuerySet[SafetyAlert]:
    # The count of every open alert rides on the newest rows (a window over the whole
    # selection, counted before the slice): one query rather than the rows and a COUNT. Of
    # each alert what the panel shows, with its client's code (`code`).
    return (
        selectors.open_alerts_visible_to(membership)
        .select_related(None)
        .only("pk", "severity", "reason_code", "raised_at")
        .annotate(code=F("client__code"), open_count=Window(Count("pk")))
        .order_by("-raised_at")[:SHOWN]
    )
