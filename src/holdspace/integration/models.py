"""Integration: visit notes (signed, then locked), daily check-ins and the client's journal."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from holdspace.courses.models import Course, Visit
from holdspace.people.models import Client, Membership, User


class IntegrationNote(models.Model):
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="integration_notes")
    visit = models.ForeignKey(
        Visit, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    text = models.TextField(_("note"))
    author = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        Membership, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"integration note {self.pk}"

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None


class NoteAddendum(models.Model):
    """A correction or addition to a signed note. The signed text itself never changes."""

    note = models.ForeignKey(IntegrationNote, on_delete=models.PROTECT, related_name="addenda")
    text = models.TextField(_("addendum"))
    author = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("created_at",)

    def __str__(self) -> str:
        return f"addendum {self.pk} to note {self.note_id}"


class CheckIn(models.Model):
    """One of the daily check-ins after a medicine session (0-10 scales; not an instrument)."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="check_ins")
    visit = models.ForeignKey(
        Visit, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    mood = models.PositiveSmallIntegerField(
        _("mood (0 very low to 10 very good)"),
        validators=[MinValueValidator(0), MaxValueValidator(10)],
    )
    sleep = models.PositiveSmallIntegerField(
        _("sleep last night (0 none to 10 very good)"),
        validators=[MinValueValidator(0), MaxValueValidator(10)],
    )
    distress = models.PositiveSmallIntegerField(
        _("distress (0 none to 10 worst)"), validators=[MinValueValidator(0), MaxValueValidator(10)]
    )
    self_harm_thoughts = models.BooleanField(_("thoughts of self-harm"))
    comment = models.TextField(_("comment"), blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-recorded_at",)

    def __str__(self) -> str:
        return f"check-in {self.pk}"


class JournalEntry(models.Model):
    """Written by the client in the portal; read by their therapists before each visit."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="journal")
    text = models.TextField(_("journal entry"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"journal entry {self.pk}"
