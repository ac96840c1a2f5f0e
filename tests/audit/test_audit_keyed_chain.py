"""The keyed chain: rewriting needs the key, truncation is caught, every break is listed,
appends take no lock and the sealer seals them."""

from __future__ import annotations

import hashlib
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from holdspace.audit.keys import audit_key, head_signature
from holdspace.audit.models import AuditChainHead, AuditEvent
from holdspace.audit.services import (
    audit_chain_checkpoint,
    audit_chain_seal,
    audit_chain_verify,
    audit_record,
)

from .test_audit_chain import _events, _tamper

pytestmark = pytest.mark.django_db


def test_rows_are_appended_unsealed_and_sealed_in_order():
    first = audit_record(action="test.a")
    second = audit_record(action="test.b")
    assert (first.seq, first.hash) == (None, "")
    report = audit_chain_verify()
    assert report.ok and report.unsealed == 2 and report.checked == 0
    assert audit_chain_seal() == 2
    a, b = AuditEvent.objects.get(pk=first.pk), AuditEvent.objects.get(pk=second.pk)
    assert (a.seq, b.seq) == (1, 2) and b.prev_hash == a.hash
    head = AuditChainHead.objects.get(pk=1)
    assert (head.seq, head.hash) == (2, b.hash)
    assert head.signature == head_signature(2, b.hash)
    assert audit_chain_verify().unsealed == 0


def test_links_are_hmac_under_the_key_not_a_plain_hash():
    (event,) = _events(1)
    assert event.hash == event.compute_hash(audit_key())
    assert event.hash != event.compute_hash(b"another key of thirty-two bytes!")
    body = json.dumps(event.payload(), sort_keys=True, separators=(",", ":"), default=str)
    assert event.hash != hashlib.sha256(f"{event.prev_hash}|{body}".encode()).hexdigest()


def test_an_edit_with_recomputed_plain_hashes_is_found():
    """Issue 10, finding 2: edit a row and recompute the following SHA-256 hashes."""
    events = _events(3)
    second = events[1]
    second.actor_label = "someone else"
    body = json.dumps(second.payload(), sort_keys=True, separators=(",", ":"), default=str)
    forged = hashlib.sha256(f"{second.prev_hash}|{body}".encode()).hexdigest()
    _tamper(
        "UPDATE audit_auditevent SET actor_label = %s, hash = %s WHERE id = %s",
        ["someone else", forged, second.pk],
    )
    _tamper("UPDATE audit_auditevent SET prev_hash = %s WHERE id = %s", [forged, events[2].pk])
    report = audit_chain_verify()
    assert not report.ok and report.broken_at == second.seq


def test_deleting_the_newest_rows_and_moving_the_head_is_found():
    """Issue 10, finding 2: delete the last rows and update AuditChainHead."""
    events = _events(4)
    _tamper("DELETE FROM audit_auditevent WHERE id = %s", [events[3].pk])
    AuditChainHead.objects.filter(pk=1).update(seq=events[2].seq, hash=events[2].hash)
    report = audit_chain_verify()
    assert not report.ok
    assert "not signed with the audit key" in report.reason


def test_a_checkpoint_catches_truncation_even_with_a_consistent_head():
    _events(3)
    checkpoint = audit_chain_checkpoint()
    assert checkpoint["seq"] == 3
    events = _events(2)
    # Cut back to row 2 and leave a head that was really signed for row 2 (an old one).
    row2 = AuditEvent.objects.get(seq=2)
    for seq in (3, 4, 5):
        _tamper("DELETE FROM audit_auditevent WHERE seq = %s", [seq])
    AuditChainHead.objects.filter(pk=1).update(
        seq=2, hash=row2.hash, signature=head_signature(2, row2.hash)
    )
    assert audit_chain_verify().ok  # without the checkpoint the cut cannot be seen
    report = audit_chain_verify(checkpoint=checkpoint)
    assert not report.ok and "cut" in report.reason
    assert events  # the rows after the checkpoint were there before the cut


def test_verify_lists_every_break_not_only_the_first(tmp_path, capsys):
    events = _events(5)
    for event in (events[1], events[3]):
        _tamper("UPDATE audit_auditevent SET action = 'x' WHERE id = %s", [event.pk])
    report = audit_chain_verify()
    assert [b.seq for b in report.breaks] == [events[1].seq, events[3].seq]
    with pytest.raises(CommandError, match="2 breaks in 5 rows"):
        call_command("audit", "verify")


def test_checkpoint_and_verify_commands(tmp_path, capsys):
    _events(2)
    call_command("audit", "checkpoint")
    line = capsys.readouterr().out.strip()
    assert json.loads(line)["seq"] == 2
    path = tmp_path / "checkpoint.json"
    path.write_text(line)
    call_command("audit", "verify", "--checkpoint", str(path))
    assert "2 rows verified" in capsys.readouterr().out
    forged = json.loads(line) | {"seq": 1}
    path.write_text(json.dumps(forged))
    with pytest.raises(CommandError, match="signature"):
        call_command("audit", "verify", "--checkpoint", str(path))


def test_the_database_allows_only_the_seal_itself():
    event = audit_record(action="test.event")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET hash = 'f', action = 'x' WHERE id = %s", [event.pk]
        )
    audit_chain_seal()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET hash = 'f' WHERE id = %s", [event.pk])
    assert audit_chain_verify().ok


@pytest.mark.django_db(transaction=True)
def test_appending_never_waits_for_the_chain_head():
    """Issue 10, finding 10: every audited read used to lock the one head row. Now a writer
    appends while another connection holds that row locked (as a sealer would)."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has one writer at a time by design.")
    import psycopg

    audit_chain_seal()  # the head row exists
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params) as sealer:
        sealer.execute("SELECT * FROM audit_auditchainhead WHERE id = 1 FOR UPDATE")
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")
        with transaction.atomic():
            event = audit_record(action="test.while_sealing")
        sealer.rollback()
    assert AuditEvent.objects.filter(pk=event.pk).exists()
    assert audit_chain_seal() >= 1 and audit_chain_verify().ok
