"""The audit chain's system check: no production start without its key outside the database."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=False)
def audit_key_present(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """The audit chain's key must exist outside the database (AUDIT_KEY_FILE)."""
    from django.core.exceptions import ImproperlyConfigured

    from .keys import audit_key

    if not settings.PRODUCTION and not settings.AUDIT_KEY_FILE:
        return []
    try:
        audit_key()
    except ImproperlyConfigured as error:
        return [
            Error(
                str(error),
                hint="Set AUDIT_KEY_FILE to a file (mode 600, not in the database) holding "
                "at least 32 random bytes, e.g. `openssl rand -hex 32 > /etc/holdspace/audit_key`.",
                id="holdspace.E010",
            )
        ]
    return []
