"""Fidelity (adherence) ratings: a study's checklist and the ratings of its medicine sessions.

No published adherence checklist for MDMA-assisted therapy could be cited (docs/studies.md,
"Fidelity"): the MAPS treatment manual's adherence criteria are used by trained raters on
recorded sessions, but their item list was not found in a public, licensed form. So the
checklist is the study's own, defined by its medical lead, and is labelled "site-defined, not a
published scale" wherever it is shown.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from holdspace.people.models import Membership
from holdspace.sessions.models import MedicineSession


class FidelityChecklist(models.Model):
    """The items and rating scale one study rates its sessions against (site-defined)."""

    study = models.OneToOneField(
        "studies.Study", on_delete=models.PROTECT, related_name="fidelity_checklist"
    )
    # [{"key": "1", "label": "..."}]: labels written by the medical lead, shown to raters.
    items: models.JSONField[Any, Any] = models.JSONField(default=list)
    scale_min = models.PositiveSmallIntegerField(_("lowest rating"))
    scale_max = models.PositiveSmallIntegerField(_("highest rating"))
    scale_note = models.CharField(_("what the ratings mean"), max_length=300, blank=True)
    defined_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    defined_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"fidelity checklist of {self.study_id}"


class FidelitySource(models.TextChoices):
    OBSERVED = "observed", _("Observed in the session")
    RECORDING = "recording", _("From a recording")


class FidelityRating(models.Model):
    """One rater's ratings of one medicine session, per checklist item, for its therapists."""

    study = models.ForeignKey(
        "studies.Study", on_delete=models.PROTECT, related_name="fidelity_ratings"
    )
    session = models.ForeignKey(MedicineSession, on_delete=models.PROTECT, related_name="+")
    # The therapists present (TeamPresence), else those planned on the visit, when rated.
    therapists = models.ManyToManyField(Membership, related_name="+")
    pair = models.CharField(max_length=80)  # their membership ids, sorted: "12+15"
    source = models.CharField(_("rated"), max_length=12, choices=FidelitySource.choices)
    answers: models.JSONField[Any, Any] = models.JSONField(default=dict)  # {item key: rating}
    mean = models.DecimalField(max_digits=5, decimal_places=2)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    rated_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("session__started_at", "pk")
        constraints = [
            models.UniqueConstraint(fields=["session", "rated_by"], name="one_fidelity_rating_each")
        ]

    def __str__(self) -> str:
        return f"fidelity rating of session {self.session_id}"
