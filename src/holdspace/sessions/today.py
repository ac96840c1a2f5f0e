"""The Today page's sessions panel: today's medicine sessions and any still running."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from holdspace.people.models import Membership, Role

from . import policies, selectors
from .models import SessionStatus


def today_panel(request: HttpRequest, membership: Membership) -> dict[str, Any] | None:
    if membership.role not in (Role.THERAPIST, Role.MEDICAL_LEAD):
        return None
    rows = selectors.medicine_sessions_today(membership)
    return {
        "rows": rows,
        "running": sum(1 for row in rows if row.session_status == SessionStatus.RUNNING),
        "unconfirmed": not selectors.settings_confirmed(membership.clinic_id),
        "can_confirm": policies.can_confirm_settings(membership),
    }
