"""Exports: one row per export job (FHIR Bulk Data, REDCap, CSV, Parquet) and each clinic's
export settings (how long files are kept, the secret behind de-identified date shifts).

The files themselves live under HOLDSPACE_VAR_DIR/exports/<job>/, never in the database.
"""

from __future__ import annotations

import secrets

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from holdspace.people.models import Clinic, Membership


def new_secret() -> str:
    return secrets.token_hex(32)


class ExportSettings(models.Model):
    """A clinic's export settings. Reviewed default: files are kept 24 hours."""

    clinic = models.OneToOneField(Clinic, on_delete=models.PROTECT, related_name="+")
    files_expire_hours = models.PositiveIntegerField(
        _("export files are kept for (hours)"),
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 30)],
    )
    # Keys the per-client date shift and research id of de-identified exports. Never exported;
    # replacing it (re-keying) changes every shift, on purpose.
    deid_secret = models.CharField(max_length=64, default=new_secret)
    rekeyed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"export settings of clinic {self.clinic_id}"


class ExportFormat(models.TextChoices):
    FHIR = "fhir", _("FHIR NDJSON (Bulk Data)")
    REDCAP = "redcap", _("REDCap (data dictionary and records)")
    CSV = "csv", _("CSV, one file per table")
    PARQUET = "parquet", _("Parquet, one file per table")


class ExportLevel(models.TextChoices):
    SYSTEM = "system", _("Everything the caller may export")
    PATIENT = "patient", _("All clients")
    GROUP = "group", _("A group (the clinic or a study cohort)")


class ExportProfile(models.TextChoices):
    """What identifies a person in the files. Researchers get the first two only."""

    PSEUDONYMOUS = "pseudonymous", _("Pseudonymous (client codes, no free text)")
    DEIDENTIFIED = "deidentified", _("De-identified (Safe Harbor, dates shifted)")
    IDENTIFIED = "identified", _("Identified (names and contact; audited)")


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Finished")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


# For the list of exports, where the long labels do not fit on a tablet.
SHORT_LABELS: dict[str, object] = {
    ExportFormat.FHIR: "FHIR",
    ExportFormat.REDCAP: "REDCap",
    ExportFormat.CSV: "CSV",
    ExportFormat.PARQUET: "Parquet",
    ExportProfile.PSEUDONYMOUS: _("Pseudonymous"),
    ExportProfile.DEIDENTIFIED: _("De-identified"),
    ExportProfile.IDENTIFIED: _("Identified"),
}


class ExportJob(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    format = models.CharField(max_length=10, choices=ExportFormat.choices)
    level = models.CharField(max_length=10, choices=ExportLevel.choices)
    group = models.CharField(max_length=80, blank=True)
    types: models.JSONField[list[str], list[str]] = models.JSONField(default=list)
    since = models.DateTimeField(null=True, blank=True)
    profile = models.CharField(max_length=20, choices=ExportProfile.choices)
    status = models.CharField(
        max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    request_url = models.CharField(max_length=1000, blank=True)
    transaction_time = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    # [{"type": "Patient", "name": "Patient.ndjson", "count": 12, "bytes": 3456}]
    files: models.JSONField[list[dict[str, object]], list[dict[str, object]]] = models.JSONField(
        default=list
    )
    # Error messages for the manifest; never clinical content.
    errors: models.JSONField[list[str], list[str]] = models.JSONField(default=list)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [models.Index(fields=["clinic", "requested_by", "-created_at"])]

    def __str__(self) -> str:
        return f"export {self.pk} ({self.format})"

    @property
    def total_bytes(self) -> int:
        return sum(int(f.get("bytes", 0)) for f in self.files)  # type: ignore[call-overload]

    @property
    def format_short(self) -> str:
        return str(SHORT_LABELS.get(self.format, self.format))

    @property
    def profile_short(self) -> str:
        return str(SHORT_LABELS.get(self.profile, self.profile))

    @property
    def is_finished(self) -> bool:
        return self.status in (ExportStatus.DONE, ExportStatus.FAILED, ExportStatus.CANCELLED)
