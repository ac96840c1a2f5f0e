"""Writing the audit log. Call `audit_record` inside the transaction of the change it records."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models, transaction

from .models import GENESIS_HASH, AuditChainHead, AuditEvent, Channel


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
    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(
            pk=1, defaults={"seq": 0, "hash": GENESIS_HASH}
        )
        event = AuditEvent(
            seq=head.seq + 1,
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
            prev_hash=head.hash,
        )
        event.hash = event.compute_hash()
        event.save()
        head.seq, head.hash = event.seq, event.hash
        head.save(update_fields=["seq", "hash"])
    return event


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_at: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def audit_chain_verify(*, batch_size: int = 2000) -> ChainReport:
    """Walk the chain in order and report the first link that does not hold."""
    prev_hash, expected_seq, checked = GENESIS_HASH, 1, 0
    rows = AuditEvent.objects.order_by("seq").iterator(chunk_size=batch_size)
    for event in rows:
        if event.seq != expected_seq:
            return ChainReport(
                checked, expected_seq, f"row #{expected_seq} is missing (next row is #{event.seq})"
            )
        if event.prev_hash != prev_hash:
            return ChainReport(
                checked, event.seq, f"row #{event.seq} does not link to the row before it"
            )
        if event.compute_hash() != event.hash:
            return ChainReport(
                checked, event.seq, f"row #{event.seq} was altered after it was written"
            )
        prev_hash, expected_seq, checked = event.hash, expected_seq + 1, checked + 1
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and (head.seq, head.hash) != (expected_seq - 1, prev_hash):
        return ChainReport(
            checked, expected_seq, f"rows after #{expected_seq - 1} up to #{head.seq} are missing"
        )
    return ChainReport(checked)
