from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from holdspace.people import policies
from holdspace.people.models import Client, Membership

from .models import AuditEvent


def audit_events_for(
    membership: Membership | None,
    *,
    action: str = "",
    client_code: str = "",
    actor: str = "",
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[AuditEvent]:
    """The audit rows of the member's own clinic, newest first (clinic admins only), from the
    start of `since` to the end of `until` (the clinic's local days)."""
    if membership is None or not policies.can_read_audit(membership):
        return AuditEvent.objects.none()
    events = AuditEvent.objects.filter(clinic_id=membership.clinic_id)
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


@dataclass(frozen=True)
class RecordAccess:
    """One staff read or change of a client's record, as the client may see it: who, in which
    role, when, and which part of the record; never the record or the fields themselves."""

    at: datetime
    name: str
    role: str
    changed: bool
    area: str


# The first word of an audit action names the part of the record (people.auditing callers).
AREAS: dict[str, StrOrPromise] = {
    "client": _("Your record"),
    "care_team": _("Your record"),
    "medical": _("Screening"),
    "psychiatric": _("Screening"),
    "medication": _("Screening"),
    "experience": _("Screening"),
    "screening": _("Screening"),
    "measures": _("Questionnaires"),
    "session": _("Medicine session"),
    "integration": _("Integration"),
    "integration_note": _("Integration"),
    "check_in": _("Integration"),
    "checkin": _("Integration"),
    "journal": _("Integration"),
    "preparation": _("Preparation"),
    "course": _("Course and visits"),
    "visit": _("Course and visits"),
    "portal": _("Portal invitation"),
}


def record_access_for_client(client: Client, *, limit: int = 200) -> list[RecordAccess]:
    """Who on the staff of the client's clinic opened or changed this client's record, newest
    first (pasientjournalloven § 18: the patient may know who accessed the record). The
    caller has established that the reader is this client (the portal's own account)."""
    staff = {
        m.user_id: m
        for m in Membership.objects.filter(clinic_id=client.clinic_id)
        .select_related("user")
        .order_by("is_active", "created_at")  # the active, newest membership wins
    }
    events = AuditEvent.objects.filter(
        clinic_id=client.clinic_id, client_code=client.code, actor_id__in=list(staff)
    ).order_by("-id")[:limit]
    rows = []
    for event in events:
        member = staff[event.actor_id]  # type: ignore[index]  # filtered on actor_id above
        verb = event.action.rsplit(".", 1)[-1]
        rows.append(
            RecordAccess(
                at=event.at,
                name=member.user.get_full_name() or str(_("A staff member")),
                role=member.get_role_display(),
                changed=verb not in ("view", "list"),
                area=str(AREAS.get(event.action.split(".", 1)[0], _("Your record"))),
            )
        )
    return rows
