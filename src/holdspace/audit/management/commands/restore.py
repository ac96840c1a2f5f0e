from __future__ import annotations

import os
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from holdspace.audit.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Replace the whole database with a backup made by `holdspace backup`. The backup is "
        "checked on a scratch copy first (schema not newer than this code, row counts, audit "
        "chain under this server's AUDIT_KEY_FILE); a refused restore changes nothing."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("path")
        parser.add_argument(
            "--key-file",
            default=os.environ.get("BACKUP_KEY_FILE") or None,
            help="The key of an encrypted backup (default: BACKUP_KEY_FILE).",
        )
        parser.add_argument("--yes", action="store_true", help="Do not ask before replacing.")

    def handle(self, *args: Any, path: str, **options: Any) -> None:
        if (
            not options["yes"]
            and input(
                "This replaces every record in the database with the backup. Type 'restore': "
            )
            != "restore"
        ):
            raise CommandError("Nothing was changed.")
        key = Path(options["key_file"]) if options["key_file"] else None
        try:
            result = backup_restore(Path(path), key_file=key)
        except BackupError as error:
            raise CommandError(f"Not restored: {error}") from None
        self.stdout.write(
            f"Restored the backup of {result.manifest['created_at']} "
            f"({result.audit_rows} audit rows verified)."
        )
