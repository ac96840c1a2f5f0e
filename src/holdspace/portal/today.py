"""The Today page's portal panel: a coordinator's portal invitations not yet accepted."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from holdspace.people.models import Membership

from . import policies, selectors


def invitations_panel(request: HttpRequest, membership: Membership) -> dict[str, Any] | None:
    if not policies.can_follow_invitations(membership):
        return None
    return {"invitations": selectors.invitations_pending(membership)}
