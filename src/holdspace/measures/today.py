"""The Today page's alerts panel: safety alerts not yet acknowledged."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from holdspace.people.models import Membership, Role

from . import selectors


def today_panel(request: HttpRequest, membership: Membership) -> dict[str, Any] | None:
    if membership.role not in (Role.THERAPIST, Role.MEDICAL_LEAD):
        return None
    alerts = selectors.open_alerts_visible_to(membership).order_by("-raised_at")
    return {"alerts": list(alerts[:20]), "count": alerts.count()}
