"""`holdspace export fhir|redcap|csv|parquet [--clinic SLUG] [--cohort GROUP] [--deidentify]
OUT`: an operator's export, with a progress bar. It acts as a staff member of the clinic
(`--as EMAIL`, by default the clinic's first active medical lead), with that member's rights,
and is audited as a command-line export."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from holdspace.people.actors import Actor
from holdspace.people.models import Membership, Role

from ...models import ExportFormat, ExportProfile, ExportStatus
from ...services import export_run, export_start, exports_purge, job_directory


class Command(BaseCommand):
    help = "Export a clinic's data as FHIR NDJSON, REDCap, CSV or Parquet into a folder."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("format", choices=[*ExportFormat.values, "purge"])
        parser.add_argument("out", nargs="?", help="Folder to write the files into.")
        parser.add_argument("--clinic", help="The clinic's short name (slug).")
        parser.add_argument("--cohort", default="", help="A group id, e.g. clinic-north.")
        parser.add_argument("--as", dest="as_email", help="Act as this staff member.")
        parser.add_argument("--deidentify", action="store_true")
        parser.add_argument("--identified", action="store_true")
        parser.add_argument("--type", default="", help="FHIR types, comma-separated.")
        parser.add_argument(
            "--validate",
            action="store_true",
            help="FHIR: check every resource with fhir.resources (slow), not only a sample.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["format"] == "purge":
            self.stdout.write(f"Purged the files of {exports_purge()} expired exports.")
            return
        if not options["out"]:
            raise CommandError("Give the folder to write into (OUT).")
        member = self._member(options)
        profile = (
            ExportProfile.DEIDENTIFIED
            if options["deidentify"]
            else ExportProfile.IDENTIFIED
            if options["identified"]
            else ExportProfile.PSEUDONYMOUS
        )
        by = Actor.command_line(member)
        try:
            job = export_start(
                by=by,
                format=options["format"],
                level="group" if options["cohort"] else "system",
                group=options["cohort"],
                types=[t for t in options["type"].split(",") if t],
                profile=profile,
                request_url="holdspace export",
                run=False,
            )
        except Exception as exc:
            raise CommandError(str(exc) or type(exc).__name__) from exc
        from rich.progress import Progress

        with Progress(transient=False) as bar:
            task = bar.add_task(f"export {job.pk} ({job.format})", total=100)
            job = export_run(
                job.pk,
                on_progress=lambda p: bar.update(task, completed=p),
                validate_every=options["validate"],
            )
            bar.update(task, completed=100)
        if job.status != ExportStatus.DONE:
            raise CommandError(f"The export ended {job.status}.")
        out = Path(options["out"])
        out.mkdir(parents=True, exist_ok=True)
        for f in job.files:
            shutil.copy2(job_directory(job) / str(f["name"]), out / str(f["name"]))
            if f.get("error"):
                self.stderr.write(f"{f['name']}: {f['count']} resources left out (see the file)")
            else:
                self.stdout.write(f"{f['name']}: {f['count']} rows")
        self.stdout.write(self.style.SUCCESS(f"Export {job.pk} written to {out}."))

    def _member(self, options: dict[str, Any]) -> Membership:
        members = Membership.objects.select_related("clinic", "user").filter(is_active=True)
        if options["as_email"]:
            member = members.filter(user__email=options["as_email"].lower()).first()
        else:
            if not options["clinic"]:
                raise CommandError("Give --clinic SLUG or --as EMAIL.")
            member = (
                members.filter(clinic__slug=options["clinic"], role=Role.MEDICAL_LEAD)
                .order_by("pk")
                .first()
            )
        if member is None:
            raise CommandError("No such staff member (or the clinic has no medical lead).")
        if options["clinic"] and member.clinic.slug != options["clinic"]:
            raise CommandError("That staff member works at another clinic.")
        return member
