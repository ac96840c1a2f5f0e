from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from holdspace.audit.services import audit_chain_verify


class Command(BaseCommand):
    help = "Audit log tools. `holdspace audit verify` checks the hash chain of every row."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser(
            "verify",
            help=(
                "Check that no audit row was altered or removed; exits 1 at the first broken link."
            ),
        )

    def handle(self, *args: Any, subcommand: str, **options: Any) -> None:
        if subcommand == "verify":
            report = audit_chain_verify()
            if not report.ok:
                raise CommandError(
                    f"Audit chain broken at row #{report.broken_at}: {report.reason}. "
                    f"{report.checked} rows before it are intact."
                )
            self.stdout.write(f"Audit chain intact: {report.checked} rows verified.")
