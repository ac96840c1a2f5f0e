from __future__ import annotations

import datetime as dt
import os
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from holdspace.audit.backup import BackupError, backup_create, key_generate


class Command(BaseCommand):
    help = (
        "Back up the whole database into one file (SQLite online backup or pg_dump custom "
        "format, with a manifest). `holdspace backup [PATH] [--key-file K]`; "
        "`holdspace backup --generate-key K` makes an encryption key file."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("path", nargs="?", help="Default: var/backups/holdspace-<time>.backup")
        parser.add_argument(
            "--key-file",
            default=os.environ.get("BACKUP_KEY_FILE") or None,
            help="Encrypt with this key (default: BACKUP_KEY_FILE).",
        )
        parser.add_argument("--generate-key", metavar="FILE", help="Write a new key and stop.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["generate_key"]:
                key_generate(Path(options["generate_key"]))
                self.stdout.write(
                    f"Key written to {options['generate_key']}. Keep a copy away from the "
                    "backups: without it they cannot be restored."
                )
                return
            stamp = dt.datetime.now(tz=dt.UTC).strftime("%Y%m%dT%H%M%SZ")
            path = Path(
                options["path"] or Path(settings.VAR_DIR) / "backups" / f"holdspace-{stamp}.backup"
            )
            key = Path(options["key_file"]) if options["key_file"] else None
            manifest = backup_create(path, key_file=key)
        except BackupError as error:
            raise CommandError(str(error)) from None
        rows = sum(manifest["row_counts"].values())
        self.stdout.write(
            f"Backup written to {path} ({path.stat().st_size / 1e6:.1f} MB, "
            f"{'encrypted, ' if key else ''}{rows} rows, audit head "
            f"#{manifest['audit_head']['seq']})."
        )
