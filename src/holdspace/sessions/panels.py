"""What the sessions app shows outside its own pages."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from holdspace.core.extensions import Banner
from holdspace.people.models import Client

from . import policies
from .models import MedicineSession, SessionAlert, SessionStatus
from .selectors import sessions_visible_to


def session_alert_banners(request: HttpRequest) -> list[Banner]:
    """An unacknowledged alert of a running session, on every staff page of its team."""
    membership = getattr(request, "membership", None)
    if membership is None or request.path.startswith("/sessions/"):
        return []
    sessions = sessions_visible_to(membership).filter(status=SessionStatus.RUNNING)
    alerts = (
        SessionAlert.objects.filter(session__in=sessions, acknowledged_at__isnull=True)
        .select_related("session__client")
        .order_by("tier", "-raised_at")[:3]
    )
    return [
        Banner(
            level=alert.tier,
            text=_("Medicine session %(code)s: an unacknowledged %(tier)s alert.")
            % {"code": alert.session.client.code, "tier": alert.get_tier_display()},
            url=reverse("sessions:monitor", args=[alert.session.client.code, alert.session_id]),
        )
        for alert in alerts
    ]


def client_panel(request: HttpRequest, client: Client) -> dict[str, Any] | None:
    """The client overview's Medicine sessions panel (for the care team and medical leads)."""
    membership = getattr(request, "membership", None)
    if not policies.can_see_session(membership, client):
        return None
    sessions = list(
        MedicineSession.objects.filter(client=client)
        .select_related("visit")
        .order_by("-opened_at")[:5]
    )
    return {"sessions": sessions}
