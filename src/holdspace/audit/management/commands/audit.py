from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from holdspace.audit.chain import checkpoint_load
from holdspace.audit.services import audit_chain_checkpoint, audit_chain_seal, audit_chain_verify


class Command(BaseCommand):
    help = (
        "Audit log tools. `verify [--checkpoint FILE]` seals pending rows, then checks the "
        "HMAC chain of every row and lists every break; `checkpoint` prints a signed head to "
        "keep elsewhere; `seal` seals the rows appended since the last seal."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        verify = sub.add_parser(
            "verify",
            help="Check that no audit row was altered or removed; exits 1 on any break.",
        )
        verify.add_argument(
            "--checkpoint",
            help="A file written by `holdspace audit checkpoint`: rows it saw must still be there.",
        )
        verify.add_argument(
            "--no-seal", action="store_true", help="Only report rows not yet sealed."
        )
        sub.add_parser("checkpoint", help="Print the signed chain head as one JSON line.")
        sub.add_parser("seal", help="Seal the rows appended since the last seal.")

    def handle(self, *args: Any, subcommand: str, **options: Any) -> None:
        if subcommand == "seal":
            self.stdout.write(f"Sealed {audit_chain_seal()} rows.")
        elif subcommand == "checkpoint":
            self.stdout.write(json.dumps(audit_chain_checkpoint(), sort_keys=True))
        elif subcommand == "verify":
            checkpoint = None
            if options["checkpoint"]:
                try:
                    checkpoint = checkpoint_load(Path(options["checkpoint"]).read_text())
                except (OSError, ValueError) as error:
                    raise CommandError(f"Cannot read the checkpoint: {error}") from None
            report = audit_chain_verify(checkpoint=checkpoint, seal=not options["no_seal"])
            pending = f" {report.unsealed} rows are not yet sealed." if report.unsealed else ""
            if not report.ok:
                for found in report.breaks:
                    self.stderr.write(f"#{found.seq}: {found.reason}")
                count = len(report.breaks)
                raise CommandError(
                    f"Audit chain broken at row #{report.broken_at}: {report.reason}. "
                    f"{count} break{'s' if count != 1 else ''} in {report.checked} rows checked."
                    + pending
                )
            self.stdout.write(f"Audit chain intact: {report.checked} rows verified." + pending)
