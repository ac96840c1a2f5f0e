"""The data migration re-keys an existing plain SHA-256 chain once, and refuses a broken one."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from holdspace.audit.services import audit_chain_verify

rekey = importlib.import_module("holdspace.audit.migrations.0004_rekey_chain_with_hmac")

BEFORE = [("audit", "0002_append_only_triggers")]
AFTER = [("audit", "0004_rekey_chain_with_hmac")]


def _migrate(target):  # type: ignore[no-untyped-def]
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)
    return executor.loader.project_state(target).apps


def _back_to_latest() -> None:
    _migrate(AFTER)
    if connection.vendor == "sqlite":
        # As tests/conftest.py does once per run: the test runner empties tables with DELETE.
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")


def _old_chain(apps, n: int, *, break_at: int | None = None) -> None:  # type: ignore[no-untyped-def]
    AuditEvent = apps.get_model("audit", "AuditEvent")
    Head = apps.get_model("audit", "AuditChainHead")
    prev = rekey.GENESIS
    for seq in range(1, n + 1):
        event = AuditEvent(
            seq=seq,
            at=dt.datetime(2026, 1, 1, 12, 0, seq, 123456, tzinfo=dt.UTC),
            actor_label=f"old{seq}",
            action="old.event",
            channel="web",
            fields=["a"],
            prev_hash=prev,
        )
        body = rekey._body(rekey._payload(event, with_id=False))
        event.hash = hashlib.sha256(f"{prev}|{body}".encode()).hexdigest()
        if seq == break_at:
            event.hash = "f" * 64
        event.save()
        prev = event.hash
    Head.objects.update_or_create(pk=1, defaults={"seq": n, "hash": prev})


@pytest.mark.django_db(transaction=True)
def test_an_old_chain_is_rekeyed_and_verifies():
    apps = _migrate(BEFORE)
    try:
        _old_chain(apps, 5)
        _migrate(AFTER)
        report = audit_chain_verify()
        assert report.ok and report.checked == 5
    finally:
        _back_to_latest()


@pytest.mark.django_db(transaction=True)
def test_a_broken_old_chain_is_not_rekeyed():
    apps = _migrate(BEFORE)
    try:
        _old_chain(apps, 4, break_at=3)
        with pytest.raises(RuntimeError, match="already broken at row #3"):
            _migrate(AFTER)
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
                cursor.execute("DELETE FROM audit_auditevent")
                cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER USER")
            else:
                cursor.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")
                cursor.execute("DELETE FROM audit_auditevent")
        _back_to_latest()
