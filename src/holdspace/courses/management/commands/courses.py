from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from holdspace.courses.tasks import reminders_enqueue


class Command(BaseCommand):
    help = (
        "courses remind: queue reminders for visits and check-ins in the next 24 hours "
        "(run hourly from cron; `holdspace db_worker` sends them)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["remind"])

    def handle(self, *args: Any, **options: Any) -> None:
        count = reminders_enqueue()
        self.stdout.write(f"Queued {count} reminder(s).")
