"""The Today page's notes panel: the member's integration notes not yet signed."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from holdspace.people.models import Membership, Role

from .models import IntegrationNote


def today_panel(request: HttpRequest, membership: Membership) -> dict[str, Any] | None:
    if membership.role != Role.THERAPIST:
        return None
    # Only the member's own drafts, of clients still on their care team.
    notes = (
        IntegrationNote.objects.filter(
            author=membership,
            signed_at__isnull=True,
            client__care_team__membership=membership,
        )
        .select_related("client")
        .order_by("created_at")
        .distinct()
    )
    return {"notes": list(notes[:20])}
