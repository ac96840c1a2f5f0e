from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from holdspace.courses.phase import phase_refresh_all
from holdspace.courses.tasks import reminders_enqueue


class Command(BaseCommand):
    help = (
        "courses remind: queue reminders for visits and check-ins in the next 24 hours "
        "(run hourly from cron; `holdspace db_worker` sends them). "
        "courses phases: bring every client's derived phase up to date with the calendar "
        "(run hourly beside remind)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["remind", "phases"])

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "phases":
            self.stdout.write(f"Updated the phase of {phase_refresh_all()} client(s).")
            return
        count = reminders_enqueue()
        self.stdout.write(f"Queued {count} reminder(s).")
