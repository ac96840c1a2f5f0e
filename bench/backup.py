"""Benchmark: backup and restore of the network demo (50,000 clients in 20 clinics).

Prints the time and size of `holdspace backup` (plain and encrypted) and the time of
`holdspace restore` (which checks the copy first: schema, row counts, audit chain). Run
`.venv/bin/python bench/backup.py [--clients N]`; uses a throw-away SQLite file unless
DATABASE_URL is set (then that database is filled and restored: point it at a throw-away one).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50_000)
    parser.add_argument("--clinics", type=int, default=20)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="holdspace-bench-"))
    os.environ.setdefault("HOLDSPACE_ENV", "test")
    os.environ.setdefault("HOLDSPACE_VAR_DIR", str(workdir))
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir / 'bench.sqlite3'}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "holdspace.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from holdspace.audit.backup import backup_create, backup_restore, key_generate
    from holdspace.network_demo import demo_build_network

    call_command("migrate", verbosity=0)
    demo_build_network(clinics=args.clinics, clients=args.clients)
    print(f"network demo: {args.clients} clients in {args.clinics} clinics ({connection.vendor})")
    key = workdir / "backup.key"
    key_generate(key)
    for label, key_file in (("plain", None), ("encrypted", key)):
        path = workdir / f"{label}.backup"
        started = time.perf_counter()
        manifest = backup_create(path, key_file=key_file)
        seconds = time.perf_counter() - started
        rows = sum(manifest["row_counts"].values())
        print(f"backup ({label}): {seconds:.1f} s, {path.stat().st_size / 1e6:.1f} MB, {rows} rows")
    started = time.perf_counter()
    result = backup_restore(workdir / "encrypted.backup", key_file=key)
    print(
        f"restore (encrypted, checked first): {time.perf_counter() - started:.1f} s, "
        f"{result.audit_rows} audit rows verified"
    )


if __name__ == "__main__":
    main()
