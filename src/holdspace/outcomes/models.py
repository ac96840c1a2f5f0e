"""The outcomes app's tables: when a clinic's cohort changed, and which of its clients did."""

from __future__ import annotations

from django.db import models

from holdspace.people.models import Client, Clinic


class CohortDataVersion(models.Model):
    """Raised in the same transaction as every write that can change a cohort row of the clinic
    (see outcomes/freshness.py). Cached rows and summaries are keyed by it, so a page read
    after the write's commit never shows the rows from before it.

    `everything`: the version at which every row of the clinic last changed at once (a bulk
    load, a write whose clients are not known): rows cached before it are all rebuilt."""

    clinic = models.OneToOneField(Clinic, on_delete=models.CASCADE, related_name="+")
    version = models.PositiveBigIntegerField(default=0)
    everything = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.clinic_id}: {self.version}"


class ClientDataVersion(models.Model):
    """The clinic's `CohortDataVersion.version` as raised by the latest write that can change
    this client's cohort row (same transaction). Cached rows at version v are rebuilt only for
    the clients whose version is above v.

    No database constraint on either key: the receivers write here while a client (or its
    clinic) is being deleted, and a row left behind by a deleted client is never read (the
    cohort reads its client ids live)."""

    client = models.OneToOneField(
        Client,
        primary_key=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    clinic = models.ForeignKey(
        Clinic, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    version = models.PositiveBigIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["clinic", "version"], name="outcomes_client_changed")]

    def __str__(self) -> str:
        return f"{self.client_id}: {self.version}"
