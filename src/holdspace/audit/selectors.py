"""Reads of the audit log, by clinic. Who may read them is decided a layer up, in people."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from .models import AuditEvent


def audit_events_of_clinic(
    clinic_id: int,
    *,
    action: str = "",
    client_code: str = "",
    actor: str = "",
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[AuditEvent]:
    """The audit rows of one clinic, newest first, from the start of `since` to the end of
    `until` (the clinic's local days). Unscoped: the caller has applied the policy
    (`people.selectors.audit_events_for`, `people.selectors.record_access_for_client`)."""
    events = AuditEvent.objects.filter(clinic_id=clinic_id)
    zone = timezone.get_current_timezone()
    if since is not None:
        events = events.filter(at__gte=datetime.combine(since, time.min, tzinfo=zone))
    if until is not None:
        events = events.filter(
            at__lt=datetime.combine(until + timedelta(days=1), time.min, tzinfo=zone)
        )
    if action:
        events = events.filter(action__startswith=action)
    if client_code:
        events = events.filter(client_code__iexact=client_code.strip())
    if actor:
        events = events.filter(actor_label__icontains=actor.strip())
    return events.order_by("-id")
