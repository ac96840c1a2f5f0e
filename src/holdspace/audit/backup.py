"""Backup and restore of the whole database, checked before anything is replaced.

A backup is one file: a tar archive holding `manifest.json` (Holdspace version, database
vendor, applied migrations, row counts per table, the signed audit head, a SHA-256 of the dump)
and the dump itself: a copy made with SQLite's online backup API, or `pg_dump --format=custom`.
With a key file it is encrypted as a whole (Fernet: AES-128-CBC with an HMAC-SHA-256, from the
`cryptography` library).

A restore first restores into a scratch copy, migrates it and verifies it there (its schema
must not be newer than this code, its row counts must match the manifest and its audit chain
must verify under this server's AUDIT_KEY_FILE); only then is the live database replaced.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.db import connection, connections
from django.db.migrations.loader import MigrationLoader

from .models import AuditChainHead
from .services import audit_chain_seal

FORMAT = 1
ENCRYPTED_MAGIC = b"HOLDSPACE-BACKUP-FERNET-1\n"


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why, for the operator."""


@dataclass(frozen=True)
class RestoreResult:
    manifest: dict[str, Any]
    audit_rows: int


def _holdspace_version() -> str:
    try:
        return version("holdspace")
    except PackageNotFoundError:
        return "unknown"


def _db() -> dict[str, Any]:
    return dict(connection.settings_dict)


def _vendor() -> str:
    return str(connection.vendor)


def key_generate(path: Path) -> None:
    if path.exists():
        raise BackupError(f"{path} exists already; a key is never overwritten.")
    path.write_bytes(Fernet.generate_key() + b"\n")
    path.chmod(0o600)


def _fernet(key_file: Path) -> Fernet:
    try:
        return Fernet(key_file.read_bytes().strip())
    except (OSError, ValueError) as error:
        raise BackupError(f"The key file {key_file} cannot be used: {error}.") from None


# --- backup -----------------------------------------------------------------------------------


