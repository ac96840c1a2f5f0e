"""The Today page's screening panel: decisions a medical lead has to sign."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from holdspace.people.models import Membership, Phase
from holdspace.people.selectors import clients_visible_to

from . import policies, selectors

# A clinic screens tens of clients at a time; the panel looks at no more than this many.
LOOK_AT_MOST = 200


def today_panel(request: HttpRequest, membership: Membership) -> dict[str, Any] | None:
    if membership.role not in policies.SIGN_ROLES:
        return None
    # The clients the member may sign for (policies.can_sign_decision, as a query: the role
    # was checked above, the clients are those the member may see), as codes only.
    clients = list(
        clients_visible_to(membership)
        .filter(phase=Phase.SCREENING)
        .order_by("code")
        .values_list("pk", "code")[:LOOK_AT_MOST]
    )
    waiting = selectors.decisions_waiting_many([pk for pk, _code in clients])
    reasons = {status: selectors.waiting_reason(status) for status in set(waiting.values())}
    return {"waiting": [(code, reasons[waiting[pk]]) for pk, code in clients if pk in waiting]}
