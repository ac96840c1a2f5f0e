"""Writing the audit log. Call `audit_record` inside the transaction of the change it records.

Appending takes no lock: the row is inserted unsealed and its transaction commits or rolls back
with the change it records. Rows are sealed into the HMAC chain afterwards by one sealer at a
time (`audit_chain_seal`), run now and then after a commit, by `holdspace audit seal` and at
the start of `holdspace audit verify`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.db import models, transaction

from .chain import (
    ChainBreak,
    ChainReport,
    audit_chain_checkpoint,
    audit_chain_seal,
    audit_chain_verify,
)
from .models import AuditEvent, Channel

__all__ = [
    "ChainBreak",
    "ChainReport",
    "audit_chain_checkpoint",
    "audit_chain_seal",
    "audit_chain_verify",
    "audit_record",
]


def audit_record(
    *,
    action: str,
    actor: models.Model | None = None,
    actor_label: str = "",
    clinic_id: int | None = None,
    target: models.Model | None = None,
    client_code: str = "",
    fields: Iterable[str] = (),
    channel: str = Channel.WEB,
    ip: str | None = None,
) -> AuditEvent:
    """Append one event. `fields` names what changed; values are never copied here."""
    event = AuditEvent(
        at=dt.datetime.now(tz=dt.UTC),
        actor_id=actor.pk if actor is not None else None,
        actor_label=actor_label or (str(actor) if actor is not None else ""),
        clinic_id=clinic_id,
        action=action,
        channel=channel,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        client_code=client_code,
        fields=sorted(set(fields)),
        ip=ip or None,
    )
    event.save()
    every = settings.AUDIT_SEAL_EVERY
    if every and event.pk is not None and event.pk % every == 0:
        # Now and then, after the change has committed, seal what has gathered. Whoever finds
        # the sealer busy skips it: no writer ever waits for another.
        transaction.on_commit(lambda: audit_chain_seal(wait=False))
    return event
