"""Reads of the audit log, by clinic. Who may read them is decided a layer up, in people."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import AuditEvent


def audit_events_of_clinic(
    clinic_id: int, *, action: str = "", client_code: str = "", actor: str = ""
) -> QuerySet[AuditEvent]:
    """The audit rows of one clinic, newest first. Unscoped: the caller has applied the
    policy (`people.selectors.audit_events_for`, `people.selectors.record_access_for_client`)."""
    events = AuditEvent.objects.filter(clinic_id=clinic_id)
    if action:
        events = events.filter(action__startswith=action)
    if client_code:
        events = events.filter(client_code__iexact=client_code.strip())
    if actor:
        events = events.filter(actor_label__icontains=actor.strip())
    return events.order_by("-id")
