from __future__ import annotations

import time
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from holdspace.network_demo import demo_build_network
from holdspace.people.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET, demo_build
from holdspace.people.models import Clinic


class Command(BaseCommand):
    help = (
        "Load synthetic demo data: two clinics (north.demo, south.demo) with one login per role "
        "and about 40 clients. `--scale network` bulk-loads a network for benchmarks (by "
        "default 50,000 clients in 20 clinics, with screening, courses, finished medicine "
        "sessions and measure responses; --clients makes it smaller). Refuses to run in "
        "production."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--seed", type=int, default=1, help="Same seed, same data.")
        parser.add_argument("--scale", choices=["clinic", "network"], default="clinic")
        parser.add_argument(
            "--clients",
            type=int,
            default=50_000,
            help="Network scale: clients over all clinics (default 50,000).",
        )
        parser.add_argument(
            "--clinics", type=int, default=20, help="Network scale: clinics (default 20)."
        )
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing if any clinic exists already."
        )

    def handle(
        self,
        *args: Any,
        seed: int,
        scale: str,
        clients: int,
        clinics: int,
        if_empty: bool,
        **options: Any,
    ) -> None:
        if settings.PRODUCTION:
            raise CommandError("The demo loader refuses to run with HOLDSPACE_ENV=production.")
        if clients < 1 or not 1 <= clinics <= 99 or clients < clinics:
            raise CommandError("--clinics must be 1 to 99 and --clients at least --clinics.")
        if Clinic.objects.exists():
            if if_empty:
                self.stdout.write("The database already has data; no demo data loaded.")
                return
            if scale == "clinic":
                raise CommandError("The database already has clinics; the demo needs an empty one.")
            if Clinic.objects.filter(slug__startswith="net").exists():
                raise CommandError("The database already has a network demo.")
        started = time.monotonic()
        if scale == "network":

            def progress(
                done: int, total: int, counts: dict[str, int], seconds: dict[str, float]
            ) -> None:
                self.stdout.write(
                    f"clinic {done}/{total} loaded ({time.monotonic() - started:.0f} s)"
                )
                if done == total:  # what was made, and where the time went
                    self.stdout.write("Rows: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
                    self.stdout.write(
                        "Seconds per step: " + ", ".join(f"{k} {v:.0f}" for k, v in seconds.items())
                    )

            summary = demo_build_network(
                seed=seed, clinics=clinics, clients=clients, progress=progress
            )
            self.stdout.write(
                "Network logins: therapist, therapist2, lead, coordinator, researcher, admin "
                f"@net01.demo ... @net{clinics:02d}.demo, password {DEMO_PASSWORD}, "
                f"TOTP secret {DEMO_TOTP_SECRET} (demo only)."
            )
        else:
            summary = demo_build(seed=seed)
            self.stdout.write(
                "Demo logins: therapist, therapist2, lead, coordinator, researcher, admin "
                f"@north.demo and @south.demo, password {DEMO_PASSWORD}, "
                f"TOTP secret {DEMO_TOTP_SECRET} (demo only)."
            )
        self.stdout.write(
            f"Loaded {summary.clinics} clinics, {summary.staff} staff, {summary.clients} clients "
            f"in {time.monotonic() - started:.0f} s."
        )
