"""A clinic's review of the clinical values it applies: one row per confirmation or change."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from holdspace.people.models import Clinic, Membership


class Decision(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed")
    CHANGED = "changed", _("Changed")


class ReviewDecision(models.Model):
    """A medical lead confirmed (or changed, then confirmed) one value, as it stood then.

    Rows are never edited: each decision is a new row, so the rows are the version history. A
    value counts as confirmed while the latest row for its key names the value now in force.
    """

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    key = models.CharField(max_length=200)  # a ClinicalRow key, e.g. screening.rule.lithium
    decision = models.CharField(max_length=10, choices=Decision.choices)
    value = models.CharField(max_length=1000)  # the value in force when decided, as text
    reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-decided_at", "-pk")
        indexes = [models.Index(fields=["clinic", "key"])]

    def __str__(self) -> str:
        return f"{self.decision} {self.key} at clinic {self.clinic_id}"
