"""Preparation: set and setting before the medicine sessions."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from holdspace.courses.models import Course, Room
from holdspace.people.models import Client, Membership


class Answer(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")


class Preparation(models.Model):
    """One client's preparation for one course."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="preparations")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="preparations")
    intentions = models.TextField(_("intentions, in the client's own words"), blank=True)
    music_playlist = models.TextField(_("music playlist"), blank=True)
    eyeshades = models.BooleanField(_("eyeshades ready"), default=False)
    room = models.ForeignKey(
        Room,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("room"),
    )
    ride_home = models.CharField(_("who drives them home"), max_length=200, blank=True)
    overnight_plan = models.TextField(_("overnight plan"), blank=True)
    overnight_attendant = models.CharField(_("overnight attendant"), max_length=200, blank=True)
    supportive_touch = models.CharField(
        _("consents to supportive touch"), max_length=3, choices=Answer.choices, blank=True
    )
    agrees_to_stay = models.BooleanField(_("agrees to stay until the session ends"), default=False)
    recording_consent = models.CharField(
        _("consents to the session being recorded"),
        max_length=3,
        choices=Answer.choices,
        blank=True,
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["course", "client"], name="one_preparation_per_client")
        ]

    def __str__(self) -> str:
        return f"preparation {self.pk}"


class ReadinessOverride(models.Model):
    """A medical lead's decision to go ahead with an incomplete checklist, with the reason."""

    preparation = models.ForeignKey(Preparation, on_delete=models.PROTECT, related_name="overrides")
    reason = models.TextField(_("reason"))
    by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"readiness override {self.pk}"
