"""Sealing, verifying and checkpointing the audit chain.

Sealing gives each unsealed row, in the order of its id, the next sequence number, the hash
of the previous sealed row and its own HMAC (audit.keys), then signs the new head. One sealer
runs at a time (it locks the head row); appends never wait for it.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from django.db import DatabaseError, connection, models, transaction
from django.db.models import Case, Value, When

from .keys import checkpoint_signature, head_signature, same
from .models import GENESIS_HASH, AuditChainHead, AuditEvent

SEAL_BATCH = 1000
# Rows sealed by one UPDATE: the sealing that runs after every AUDIT_SEAL_EVERY-th audited
# request (64 by default) is one statement, not one a row.
SEAL_STATEMENT = 100


def _seal_rows(sealed: list[AuditEvent]) -> None:
    """Fill in the seals of rows that have none, SEAL_STATEMENT rows per UPDATE (a CASE on the
    id per column): the one update an audit row allows (the database trigger checks the same,
    row by row). The model's own queryset refuses every update."""
    for start in range(0, len(sealed), SEAL_STATEMENT):
        rows = sealed[start : start + SEAL_STATEMENT]

        def per_row(name: str, rows: list[AuditEvent] = rows) -> Case:
            return Case(*(When(pk=row.pk, then=Value(getattr(row, name))) for row in rows))

        models.QuerySet.update(
            AuditEvent.objects.filter(pk__in=[row.pk for row in rows], hash=""),
            seq=per_row("seq"),
            prev_hash=per_row("prev_hash"),
            hash=per_row("hash"),
        )


def audit_chain_seal(*, wait: bool = True, limit: int | None = None) -> int:
    """Seal the rows appended since the last seal; the number sealed.

    wait=False returns 0 at once when another sealer holds the head.
    """
    sealed = 0
    while limit is None or sealed < limit:
        try:
            with transaction.atomic():
                head = _locked_head(wait=wait)
                if head is None:
                    return sealed
                batch = list(AuditEvent.objects.filter(hash="").order_by("id")[:SEAL_BATCH])
                if not batch:
                    return sealed
                seq, prev = head.seq, head.hash
                for event in batch:
                    seq += 1
                    event.seq, event.prev_hash = seq, prev
                    event.hash = event.compute_hash()
                    prev = event.hash
                _seal_rows(batch)
                head.seq, head.hash = seq, prev
                head.signature = head_signature(seq, prev)
                head.save(update_fields=["seq", "hash", "signature"])
                sealed += len(batch)
        except DatabaseError:
            if wait:
                raise
            return sealed  # busy (SQLite's single writer): the next sealer takes these rows
    return sealed


def _locked_head(*, wait: bool) -> AuditChainHead | None:
    heads = AuditChainHead.objects.all()
    if connection.features.has_select_for_update_skip_locked:
        heads = heads.select_for_update(skip_locked=not wait)
    head = heads.filter(pk=1).first()
    if head is not None:
        return head
    if not wait and AuditChainHead.objects.filter(pk=1).exists():
        return None  # it exists, another sealer holds it
    head, _ = AuditChainHead.objects.get_or_create(
        pk=1, defaults={"seq": 0, "hash": GENESIS_HASH, "signature": ""}
    )
    return head


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    reason: str


@dataclass
class ChainReport:
    checked: int = 0
    unsealed: int = 0
    breaks: list[ChainBreak] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaks

    @property
    def broken_at(self) -> int | None:
        return self.breaks[0].seq if self.breaks else None

    @property
    def reason(self) -> str:
        return self.breaks[0].reason if self.breaks else ""


def audit_chain_verify(
    *, batch_size: int = 2000, checkpoint: dict[str, Any] | None = None, seal: bool = False
) -> ChainReport:
    """Walk the whole chain and report every link that does not hold (not only the first),
    the rows not yet sealed, a head that was not signed with the key, and (given a
    checkpoint) rows that were there at the checkpoint and are gone."""
    if seal:
        audit_chain_seal()
    report = ChainReport()
    prev_hash, expected_seq = GENESIS_HASH, 1
    rows = AuditEvent.objects.exclude(hash="").order_by("seq").iterator(chunk_size=batch_size)
    for event in rows:
        seq = event.seq or 0
        if seq != expected_seq:
            report.breaks.append(ChainBreak(expected_seq, _missing(expected_seq, seq - 1)))
        elif event.prev_hash != prev_hash:
            report.breaks.append(ChainBreak(seq, f"row #{seq} does not link to the row before it"))
        if not same(event.compute_hash(), event.hash):
            report.breaks.append(ChainBreak(seq, f"row #{seq} was altered after it was sealed"))
        # Go on from this row as stored, so one edit is one break, not all the rows after it.
        prev_hash, expected_seq = event.hash, seq + 1
        report.checked += 1
    last = expected_seq - 1
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and head.seq:
        if not same(head.signature, head_signature(head.seq, head.hash)):
            report.breaks.append(
                ChainBreak(head.seq, "the chain head is not signed with the audit key")
            )
        if head.seq > last:
            report.breaks.append(ChainBreak(last + 1, _missing(last + 1, head.seq)))
        elif (head.seq, head.hash) != (last, prev_hash) and head.seq == last:
            report.breaks.append(ChainBreak(last, f"row #{last} is not the signed head"))
    if checkpoint is not None:
        report.breaks.extend(_check_checkpoint(checkpoint, last))
    report.unsealed = AuditEvent.objects.filter(hash="").count()
    return report


def _missing(first: int, last: int) -> str:
    if first == last:
        return f"row #{first} is missing"
    return f"rows #{first} to #{last} are missing"


def audit_chain_checkpoint() -> dict[str, Any]:
    """The signed head, to store away from the database (syslog, another host)."""
    audit_chain_seal()
    head = AuditChainHead.objects.filter(pk=1).first()
    seq, hash_ = (head.seq, head.hash) if head is not None else (0, GENESIS_HASH)
    at = dt.datetime.now(tz=dt.UTC).isoformat(timespec="seconds")
    return {"seq": seq, "hash": hash_, "at": at, "signature": checkpoint_signature(seq, hash_, at)}


def _check_checkpoint(checkpoint: dict[str, Any], last: int) -> list[ChainBreak]:
    try:
        seq, hash_, at = int(checkpoint["seq"]), str(checkpoint["hash"]), str(checkpoint["at"])
        signature = str(checkpoint["signature"])
    except (KeyError, TypeError, ValueError):
        return [ChainBreak(0, "the checkpoint is not one `holdspace audit checkpoint` wrote")]
    if not same(signature, checkpoint_signature(seq, hash_, at)):
        return [ChainBreak(seq, "the checkpoint's signature does not match the audit key")]
    if seq == 0:
        return []
    row = AuditEvent.objects.filter(seq=seq).first()
    if row is None:
        return [
            ChainBreak(
                seq,
                f"the chain was cut: the checkpoint of {at} had row #{seq}, "
                f"the chain now ends at #{last}",
            )
        ]
    if not same(row.hash, hash_):
        return [ChainBreak(seq, f"row #{seq} differs from the checkpoint of {at}")]
    return []


def checkpoint_load(text: str) -> dict[str, Any]:
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("not a checkpoint")
    return data
