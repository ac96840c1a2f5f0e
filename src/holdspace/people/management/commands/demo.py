from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from holdspace.people.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET, demo_build, demo_build_network
from holdspace.people.models import Clinic


class Command(BaseCommand):
    help = (
        "Load synthetic demo data: two clinics (north.demo, south.demo) with one login per role "
        "and about 40 clients. `--scale network` bulk-loads 50,000 clients in 20 clinics for "
        "benchmarks. Refuses to run in production."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--seed", type=int, default=1, help="Same seed, same data.")
        parser.add_argument("--scale", choices=["clinic", "network"], default="clinic")
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing if any clinic exists already."
        )

    def handle(self, *args: Any, seed: int, scale: str, if_empty: bool, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("The demo loader refuses to run with HOLDSPACE_ENV=production.")
        if Clinic.objects.exists():
            if if_empty:
                self.stdout.write("The database already has data; no demo data loaded.")
                return
            if scale == "clinic":
                raise CommandError("The database already has clinics; the demo needs an empty one.")
        if scale == "network":
            summary = demo_build_network(seed=seed)
        else:
            summary = demo_build(seed=seed)
            self.stdout.write(
                "Demo logins: therapist, therapist2, lead, coordinator, researcher, admin "
                f"@north.demo and @south.demo, password {DEMO_PASSWORD}, "
                f"TOTP secret {DEMO_TOTP_SECRET} (demo only)."
            )
        self.stdout.write(
            f"Loaded {summary.clinics} clinics, {summary.staff} staff, {summary.clients} clients."
        )
