"""Re-key the audit chain once: HMAC-SHA-256 under AUDIT_KEY_FILE instead of plain SHA-256.

The plain chain is verified first; a chain already broken is not re-keyed (that would hide
the break) and the migration stops, saying where. The append-only triggers are replaced by
ones that also allow the single update sealing needs: filling in the seal of an unsealed row,
with every other column unchanged.
"""

import hashlib
import hmac
import json
from pathlib import Path

from django.conf import settings
from django.db import migrations

GENESIS = "0" * 64
CONTENT = (
    "id", "at", "actor_id", "actor_label", "clinic_id", "action", "channel",
    "target_type", "target_id", "client_code", "fields", "ip",
)  # fmt: skip

SQLITE_UNCHANGED = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in CONTENT)
SQLITE_UP = [
    "DROP TRIGGER IF EXISTS audit_event_no_update",
    "DROP TRIGGER IF EXISTS audit_event_no_delete",
    f"""CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_auditevent
       WHEN NOT (OLD.hash = '' AND NEW.hash <> '' AND {SQLITE_UNCHANGED})
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
    """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
]
PG_OLD = ", ".join(f"OLD.{c}" for c in CONTENT)
PG_NEW = ", ".join(f"NEW.{c}" for c in CONTENT)
POSTGRES_UP = [
    f"""CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
       BEGIN
         IF TG_OP = 'UPDATE' AND OLD.hash = '' AND NEW.hash <> ''
            AND ROW({PG_NEW}) IS NOT DISTINCT FROM ROW({PG_OLD}) THEN
           RETURN NEW;
         END IF;
         RAISE EXCEPTION 'audit events are append-only';
       END;
       $$ LANGUAGE plpgsql""",
    "DROP TRIGGER IF EXISTS audit_event_no_update_or_delete ON audit_auditevent",
    """CREATE TRIGGER audit_event_no_update_or_delete BEFORE UPDATE OR DELETE
       ON audit_auditevent FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()""",
]


def _body(payload):  # type: ignore[no-untyped-def]
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)


def _payload(event, *, with_id):  # type: ignore[no-untyped-def]
    payload = {
        "seq": event.seq,
        "at": event.at.isoformat(timespec="microseconds"),
        "actor": event.actor_id,
        "actor_label": event.actor_label,
        "clinic": event.clinic_id,
        "action": event.action,
        "channel": event.channel,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "client_code": event.client_code,
        "fields": list(event.fields),
        "ip": event.ip,
    }
    if with_id:
        payload["id"] = event.pk
    return payload


def rekey(apps, schema_editor):  # type: ignore[no-untyped-def]
    vendor = schema_editor.connection.vendor
    with schema_editor.connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
        elif vendor == "sqlite":
            cursor.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
    AuditEvent = apps.get_model("audit", "AuditEvent")
    Head = apps.get_model("audit", "AuditChainHead")
    events = list(AuditEvent.objects.exclude(hash="").order_by("seq"))
    if events:
        key = Path(settings.AUDIT_KEY_FILE).read_bytes().strip()
        prev = GENESIS
        for expected, event in enumerate(events, start=1):
            old = hashlib.sha256(f"{prev}|{_body(_payload(event, with_id=False))}".encode())
            if event.seq != expected or event.prev_hash != prev or old.hexdigest() != event.hash:
                raise RuntimeError(
                    f"The audit chain is already broken at row #{expected}; it is not re-keyed, "
                    "which would hide the break. Restore the audit table from a backup first."
                )
            prev = event.hash
        prev = GENESIS
        for event in events:
            body = _body(_payload(event, with_id=True))
            new = hmac.new(key, f"{prev}|{body}".encode(), hashlib.sha256).hexdigest()
            AuditEvent.objects.filter(pk=event.pk).update(prev_hash=prev, hash=new)
            prev = new
        head_seq = events[-1].seq
        signature = hmac.new(key, f"head|{head_seq}|{prev}".encode(), hashlib.sha256).hexdigest()
        Head.objects.update_or_create(
            pk=1, defaults={"seq": head_seq, "hash": prev, "signature": signature}
        )
    statements = {"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}.get(vendor, [])
    for statement in statements:
        schema_editor.execute(statement)
    if vendor == "postgresql":
        schema_editor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER USER")


def keep_keyed(apps, schema_editor):  # type: ignore[no-untyped-def]
    """Going back leaves the chain keyed (the old plain hashes are gone) and the triggers."""


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_chain_sealed_without_lock")]
    operations = [migrations.RunPython(rekey, keep_keyed)]
