"""Benchmark: the client list at network scale (50,000 clients in 20 clinics).

Prints how long the network demo takes to load and, for a therapist (care-team scope) and a
medical lead (clinic-wide scope), the time to render the first page of the client list and to
search by name, as median and p95 over repeated runs. Run with `make bench` or
`.venv/bin/python bench/client_list.py [--clients N]`; uses a throw-away SQLite file unless
DATABASE_URL is set.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50_000)
    parser.add_argument("--clinics", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="holdspace-bench-"))
    os.environ.setdefault("HOLDSPACE_ENV", "test")
    os.environ.setdefault("HOLDSPACE_VAR_DIR", str(workdir))
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir / 'bench.sqlite3'}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "holdspace.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client as HttpClient
    from django.urls import reverse

    from holdspace.network_demo import demo_build_network
    from holdspace.people.models import Membership, Role

    if connection.vendor == "postgresql":
        sys.exit("Point DATABASE_URL at a throw-away database: this benchmark fills it.")
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    demo_build_network(clinics=args.clinics, clients=args.clients)
    load_seconds = time.perf_counter() - started
    print(
        f"network demo: {args.clients} clients in {args.clinics} clinics "
        f"loaded in {load_seconds:.1f} s"
    )

    for role in (Role.THERAPIST, Role.MEDICAL_LEAD):
        member = Membership.objects.filter(role=role, clinic__slug="net01").first()
        assert member is not None
        browser = HttpClient()
        browser.force_login(member.user)
        name = member.clinic.clients.first().identity.family_name  # type: ignore[union-attr]
        for label, params in (("first page", {}), ("name search", {"q": name})):
            timings = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                response = browser.get(reverse("people:client_list"), params)
                timings.append((time.perf_counter() - t0) * 1000)
                assert response.status_code == 200
            timings.sort()
            p95 = timings[int(len(timings) * 0.95) - 1]
            print(
                f"{role.label:>13} {label:<12} median {statistics.median(timings):6.1f} ms"
                f"   p95 {p95:6.1f} ms"
            )


if __name__ == "__main__":
    main()
