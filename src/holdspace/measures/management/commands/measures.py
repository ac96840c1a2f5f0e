"""`holdspace measures rescore` and `holdspace measures remind`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from holdspace.people.actors import Actor

from ...services import scores_rescore
from ...tasks import reminders_enqueue


class Command(BaseCommand):
    help = (
        "Measures jobs. `rescore`: recompute every score made with an older definition "
        "version (audited). `remind`: enqueue reminder emails for due and overdue measures."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("job", choices=["rescore", "remind"])

    def handle(self, *args: Any, **options: Any) -> None:
        if options["job"] == "rescore":
            count = scores_rescore(by=Actor.command_line())
            self.stdout.write(f"Rescored {count} score(s).")
        else:
            count = reminders_enqueue()
            self.stdout.write(f"Enqueued {count} reminder(s).")
