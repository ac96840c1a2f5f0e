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
    visits = selectors.medicine_visits_today(membership)
    opened = {
        (s.visit_id, s.client_id): s
        for s in selectors.sessions_visible_to(membership).filter(
            visit_id__in=[visit.pk for visit, _client in visits]
        )
    }
    rows = [(visit, client, opened.get((visit.pk, client.pk))) for visit, client in visits]
    settings = selectors.settings_for(membership.clinic_id)
    return {
        "rows": rows,
        "running": sum(1 for *_r, s in rows if s and s.status == SessionStatus.RUNNING),
        "unconfirmed": settings.confirmed_at is None,
        "can_confirm": policies.can_confirm_settings(membership),
    }
