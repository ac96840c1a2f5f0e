"""The one way every app writes its audit rows: `audit_write` inside a change's transaction,
`audit_read` for every read of a client's records, from a page or the API alike.

Both take the acting `Actor`, so who, which clinic, which door (web, API, command line) and
which address are filled in the same way everywhere. Never pass clinical free text: `fields`
names what was read or changed, never its value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.cache import cache
from django.db import models

from holdspace.audit.services import audit_record

from .actors import Actor
from .models import Client

# How often a read that repeats every second is written again for the same person and record.
REPEATED_READ_WINDOW = dt.timedelta(minutes=10)


def audit_write(
    by: Actor,
    action: str,
    *,
    actor_label: str = "",
    target: models.Model | None = None,
    client: Client | None = None,
    client_code: str = "",
    fields: Iterable[str] = (),
) -> None:
    """Append the audit row of a change (call it inside the change's transaction)."""
    audit_record(
        action=action,
        actor=by.user,
        actor_label=actor_label,
        # A client in the portal has no membership: the row belongs to their clinic.
        clinic_id=by.clinic_id if by.clinic_id is not None else getattr(client, "clinic_id", None),
        channel=by.channel,
        ip=by.ip,
        target=target,
        client_code=client.code if client is not None else client_code,
        fields=fields,
    )


def audit_read(
    by: Actor,
    action: str,
    *,
    client: Client | None = None,
    target: models.Model | None = None,
    fields: Iterable[str] = (),
) -> None:
    """Record that `by` read something of a client's record (`action` ends in `.view` or
    `.list`). Pages and API routes call this same function after the selector answered."""
    audit_write(by, action, target=target, client=client, fields=fields)


def audit_read_throttled(
    by: Actor,
    action: str,
    *,
    client: Client,
    target: models.Model,
    every: dt.timedelta = REPEATED_READ_WINDOW,
) -> None:
    """`audit_read` for a view that the same person re-reads every second (the live session
    monitor): one row per person, record and window, so the log says who watched, without
    burying everything else. The window is kept in the shared cache (one query)."""
    who = by.user.pk if by.user else "-"
    key = f"audit-read:{action}:{who}:{target._meta.label_lower}:{target.pk}"
    if cache.add(key, True, timeout=int(every.total_seconds())):
        audit_read(by, action, client=client, target=target)
