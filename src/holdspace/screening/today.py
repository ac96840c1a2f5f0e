"""The Today page's screening panel: decisions a medical lead has to sign."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from holdspace.people.models import Client, Membership, Phase

from . import policies, selectors

# A clinic screens tens of clients at a time; the panel looks at no more than this many.
LOOK_AT_MOST = 200


def today_panel(request: HttpRequest, membership: Membership) -> dict[str, Any] | None:
    if membership.role not in policies.SIGN_ROLES:
        return None
    screening = Client.objects.filter(clinic_id=membership.clinic_id, phase=Phase.SCREENING)
    clients = [
        client
        for client in screening.order_by("code")[:LOOK_AT_MOST]
        if policies.can_sign_decision(membership, client)
    ]
    eligibility = selectors.screening_eligibility_many(clients)
    waiting = [
        (client, eligibility[client.pk])
        for client in clients
        if eligibility[client.pk].status in ("pending_decision", "outdated")
    ]
    return {"waiting": waiting}
