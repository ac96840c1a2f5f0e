"""Every write to preparation: permission, transaction and audit (field names only)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from holdspace.audit.services import audit_record
from holdspace.courses import policies as course_policies
from holdspace.courses.models import Course
from holdspace.people.actors import Actor
from holdspace.people.models import Client

from .models import Preparation, ReadinessOverride
from .selectors import checklist_missing, preparation_for

EDITABLE = (
    "intentions",
    "music_playlist",
    "eyeshades",
    "room",
    "ride_home",
    "overnight_plan",
    "overnight_attendant",
    "supportive_touch",
    "agrees_to_stay",
    "recording_consent",
)


def _audit(by: Actor, action: str, **kwargs: Any) -> None:
    audit_record(
        action=action, actor=by.user, clinic_id=by.clinic_id, channel=by.channel, ip=by.ip, **kwargs
    )


def preparation_update(*, by: Actor, course: Course, client: Client, **values: Any) -> Preparation:
    """Save the checklist. Staff on the course only; the client writes intentions via the portal."""
    if not course_policies.can_manage_course(by.membership, client):
        raise PermissionDenied(_("You may not change this preparation."))
    if not course.clients.filter(pk=client.pk).exists():
        raise PermissionDenied
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    room = values.get("room")
    if room is not None and room.clinic_id != course.clinic_id:
        raise ValidationError({"room": _("Choose a room of this clinic.")})
    return _save(by, course, client, values)


def intentions_write(*, by: Actor, course: Course, client: Client, intentions: str) -> Preparation:
    """The client's intentions in their own words (from the portal, by the client)."""
    account = getattr(by.user, "portal_account", None) if by.user is not None else None
    if account is None or account.client_id != client.pk or not account.is_active:
        raise PermissionDenied
    return _save(by, course, client, {"intentions": intentions})


def _save(by: Actor, course: Course, client: Client, values: dict[str, Any]) -> Preparation:
    with transaction.atomic():
        preparation = preparation_for(course, client)
        changed = [name for name, value in values.items() if getattr(preparation, name) != value]
        for name in changed:
            setattr(preparation, name, values[name])
        if preparation.pk is None or changed:
            preparation.save()
            _audit(
                by,
                "preparation.update",
                target=preparation,
                client_code=client.code,
                fields=changed,
            )
    return preparation


def readiness_override(
    *, by: Actor, course: Course, client: Client, reason: str
) -> ReadinessOverride:
    """A medical lead lets a session go ahead with the checklist incomplete, saying why."""
    if not course_policies.can_override_readiness(by.membership, client):
        raise PermissionDenied(_("Only a medical lead may override readiness."))
    if by.membership is None:
        raise PermissionDenied
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Write why the session may go ahead.")})
    with transaction.atomic():
        preparation = preparation_for(course, client)
        if preparation.pk is None:
            preparation.save()
        if not checklist_missing(preparation):
            raise ValidationError({"reason": _("The checklist is complete: nothing to override.")})
        override = ReadinessOverride.objects.create(
            preparation=preparation, reason=reason, by=by.membership
        )
        _audit(
            by, "preparation.override", target=override, client_code=client.code, fields=["reason"]
        )
    return override
