"""`holdspace studies follow-ups`: the daily long-term follow-up job."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from holdspace.people.actors import Actor

from ...follow_up import follow_ups_schedule


class Command(BaseCommand):
    help = (
        "Studies jobs. `follow-ups`: ask every enrolled client for the questionnaires due 6 and "
        "12 months after their last medicine session (data/studies/follow_up.yaml), and move "
        "open ones when a later session was held. Idempotent: run it daily, before "
        "`holdspace measures remind`, which emails the clients."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("job", choices=["follow-ups"])

    def handle(self, *args: Any, **options: Any) -> None:
        done = follow_ups_schedule(by=Actor.command_line())
        self.stdout.write(
            f"Follow-ups checked for {done.clients} client(s): "
            f"{done.made} asked, {done.moved} moved."
        )
