"""What every page of the shell needs: the member, their clinic and the arc of care."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from holdspace.people import policies

from .extensions import banners

# The navigation follows the arc of care. A part with no url_name has not been built yet:
# it shows, so people know where it will be, but as plain text rather than a dead link.
ARC_OF_CARE: list[tuple[str, Any, str | None]] = [
    ("clients", _("Clients"), "people:client_list"),
    ("screening", _("Screening"), "screening:index"),
    ("courses", _("Courses"), "courses:home"),
    ("sessions", _("Sessions"), "sessions:home"),
    ("measures", _("Measures"), "measures:home"),
    ("outcomes", _("Outcomes"), "outcomes:home"),
]


def shell(request: HttpRequest) -> dict[str, Any]:
    membership = getattr(request, "membership", None)
    return {
        "membership": membership,
        "arc_of_care": ARC_OF_CARE if policies.can_list_clients(membership) else [],
        "can_manage_staff": policies.can_manage_staff(membership),
        "can_read_audit": policies.can_read_audit(membership),
        "is_staff_member": membership is not None,
        "banners": banners(request) if membership is not None else [],
    }
