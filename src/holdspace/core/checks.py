"""System checks that refuse to start a production clinic with unsafe settings."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=False)
def production_safety(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    if not settings.PRODUCTION:
        return []
    errors: list[Error] = []
    if settings.DEBUG:
        errors.append(
            Error(
                "DEBUG is on in production: tracebacks would show clinical data.",
                hint="Unset HOLDSPACE_DEBUG.",
                id="holdspace.E001",
            )
        )
    if not settings.SESSION_COOKIE_SECURE or not settings.CSRF_COOKIE_SECURE:
        errors.append(
            Error(
                "Session and CSRF cookies must be sent over HTTPS only in production.",
                hint="Unset SESSION_COOKIE_SECURE and CSRF_COOKIE_SECURE (they default to true).",
                id="holdspace.E002",
            )
        )
    if len(settings.SECRET_KEY) < 50 or len(set(settings.SECRET_KEY)) < 5:
        errors.append(
            Error(
                "SECRET_KEY is too short or too simple for production.",
                hint="Use at least 50 random characters, e.g. from secrets.token_urlsafe(64).",
                id="holdspace.E003",
            )
        )
    return errors
