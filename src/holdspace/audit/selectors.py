from __future__ import annotations

from django.db.models import QuerySet

from holdspace.people import policies
from holdspace.people.models import Membership

from .models import AuditEvent


def audit_events_for(
    membership: Membership | None, *, action: str = "", client_code: str = "", actor: str = ""
) -> QuerySet[AuditEvent]:
    """The audit rows of the member's own clinic, newest first (clinic admins only)."""
    if membership is None or not policies.can_read_audit(membership):
        return AuditEvent.objects.none()
    events = AuditEvent.objects.filter(clinic_id=membership.clinic_id)
    if action:
        events = events.filter(action__startswith=action)
    if client_code:
        events = events.filter(client_code__iexact=client_code.strip())
    if actor:
        events = events.filter(actor_label__icontains=actor.strip())
    return events.order_by("-id")
