"""Writing the audit log. Call `audit_record` inside the transaction of the change it records.

Appending takes no lock: the row is inserted unsealed and its transaction commits or rolls back
with the change it records. Rows are sealed into the HMAC chain afterwards by one sealer at a
time (`audit_chain_seal`), run now and then after a commit, by `holdspace audit seal` and at
the start of `holdspace audit verify`.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable

from django.conf import settings
from django.db import close_old_connections, models, transaction

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
        transaction.on_commit(_seal_soon)
    return event


# Whether this thread is serving a request (Django's request_started and request_finished,
# connected in AuditConfig.ready), and whether a seal waits for the request's end.
_request = threading.local()


def _seal_soon() -> None:
    """Seal now or, while this thread serves a request, once its response has gone out: a
    seal takes some 25 ms of CPU (90 ms the first time in a process), which one page in
    AUDIT_SEAL_EVERY would otherwise wait for. A seal that never runs (a response never
    closed) only waits for the next: every sealer takes all the rows not yet sealed."""
    if getattr(_request, "serving", False):
        _request.seal = True
    else:
        audit_chain_seal(wait=False)


def request_started(**_kwargs: object) -> None:
    _request.serving, _request.seal = True, False


def request_finished(**_kwargs: object) -> None:
    """When the response is closed: the server has sent it (the WSGI server closes it after
    writing the body)."""
    seal = getattr(_request, "seal", False)
    _request.serving, _request.seal = False, False
    if seal:
        audit_chain_seal(wait=False)
        # Django has already ended the request's connection where it should (a receiver
        # connected before this one); the seal may have opened one: end it the same way.
        close_old_connections()
