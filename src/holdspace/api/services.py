"""Issuing and revoking personal API tokens."""

from __future__ import annotations

import datetime as dt

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest

from holdspace.audit.services import audit_record
from holdspace.people.actors import Actor
from holdspace.people.models import User

from .models import ApiToken, hash_token, new_raw_token

MAX_TOKEN_DAYS = 366


def api_token_create(
    *, by: Actor, user: User, name: str, days: int | None = None
) -> tuple[ApiToken, str]:
    """Create a token for `user`, valid for `days` (API_TOKEN_DAYS unless given); the raw
    token is returned once and never stored."""
    if by.user is not None and by.user != user:
        raise PermissionDenied("Tokens are personal: create your own.")
    days = settings.API_TOKEN_DAYS if days is None else days
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise ValidationError({"days": f"A token lasts 1 to {MAX_TOKEN_DAYS} days."})
    raw = new_raw_token()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name.strip() or "API token",
            hint=raw[:10],
            token_hash=hash_token(raw),
            expires_at=dt.datetime.now(tz=dt.UTC) + dt.timedelta(days=days),
        )
        audit_record(
            action="api_token.create",
            actor=user,
            clinic_id=by.clinic_id,
            target=token,
            fields=["name", "expires_at"],
            channel=by.channel,
            ip=by.ip,
        )
    return token, raw


def api_token_revoke(*, by: Actor, token: ApiToken) -> ApiToken:
    if by.user is not None and by.user != token.user:
        raise PermissionDenied("You may revoke only your own tokens.")
    if token.revoked_at is not None:
        return token
    with transaction.atomic():
        token.revoked_at = dt.datetime.now(tz=dt.UTC)
        token.save(update_fields=["revoked_at"])
        audit_record(
            action="api_token.revoke",
            actor=token.user,
            clinic_id=by.clinic_id,
            target=token,
            fields=["revoked_at"],
            channel=by.channel,
            ip=by.ip,
        )
    return token


def api_token_authenticate(raw: str, *, request: HttpRequest) -> ApiToken | None:
    """The unrevoked, unexpired token of an active account that is not locked out, or None.

    A lockout (django-axes, after wrong passwords) stops the account's tokens too: whoever
    is guessing its password may already hold one of them.
    """
    now = dt.datetime.now(tz=dt.UTC)
    token = (
        ApiToken.objects.select_related("user")
        .filter(
            token_hash=hash_token(raw),
            revoked_at__isnull=True,
            expires_at__gt=now,
            user__is_active=True,
        )
        .first()
    )
    if token is None:
        return None
    if AxesProxyHandler.is_locked(request, credentials={"username": token.user.email}):
        return None
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
