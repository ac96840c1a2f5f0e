from __future__ import annotations

import os
import sys
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Serve Holdspace with gunicorn, after the system checks pass (deploy checks in production)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--threads", type=int, default=4)

    def handle(
        self, *args: Any, host: str, port: int, workers: int, threads: int, **options: Any
    ) -> None:
        # Refuse to start on an unsafe configuration (gunicorn itself runs no checks).
        call_command(
            "check",
            deploy=settings.PRODUCTION,
            fail_level="WARNING" if settings.PRODUCTION else "ERROR",
        )
        if settings.PRODUCTION:
            call_command("collectstatic", interactive=False, verbosity=0)
        self.stdout.write(f"Holdspace on http://{host}:{port}/ (Ctrl-C stops it)")
        sys.stdout.flush()
        argv = [
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
            # No gunicorn access log: Holdspace writes its own, with secrets in paths redacted
            # (core/logs.py), so gunicorn and the development server log alike.
        ]
        os.execv(sys.executable, argv)  # noqa: S606  (replace this process with gunicorn)
