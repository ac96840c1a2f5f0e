from __future__ import annotations

import os
import sys
from argparse import ArgumentParser, RawDescriptionHelpFormatter
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


def cpu_count() -> int:
    """CPUs this process may use (a container's or taskset's limit, not the host's)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def default_workers(cpus: int) -> int:
    # gunicorn's rule of thumb (2 x CPUs + 1) assumes pages that wait on I/O; ours mostly wait
    # on PostgreSQL on the same machine, so one process per CPU plus one keeps a core free for
    # the database without leaving a CPU idle while a worker waits. Threads carry the rest.
    return cpus + 1


DEFAULT_THREADS = 4  # a monitor's one-second poll is short: four per worker keeps pollers cheap
DEFAULT_TIMEOUT = 60  # seconds; the slowest pages (outcomes models, exports) finish well within
DEFAULT_MAX_REQUESTS = 2000  # a worker is replaced after this many requests, bounding any leak
DEFAULT_MAX_REQUESTS_JITTER = 200  # so workers are not all replaced at the same moment


class Command(BaseCommand):
    help = (
        "Serve Holdspace with gunicorn, after the system checks pass (deploy checks in production)."
    )

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        cpus = cpu_count()
        kwargs.setdefault("formatter_class", RawDescriptionHelpFormatter)
        kwargs.setdefault(
            "epilog",
            f"This machine: {cpus} CPU(s), so {default_workers(cpus)} workers x "
            f"{DEFAULT_THREADS} threads = {default_workers(cpus) * DEFAULT_THREADS} requests at "
            "once. Each signed-in member with a page open costs well under one thread (a request\n"
            "takes tens of milliseconds); an open session monitor polls once a second. See\n"
            "docs/production.md for a reverse proxy, TLS, a process manager and PostgreSQL.",
        )
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser: ArgumentParser) -> None:
        cpus = cpu_count()
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on.")
        parser.add_argument("--port", type=int, default=8000, help="Port to listen on.")
        parser.add_argument(
            "--workers",
            type=int,
            default=default_workers(cpus),
            help="Worker processes (default: CPUs + 1 = %(default)s here).",
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=DEFAULT_THREADS,
            help="Threads per worker (default: %(default)s).",
        )
        parser.add_argument(
            "--timeout",
            type=int,
            default=DEFAULT_TIMEOUT,
            help="Seconds a request may take before its worker is restarted "
            "(default: %(default)s).",
        )
        parser.add_argument(
            "--max-requests",
            type=int,
            default=DEFAULT_MAX_REQUESTS,
            help="Replace a worker after this many requests; 0 never (default: %(default)s).",
        )
        parser.add_argument(
            "--max-requests-jitter",
            type=int,
            default=DEFAULT_MAX_REQUESTS_JITTER,
            help="Random extra requests before replacing, so workers restart at different "
            "times (default: %(default)s).",
        )

    def handle(
        self,
        *args: Any,
        host: str,
        port: int,
        workers: int,
        threads: int,
        timeout: int,
        max_requests: int,
        max_requests_jitter: int,
        **options: Any,
    ) -> None:
        # Refuse to start on an unsafe configuration (gunicorn itself runs no checks).
        call_command(
            "check",
            deploy=settings.PRODUCTION,
            fail_level="WARNING" if settings.PRODUCTION else "ERROR",
        )
        if settings.PRODUCTION:
            call_command("collectstatic", interactive=False, verbosity=0)
        self.stdout.write(
            f"Holdspace on http://{host}:{port}/ with {workers} workers x {threads} threads "
            "(Ctrl-C stops it)"
        )
        sys.stdout.flush()
        argv = gunicorn_argv(
            host=host,
            port=port,
            workers=workers,
            threads=threads,
            timeout=timeout,
            max_requests=max_requests,
            max_requests_jitter=max_requests_jitter,
        )
        os.execv(sys.executable, argv)  # noqa: S606  (replace this process with gunicorn)


def gunicorn_argv(
    *,
    host: str,
    port: int,
    workers: int,
    threads: int,
    timeout: int,
    max_requests: int,
    max_requests_jitter: int,
) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "holdspace.wsgi:application",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--timeout",
        str(timeout),
        # On restart (and at max-requests) a worker gets this long to finish what it serves.
        "--graceful-timeout",
        "30",
        "--max-requests",
        str(max_requests),
        "--max-requests-jitter",
        str(max_requests_jitter),
        # No gunicorn access log: Holdspace writes its own, with secrets in paths redacted
        # (core/logs.py), so gunicorn and the development server log alike.
    ]
