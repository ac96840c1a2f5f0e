"""`holdspace backup` and `holdspace restore`: a round trip, and every refusal changes nothing."""

from __future__ import annotations

import io
import json
import tarfile
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from holdspace.audit.backup import BackupError, backup_create, backup_restore, key_generate
from holdspace.audit.services import audit_chain_seal, audit_chain_verify, audit_record
from holdspace.people.models import Client

from ..audit.test_audit_chain import _tamper
from ..factories import ClientFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _export() -> str:
    out = StringIO()
    call_command("dumpdata", "people", "audit", "api", stdout=out, indent=None)
    return out.getvalue()


def _rewrite_manifest(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    with tarfile.open(path) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}  # type: ignore[union-attr]
    manifest = json.loads(members["manifest.json"])
    change(manifest)
    members["manifest.json"] = json.dumps(manifest).encode()
    with tarfile.open(path, "w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def test_a_round_trip_restores_identical_records_and_a_verified_chain(clinics, tmp_path):
    audit_record(action="test.before", clinic_id=clinics.north.pk)
    audit_chain_seal()
    before = _export()
    key = tmp_path / "backup.key"
    call_command("backup", "--generate-key", str(key), stdout=StringIO())
    plain, secret = tmp_path / "plain.backup", tmp_path / "secret.backup"
    out = StringIO()
    call_command("backup", str(plain), stdout=out)
    assert "Backup written" in out.getvalue()
    manifest = backup_create(secret, key_file=key)
    assert manifest["row_counts"]["people_client"] == 3
    assert manifest["audit_head"]["seq"] >= 1 and manifest["migrations"]["audit"]
    assert b"people_client" not in secret.read_bytes()  # encrypted as a whole

    ClientFactory(clinic=clinics.north)  # a change after the backup
    audit_record(action="test.after")
    call_command("restore", str(plain), "--yes", stdout=StringIO())
    assert _export() == before
    assert Client.objects.count() == 3
    assert audit_chain_verify().ok

    ClientFactory(clinic=clinics.north)
    result = backup_restore(secret, key_file=key)
    assert result.audit_rows >= 1
    assert _export() == before


def test_an_encrypted_backup_needs_its_key(clinics, tmp_path):
    key, other = tmp_path / "k1", tmp_path / "k2"
    key_generate(key)
    key_generate(other)
    secret = tmp_path / "secret.backup"
    backup_create(secret, key_file=key)
    with pytest.raises(BackupError, match="encrypted"):
        backup_restore(secret)
    with pytest.raises(BackupError, match="cannot be decrypted"):
        backup_restore(secret, key_file=other)


def test_a_backup_from_a_newer_schema_is_refused_and_nothing_changes(clinics, tmp_path):
    path = tmp_path / "future.backup"
    backup_create(path)
    _rewrite_manifest(path, lambda m: m["migrations"]["audit"].append("0099_from_the_future"))
    ClientFactory(clinic=clinics.north)
    with pytest.raises(CommandError, match="newer than this Holdspace"):
        call_command("restore", str(path), "--yes")
    assert Client.objects.count() == 4


def test_a_backup_with_a_broken_chain_is_refused_and_nothing_changes(clinics, tmp_path):
    events = [audit_record(action="test.event") for _ in range(3)]
    audit_chain_seal()
    _tamper("UPDATE audit_auditevent SET action = 'x' WHERE id = %s", [events[1].pk])
    path = tmp_path / "broken.backup"
    backup_create(path)
    ClientFactory(clinic=clinics.north)
    with pytest.raises(BackupError, match="audit chain does not verify"):
        backup_restore(path)
    assert Client.objects.count() == 4


def test_a_damaged_dump_is_refused(clinics, tmp_path):
    path = tmp_path / "damaged.backup"
    backup_create(path)
    _rewrite_manifest(path, lambda m: m["row_counts"].update(people_client=99))
    with pytest.raises(BackupError, match="Row counts differ"):
        backup_restore(path)
