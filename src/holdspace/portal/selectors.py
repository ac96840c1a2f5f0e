"""Every read of the portal's pages: only the signed-in client's own record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from holdspace.audit.selectors import audit_events_of_clinic
from holdspace.courses.models import Course, Visit, VisitKind
from holdspace.integration.models import JournalEntry
from holdspace.people.models import Client, Membership, User

from . import policies
from .models import PortalAccount


def portal_account_for_user(user: User, membership: Membership | None) -> PortalAccount:
    """The user's active portal account; staff (anyone with a membership) and users without
    one are refused with 403."""
    if not policies.can_use_portal(membership):
        raise PermissionDenied
    account = (
        PortalAccount.objects.select_related("client__clinic")
        .filter(user_id=user.pk or 0, is_active=True)
        .first()
    )
    if account is None:
        raise PermissionDenied
    return account


def invitations_pending(membership: Membership, *, limit: int = 50) -> list[PortalAccount]:
    """The clinic's portal accounts whose client has not signed in yet, oldest first."""
    if not policies.can_follow_invitations(membership):
        raise PermissionDenied
    return list(
        PortalAccount.objects.filter(
            client__clinic_id=membership.clinic_id, is_active=True, user__last_login__isnull=True
        )
        .select_related("client")
        .order_by("created_at")[:limit]
    )


def upcoming_visits(course: Course, *, limit: int = 5) -> list[Visit]:
    """The client's next visits of the course (check-ins are asked for on the page itself)."""
    return list(
        course.visits.filter(cancelled=False, starts_at__gte=timezone.now())
        .exclude(kind=VisitKind.CHECK_IN)
        .order_by("starts_at")[:limit]
    )


def journal_recent(client: Client, *, limit: int = 10) -> QuerySet[JournalEntry]:
    return client.journal.all()[:limit]


def checked_in_today(client: Client) -> bool:
    return client.check_ins.filter(recorded_at__date=timezone.localdate()).exists()


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
    events = audit_events_of_clinic(client.clinic_id, client_code=client.code).filter(
        actor_id__in=list(staff)
    )[:limit]
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
