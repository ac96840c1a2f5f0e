from __future__ import annotations

import hashlib
import importlib.metadata
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from holdspace.regulatory import validate


class Command(BaseCommand):
    help = (
        "Site validation: installation checks (versions and hashes against the lock, "
        "migrations, settings, TLS, backup, clock, audit chain) and the requirement-tagged "
        "tests run on this installation; writes a report to sign and a PQ template."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--no-oq", action="store_true", help="skip the operational test run")
        parser.add_argument("--oq-select", default="", help="pytest -k expression (narrows the OQ)")
        parser.add_argument("--out", type=Path, default=None, help="report folder")

    def handle(
        self, *args: Any, no_oq: bool, oq_select: str, out: Path | None, **options: Any
    ) -> None:
        report = validate.run(oq=not no_oq, oq_select=oq_select)
        folder = out or Path(settings.VAR_DIR) / "validation"
        folder.mkdir(parents=True, exist_ok=True)
        stamp = report.started.strftime("%Y%m%dT%H%M%SZ")
        text = validate.to_markdown(report, importlib.metadata.version("holdspace"))
        path = folder / f"validation-{stamp}.md"
        path.write_text(text, encoding="utf-8")
        signed = text.split("## Review and signature")[0].encode()
        digest = hashlib.sha256(signed).hexdigest()
        path.with_suffix(".sha256").write_text(f"{digest}  {path.name}\n")
        (folder / "pq-template.md").write_text(validate.pq_template(), encoding="utf-8")
        for check in report.checks:
            self.stdout.write(f"{check.status:4}  {check.name}: {check.detail}")
        self.stdout.write(f"OQ: {report.oq_detail}")
        self.stdout.write(f"Report: {path} (sha256 {digest})")
        if report.status == validate.FAIL:
            raise CommandError(f"validation {report.status}: see {path}")
