"""`holdspace clinical sources [--check]`: write docs/clinical-sources.md from the data files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from holdspace.review.register import clinical_rows, render_markdown

DOC = Path(settings.BASE_DIR) / "docs" / "clinical-sources.md"


class Command(BaseCommand):
    help = "clinical sources: list every clinical rule and value with its sources and status"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        sources = sub.add_parser("sources", help="write docs/clinical-sources.md")
        sources.add_argument("--output", default=str(DOC), help="where to write (- for stdout)")
        sources.add_argument(
            "--check", action="store_true", help="exit 1 if the file is not current"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        text = render_markdown(clinical_rows())
        output = options["output"]
        if output == "-":
            self.stdout.write(text, ending="")
            return
        path = Path(output)
        if options["check"]:
            current = path.read_text(encoding="utf-8") if path.exists() else ""
            if current != text:
                raise CommandError(f"{path} is out of date: run `holdspace clinical sources`.")
            self.stdout.write(f"{path} is current.")
            return
        path.write_text(text, encoding="utf-8")
        self.stdout.write(f"Wrote {path}.")
