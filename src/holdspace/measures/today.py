"""The Today page's alerts panel: safety alerts not yet acknowledged."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Window
from django.http import HttpRequest

from holdspace.people.models import Membership, Role

from . import selectors

SHOWN = 20  # the newest alerts listed; the heading counts them all


def today_panel(request: HttpRequest, membership: Membership) -> dict[str, Any] | None:
    if membership.role not in (Role.THERAPIST, Role.MEDICAL_LEAD):
        return None
    # The count of every open alert rides on the newest rows (a window over the whole
    # selection, counted before the slice): one query rather than the rows and a COUNT.
    alerts = list(
        selectors.open_alerts_visible_to(membership)
        .annotate(open_count=Window(Count("pk")))
        .order_by("-raised_at")[:SHOWN]
    )
    return {"alerts": alerts, "count": alerts[0].open_count if alerts else 0}
