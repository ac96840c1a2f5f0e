"""The one table of the outcomes app: a counter per clinic that says when its cohort changed."""

from __future__ import annotations

from django.db import models

from holdspace.people.models import Clinic


class CohortDataVersion(models.Model):
    """Raised in the same transaction as every write that can change a cohort row of the clinic
    (see outcomes/freshness.py). Cached rows and summaries are keyed by it, so a page read
    after the write's commit never shows the rows from before it."""

    clinic = models.OneToOneField(Clinic, on_delete=models.CASCADE, related_name="+")
    version = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.clinic_id}: {self.version}"
