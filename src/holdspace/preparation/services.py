"""Every write to preparation: permission, transaction and audit (field names only)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from holdspace.courses.models import Course
from holdspace.people.actors import Actor
from holdspace.people.auditing import audit_write
from holdspace.people.models import Client
from holdspace.people.policies import require

from . import policies
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


def preparation_update(*, by: Actor, course: Course, client: Client, **values: Any) -> Preparation:
    """Save the checklist. Staff on the course only; the client writes intentions via the portal."""
    require(
        by,
        policies.can_change_preparation,
        client,
        message=_("You may not change this preparation."),
    )
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
            audit_write(by, "preparation.update", target=preparation, client=client, fields=changed)
    return preparation


def readiness_override(
    *, by: Actor, course: Course, client: Client, reason: str
) -> ReadinessOverride:
    """A medical lead lets a session go ahead with the checklist incomplete, saying why."""
    lead = require(
        by,
        policies.can_override_readiness,
        client,
        message=_("Only a medical lead may override readiness."),
    )
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Write why the session may go ahead.")})
    with transaction.atomic():
        preparation = preparation_for(course, client)
        if preparation.pk is None:
            preparation.save()
        if not checklist_missing(preparation):
            raise ValidationError({"reason": _("The checklist is complete: nothing to override.")})
        override = ReadinessOverride.objects.create(preparation=preparation, reason=reason, by=lead)
        audit_write(by, "preparation.override", target=override, client=client, fields=["reason"])
    return override
