"""What every page of the shell needs: the member, their clinic and the arc of care.

It lives in `people`, not `core`, because it asks people's policies who sees what."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from holdspace.core.extensions import banners
from holdspace.core.links import fixed_url

from . import policies
from .models import Membership, Role

# The navigation follows the arc of care. A part with no url_name has not been built yet:
# it shows, so people know where it will be, but as plain text rather than a dead link.
ARC_OF_CARE: list[tuple[str, Any, str | None]] = [
    ("today", _("Today"), "today"),
    ("clients", _("Clients"), "people:client_list"),
    ("screening", _("Screening"), "screening:index"),
    ("courses", _("Courses"), "courses:home"),
    ("sessions", _("Sessions"), "sessions:home"),
    ("measures", _("Measures"), "measures:home"),
    ("outcomes", _("Outcomes"), "outcomes:home"),
    ("exports", _("Exports"), "exports:home"),
    ("studies", _("Studies"), "studies:home"),
]

# The clinic admin's own pages, in the navigation rather than only in the name menu.
ADMIN_NAV: list[tuple[str, Any, str | None]] = [
    ("today", _("Today"), "today"),
    ("staff", _("Staff"), "clinic:staff_list"),
    ("settings", _("Clinic settings"), "clinic:clinic_settings"),
    ("audit", _("Audit log"), "audit:audit_log"),
]


def _navigation(membership: Membership | None) -> list[tuple[str, Any, str | None]]:
    if membership is None:
        return []
    if policies.can_list_clients(membership):
        hidden = policies.nav_parts_hidden(membership)
        return [item for item in ARC_OF_CARE if item[0] not in hidden]
    if membership.role == Role.BLINDED_RATER:  # outcome assessments, nothing else
        return [("today", _("Today"), "today"), ("studies", _("My assessments"), "studies:rater")]
    if membership.role == Role.STUDY_MONITOR:
        return [("today", _("Today"), "today"), ("studies", _("Studies"), "studies:home")]
    if policies.can_manage_staff(membership):
        return [
            item for item in ADMIN_NAV if item[0] != "audit" or policies.can_read_audit(membership)
        ]
    return []


def _with_current(
    request: HttpRequest, items: list[tuple[str, Any, str | None]]
) -> list[tuple[str, Any, str, bool]]:
    """(key, label, url, is the current page). The longest matching url wins, so /clinic/staff/
    and /clinic/settings/ are told apart."""
    resolved = [(key, label, fixed_url(name) if name else "") for key, label, name in items]
    matches = [url for _k, _l, url in resolved if url and request.path.startswith(url)]
    current = max(matches, key=len, default="")
    return [(key, label, url, bool(url) and url == current) for key, label, url in resolved]


def shell(request: HttpRequest) -> dict[str, Any]:
    membership = getattr(request, "membership", None)
    return {
        "membership": membership,
        "arc_of_care": _with_current(request, _navigation(membership)),
        "can_manage_staff": policies.can_manage_staff(membership),
        "can_read_audit": policies.can_read_audit(membership),
        "is_staff_member": membership is not None,
        "banners": banners(request) if membership is not None else [],
    }
