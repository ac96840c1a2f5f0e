"""Confirming and changing the clinic's clinical values. Each decision is a new row, audited."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from holdspace.people.actors import Actor
from holdspace.people.auditing import audit_write
from holdspace.screening import services as screening_services
from holdspace.sessions import services as session_services
from holdspace.sessions.models import SessionSettings

from . import policies, selectors
from .models import Decision, ReviewDecision


def _lead(by: Actor) -> int:
    membership = by.membership
    if membership is None or not policies.can_review(membership):
        raise PermissionDenied(_("Only a medical lead reviews the clinic's clinical values."))
    return membership.clinic_id


def _sessions_settled(by: Actor, clinic_id: int) -> None:
    """Once every session value is confirmed here, the session settings count as confirmed
    too (the same confirmation the Session settings page records)."""
    settings = SessionSettings.objects.filter(clinic_id=clinic_id).first()
    if settings is not None and settings.confirmed_at is not None:
        return
    open_items = [
        item
        for item in selectors.review_items(clinic_id)
        if item.key.startswith("sessions.") and item.row.area == "sessions" and not item.confirmed
    ]
    if not open_items:
        session_services.settings_confirm(by=by, values={})


def review_confirm(*, by: Actor, key: str, reason: str = "") -> ReviewDecision:
    """The medical lead confirms the value now in force for `key`."""
    clinic_id = _lead(by)
    item = selectors.review_item(clinic_id, key)
    if item is None:
        raise ValidationError({"key": _("Nothing to review under this name.")})
    assert by.membership is not None  # noqa: S101  (checked by _lead)
    with transaction.atomic():
        row = ReviewDecision.objects.create(
            clinic_id=clinic_id,
            key=key,
            decision=Decision.CONFIRMED,
            value=item.current,
            reason=reason.strip(),
            decided_by=by.membership,
        )
        audit_write(by, "review.confirm", target=row, fields=["key", "value", "reason"])
        if key.startswith("sessions."):
            _sessions_settled(by, clinic_id)
    return row


def review_change(*, by: Actor, key: str, value: int, reason: str) -> ReviewDecision:
    """The medical lead sets a new value (through the app that owns it) and confirms it."""
    clinic_id = _lead(by)
    item = selectors.review_item(clinic_id, key)
    errors: dict[str, str] = {}
    if item is None or item.change is None:
        errors["key"] = _("This value is changed on its own page.")
    elif not item.change.minimum <= value <= item.change.maximum:
        errors["value"] = _("Choose a value from %(low)s to %(high)s.") % {
            "low": item.change.minimum,
            "high": item.change.maximum,
        }
    if not reason.strip():
        errors["reason"] = _("Say why the clinic changes this value.")
    if errors:
        raise ValidationError(errors)
    assert by.membership is not None  # noqa: S101  (checked by _lead)
    with transaction.atomic():
        if key.startswith("screening.setting."):
            screening_services.setting_override_set(
                by=by, key=key.removeprefix("screening.setting."), value=value, reason=reason
            )
        else:
            field = selectors.SESSION_FIELDS[key][0]
            session_services.settings_confirm(by=by, values={field: value})
        changed = selectors.review_item(clinic_id, key)
        assert changed is not None  # noqa: S101  (a changed value is always listed)
        row = ReviewDecision.objects.create(
            clinic_id=clinic_id,
            key=key,
            decision=Decision.CHANGED,
            value=changed.current,
            reason=reason.strip(),
            decided_by=by.membership,
        )
        audit_write(by, "review.change", target=row, fields=["key", "value", "reason"])
    return row
