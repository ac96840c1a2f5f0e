"""What the sessions app shows outside its own pages."""

from __future__ import annotations

from typing import Any

from django.db.models import F, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from holdspace.core.compiled import CompiledQueries
from holdspace.core.extensions import Banner, BannerRow, banner_query
from holdspace.people.models import Client, Role

from . import policies
from .models import AlertTier, MedicineSession, SessionAlert, SessionStatus
from .selectors import sessions_visible_to


def session_alert_vary(request: HttpRequest) -> bool:
    """The banner query differs on the sessions pages (none there): its SQL is kept by this."""
    return request.path.startswith("/sessions/")


def session_alert_rows(request: HttpRequest) -> QuerySet[Any] | None:
    """The three most urgent unacknowledged alerts of running sessions of the member's teams
    (not on the sessions pages, which show them themselves)."""
    membership = getattr(request, "membership", None)
    if membership is None or session_alert_vary(request):
        return None
    if membership.role not in (Role.THERAPIST, Role.MEDICAL_LEAD):
        return None  # sessions_visible_to() would be empty: no need to ask
    sessions = sessions_visible_to(membership).filter(status=SessionStatus.RUNNING)
    urgent = SessionAlert.objects.filter(
        session__in=sessions.values("pk"), acknowledged_at__isnull=True
    ).order_by("tier", "-raised_at")
    return banner_query(
        SessionAlert.objects.filter(pk__in=urgent.values("pk")[:3]),
        level=F("tier"),
        label=F("session__client__code"),
        ref=F("session_id"),
        count=F("pk"),
    )


def session_alert_banners(request: HttpRequest, rows: list[BannerRow]) -> list[Banner]:
    """An unacknowledged alert of a running session, on every staff page of its team."""
    tiers = dict(AlertTier.choices)
    rows = sorted(rows, key=lambda row: (row.level, -(row.count or 0)))  # act first, newest
    return [
        Banner(
            level=row.level,
            text=_("Medicine session %(code)s: an unacknowledged %(tier)s alert.")
            % {"code": row.label, "tier": tiers.get(row.level, row.level)},
            url=reverse("sessions:monitor", args=[row.label, row.ref]),
        )
        for row in rows
    ]


def client_panel(request: HttpRequest, client: Client) -> dict[str, Any] | None:
    """The client overview's Medicine sessions panel (for the care team and medical leads)."""
    membership = getattr(request, "membership", None)
    if not policies.can_see_session(membership, client):
        return None
    # The newest five with their visits, the SQL compiled once per process for any client.
    sessions = _panel_sql.bound(
        "newest",
        lambda client_id: (
            MedicineSession.objects.filter(client_id=client_id)
            .select_related("visit")
            .order_by("-opened_at")[:5]
        ),
        client_id=client.pk,
    ).objects()
    return {"sessions": sessions}


_panel_sql = CompiledQueries()