def backup_create(path: Path, *, key_file: Path | None = None) -> dict[str, Any]:
    """Write a backup of the live database to `path`; its manifest."""
    audit_chain_seal()  # the manifest names a head that covers every row so far
    with tempfile.TemporaryDirectory(prefix="holdspace-backup-") as work:
        dump = Path(work) / ("database.sqlite3" if _vendor() == "sqlite" else "database.pgdump")
        if _vendor() == "sqlite":
            _sqlite_copy(Path(str(_db()["NAME"])), dump)
        else:
            _run(["pg_dump", "--format=custom", "--no-owner", "--file", str(dump), _pg_dsn()])
        manifest = _manifest(dump)
        archive = io.BytesIO()
        with tarfile.open(fileobj=archive, mode="w") as tar:
            data = json.dumps(manifest, indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
            tar.add(dump, arcname=dump.name)
        payload = archive.getvalue()
    if key_file is not None:
        payload = ENCRYPTED_MAGIC + _fernet(key_file).encrypt(payload)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(payload)
    partial.chmod(0o600)
    partial.replace(path)  # a backup file is whole or absent
    return manifest


def _sqlite_copy(source: Path, target: Path) -> None:
    """SQLite's online backup API: a consistent copy while the application keeps writing."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    sqlite3.connect(target).close()


def _manifest(dump: Path) -> dict[str, Any]:
    head = AuditChainHead.objects.filter(pk=1).first()
    tables = sorted(connection.introspection.table_names())
    with connection.cursor() as cursor:
        counts = {}
        for table in tables:
            cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
            counts[table] = int(cursor.fetchone()[0])
    return {
        "format": FORMAT,
        "holdspace_version": _holdspace_version(),
        "created_at": dt.datetime.now(tz=dt.UTC).isoformat(timespec="seconds"),
        "vendor": _vendor(),
        "migrations": _applied_migrations(),
        "row_counts": counts,
        "audit_head": {
            "seq": head.seq if head else 0,
            "hash": head.hash if head else "",
            "signature": head.signature if head else "",
        },
        "dump": dump.name,
        "dump_sha256": _sha256(dump),
    }


def _applied_migrations() -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app, name in sorted(MigrationLoader(connection).applied_migrations):
        applied.setdefault(app, []).append(name)
    return applied


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- restore ----------------------------------------------------------------------------------


def backup_read(path: Path, work: Path, *, key_file: Path | None = None) -> dict[str, Any]:
    """Unpack (and decrypt) a backup into `work`; its manifest, checked against the dump."""
    try:
        payload = path.read_bytes()
    except OSError as error:
        raise BackupError(f"Cannot read {path}: {error}.") from None
    if payload.startswith(ENCRYPTED_MAGIC):
        if key_file is None:
            raise BackupError("This backup is encrypted: give the key file with --key-file.")
        try:
            payload = _fernet(key_file).decrypt(payload[len(ENCRYPTED_MAGIC) :])
        except InvalidToken:
            raise BackupError(
                "The backup cannot be decrypted with this key, or it was altered."
            ) from None
    try:
        with tarfile.open(fileobj=io.BytesIO(payload), mode="r") as tar:
            tar.extractall(work, filter="data")
        manifest = json.loads((work / "manifest.json").read_text())
    except (tarfile.TarError, OSError, ValueError) as error:
        raise BackupError(f"{path} is not a Holdspace backup ({error}).") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(
            f"Backup format {manifest.get('format')!r} is not one this version reads."
        )
    dump = work / str(manifest.get("dump", ""))
    if not dump.is_file() or _sha256(dump) != manifest.get("dump_sha256"):
        raise BackupError("The database dump in the backup does not match its manifest.")
    return manifest


def _check_schema(manifest: dict[str, Any]) -> None:
    if manifest["vendor"] != _vendor():
        raise BackupError(
            f"This is a {manifest['vendor']} backup; this server uses {_vendor()}. "
            "Restore it on a server configured with the same database."
        )
    known = MigrationLoader(None, ignore_no_migrations=True).disk_migrations
    unknown = [
        f"{app}.{name}"
        for app, names in manifest["migrations"].items()
        for name in names
        if (app, name) not in known
    ]
    if unknown:
        raise BackupError(
            "The backup's schema is newer than this Holdspace (unknown migrations: "
            + ", ".join(unknown[:5])
            + "). Upgrade Holdspace first, then restore."
        )


def backup_restore(path: Path, *, key_file: Path | None = None) -> RestoreResult:
    """Replace the live database with the backup, after checking it on a scratch copy."""
    with tempfile.TemporaryDirectory(prefix="holdspace-restore-") as work_dir:
        work = Path(work_dir)
        manifest = backup_read(path, work, key_file=key_file)
        _check_schema(manifest)
        dump = work / manifest["dump"]
        if _vendor() == "sqlite":
            scratch = work / "scratch.sqlite3"
            shutil.copyfile(dump, scratch)
            scratch_url = f"sqlite:///{scratch}"
            _check_counts_sqlite(scratch, manifest)
        else:
            scratch_name = f"{_db()['NAME']}_restore_check"
            _pg_admin(f'DROP DATABASE IF EXISTS "{scratch_name}" WITH (FORCE)')
            _pg_admin(f'CREATE DATABASE "{scratch_name}"')
            scratch_url = _pg_dsn(scratch_name)
        try:
            if _vendor() != "sqlite":
                _run(["pg_restore", "--no-owner", "--dbname", scratch_url, str(dump)])
                _check_counts_pg(scratch_url, manifest)
            audit_rows = _migrate_and_verify(scratch_url)
            _replace_live(scratch if _vendor() == "sqlite" else dump)
        finally:
            if _vendor() != "sqlite":
                _pg_admin(f'DROP DATABASE IF EXISTS "{scratch_name}" WITH (FORCE)')
    return RestoreResult(manifest=manifest, audit_rows=audit_rows)


def _check_counts(actual: dict[str, int], manifest: dict[str, Any]) -> None:
    wrong = [
        f"{table} ({actual.get(table)} rows, manifest {count})"
        for table, count in manifest["row_counts"].items()
        if actual.get(table) != count
    ]
    if wrong:
        raise BackupError("Row counts differ from the manifest: " + ", ".join(wrong[:5]) + ".")


def _check_counts_sqlite(database: Path, manifest: dict[str, Any]) -> None:
    with sqlite3.connect(database) as db:
        actual = {
            table: int(db.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0])  # noqa: S608
            for table in manifest["row_counts"]
        }
    _check_counts(actual, manifest)


def _check_counts_pg(url: str, manifest: dict[str, Any]) -> None:
    import psycopg

    with psycopg.connect(url) as db:
        actual = {}
        for table in manifest["row_counts"]:
            row = db.execute(f'SELECT count(*) FROM "{table}"').fetchone()  # noqa: S608
            actual[table] = int(row[0]) if row else -1
    _check_counts(actual, manifest)


def _migrate_and_verify(url: str) -> int:
    """In a child process on the scratch copy: bring the schema up to date, verify the chain."""
    env = {**os.environ, "DATABASE_URL": url}
    command = [sys.executable, "-m", "holdspace"]
    _run([*command, "migrate", "--no-input", "-v", "0"], env=env)
    verify = subprocess.run(  # noqa: S603  (our own command, no shell)
        [*command, "audit", "verify", "--no-seal"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if verify.returncode != 0:
        raise BackupError(
            "The backup's audit chain does not verify under this server's AUDIT_KEY_FILE: "
            + (verify.stderr.strip().splitlines() or ["(no output)"])[-1]
        )
    words = verify.stdout.split()
    return int(words[words.index("rows") - 1]) if "rows" in words else 0


def _replace_live(source: Path) -> None:
    connections.close_all()
    if _vendor() == "sqlite":
        with sqlite3.connect(source) as src, sqlite3.connect(str(_db()["NAME"])) as dst:
            src.backup(dst)
        return
    restore = ["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction"]
    _run([*restore, "--dbname", _pg_dsn(), str(source)])
    env = {**os.environ, "DATABASE_URL": _pg_dsn()}
    _run([sys.executable, "-m", "holdspace", "migrate", "--no-input", "-v", "0"], env=env)


# --- PostgreSQL helpers -------------------------------------------------------------------------


def _pg_dsn(name: str | None = None) -> str:
    db = _db()
    user = db.get("USER") or ""
    password = db.get("PASSWORD") or ""
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = db.get("HOST") or "localhost"
    port = db.get("PORT") or 5432
    return f"postgresql://{auth}{host}:{port}/{name or db['NAME']}"


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(_pg_dsn("postgres"), autocommit=True) as admin:
        admin.execute(sql.encode())  # names built here from settings, not from input


def _run(command: list[str], env: dict[str, str] | None = None) -> None:
    try:
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    except FileNotFoundError:
        raise BackupError(
            f"{command[0]} is not installed (Debian: apt-get install postgresql-client)."
        ) from None
    if result.returncode != 0:
        raise BackupError(
            f"{Path(command[0]).name} failed: "
            + (result.stderr.strip().splitlines() or ["(no output)"])[-1]
        )
