"""The medicine session: team and sobriety, setting, doses, vitals and alerts, the timeline,
adverse events, discharge and the signed note. Nothing here is deleted by a user action."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from holdspace.courses.models import Visit
from holdspace.people.models import Client, Clinic, Membership, User


class SessionSettings(models.Model):
    """A clinic's cadence and thresholds. Defaults come from data/session/session.yaml and are
    labelled for review; a medical lead confirms them once before the first session."""

    clinic = models.OneToOneField(Clinic, on_delete=models.PROTECT, related_name="+")
    vitals_every_minutes = models.PositiveIntegerField(_("a reading every (minutes)"))
    vitals_after_alert_minutes = models.PositiveIntegerField(
        _("after an alert, the next reading within (minutes)")
    )
    systolic_watch = models.PositiveIntegerField(_("systolic: watch above"), null=True, blank=True)
    systolic_act = models.PositiveIntegerField(_("systolic: act above"), null=True, blank=True)
    diastolic_watch = models.PositiveIntegerField(
        _("diastolic: watch above"), null=True, blank=True
    )
    diastolic_act = models.PositiveIntegerField(_("diastolic: act above"), null=True, blank=True)
    heart_rate_watch = models.PositiveIntegerField(
        _("heart rate: watch above"), null=True, blank=True
    )
    heart_rate_act = models.PositiveIntegerField(_("heart rate: act above"), null=True, blank=True)
    temperature_watch = models.DecimalField(
        _("temperature: watch above (°C)"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    temperature_act = models.DecimalField(
        _("temperature: act above (°C)"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    spo2_watch_below = models.PositiveIntegerField(
        _("SpO2: watch below (%)"), null=True, blank=True
    )
    spo2_act_below = models.PositiveIntegerField(_("SpO2: act below (%)"), null=True, blank=True)
    suds_max = models.PositiveIntegerField(_("SUDS scale maximum"))
    confirmed_by = models.ForeignKey(
        Membership, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"session settings of clinic {self.clinic_id}"


class SessionStatus(models.TextChoices):
    PREPARING = "preparing", _("Before dosing")
    RUNNING = "running", pgettext_lazy("medicine session", "In progress")
    ENDED = "ended", _("Ended")


class Disposition(models.TextChoices):
    OVERNIGHT = "overnight_attendant", _("Overnight stay with an attendant")
    ESCORT = "escort_home", _("Escort home")


class MedicineSession(models.Model):
    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="medicine_sessions")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="medicine_sessions")
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("status"), max_length=20, choices=SessionStatus.choices, default=SessionStatus.PREPARING
    )
    checklist: models.JSONField[Any, Any] = models.JSONField(_("setting checklist"), default=dict)
    planned_dose: models.JSONField[Any, Any] = models.JSONField(null=True, blank=True)
    opened_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    next_reading_due_at = models.DateTimeField(null=True, blank=True)
    # Discharge
    discharge: models.JSONField[Any, Any] = models.JSONField(default=dict)
    disposition = models.CharField(max_length=30, choices=Disposition.choices, blank=True)
    companion_name = models.CharField(_("attendant or escort"), max_length=200, blank=True)
    # The session note: the first signature freezes the text; two therapists lock it.
    note_text = models.TextField(_("session note"), blank=True)
    note_locked_at = models.DateTimeField(null=True, blank=True)
    # Bumped on every write: the live view's ETag.
    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-opened_at",)
        constraints = [
            models.UniqueConstraint(fields=["visit", "client"], name="one_session_per_visit_client")
        ]

    def __str__(self) -> str:
        return f"medicine session {self.pk} ({self.client_id})"


class TeamPresence(models.Model):
    """A therapist present in the room, attesting in their own name that they are sober."""

    session = models.ForeignKey(MedicineSession, on_delete=models.PROTECT, related_name="team")
    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    attested_sober_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "membership"], name="one_attestation_each")
        ]

    def __str__(self) -> str:
        return f"{self.membership_id} present at session {self.session_id}"


class StartOverride(models.Model):
    """A medical lead's written override of one missing start item."""

    session = models.ForeignKey(MedicineSession, on_delete=models.PROTECT, related_name="overrides")
    item = models.CharField(max_length=40)
    reason = models.TextField(_("reason"))
    by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"override of {self.item} at session {self.session_id}"


class DoseKind(models.TextChoices):
    INITIAL = "initial", _("Initial dose")
    SUPPLEMENTAL = "supplemental", _("Supplemental dose")


class Dose(models.Model):
    session = models.ForeignKey(MedicineSession, on_delete=models.PROTECT, related_name="doses")
    kind = models.CharField(max_length=20, choices=DoseKind.choices)
    given = models.BooleanField(default=True)  # False: withheld (with a reason)
    substance = models.CharField(_("substance"), max_length=100, blank=True)
    mg = models.DecimalField(_("mg"), max_digits=6, decimal_places=1, null=True, blank=True)
    given_at = models.DateTimeField(_("time"), null=True, blank=True)
    lot_number = models.CharField(_("lot number"), max_length=60, blank=True)
    given_by = models.ForeignKey(
        Membership, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.TextField(_("reason"), blank=True)
    recorded_by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "kind"], name="one_dose_of_each_kind")
        ]

    def __str__(self) -> str:
        return f"{self.kind} dose of session {self.session_id}"


class AlertTier(models.TextChoices):
    NONE = "", _("Within limits")
    WATCH = "watch", _("Watch")
    ACT = "act", _("Act")


class VitalReading(models.Model):
    session = models.ForeignKey(MedicineSession, on_delete=models.PROTECT, related_name="vitals")
    taken_at = models.DateTimeField(_("time"))
    systolic = models.PositiveIntegerField(_("systolic (mmHg)"))
    diastolic = models.PositiveIntegerField(_("diastolic (mmHg)"))
    heart_rate = models.PositiveIntegerField(_("heart rate (/min)"))
    temperature = models.DecimalField(_("temperature (°C)"), max_digits=4, decimal_places=1)
    spo2 = models.PositiveIntegerField(_("SpO2 (%)"), null=True, blank=True)
    suds = models.PositiveIntegerField(_("SUDS"), null=True, blank=True)
    is_baseline = models.BooleanField(default=False)
    tier = models.CharField(max_length=10, choices=AlertTier.choices, blank=True, default="")
    recorded_by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("taken_at", "pk")
        indexes = [
            # The monitor reads a session's readings by time (the newest, the line between
            # recent and older, the slices of the chart: shown.py) without sorting them all.
            models.Index(fields=["session", "taken_at", "id"], name="vitals_session_time"),
        ]

    def __str__(self) -> str:
        return f"reading {self.pk} of session {self.session_id}"


class SessionAlert(models.Model):
    session = models.ForeignKey(MedicineSession, on_delete=models.PROTECT, related_name="alerts")
    reading = models.ForeignKey(VitalReading, on_delete=models.PROTECT, related_name="alerts")
    tier = models.CharField(max_length=10, choices=AlertTier.choices)
    reasons: models.JSONField[Any, Any] = models.JSONField(default=list)  # codes: "systolic.act"
    raised_at = models.DateTimeField(auto_now_add=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        Membership, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action_taken = models.TextField(_("what was done"), blank=True)

    class Meta:
        ordering = ("-raised_at", "-pk")

    def __str__(self) -> str:
        return f"{self.tier} alert {self.pk}"


class TimelineEntry(models.Model):
    session = models.ForeignKey(MedicineSession, on_delete=models.PROTECT, related_name="entries")
    at = models.DateTimeField(_("time"))
    kind = models.CharField(max_length=30)  # a one-tap code, or "note"
    text = models.TextField(_("note"), blank=True)
    by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("at", "pk")

    def __str__(self) -> str:
        return f"{self.kind} at session {self.session_id}"


class Severity(models.TextChoices):
    MILD = "mild", _("Mild")
    MODERATE = "moderate", _("Moderate")
    SEVERE = "severe", pgettext_lazy("adverse event severity", "Severe")


class Relatedness(models.TextChoices):
    NOT_RELATED = "not_related", _("Not related")
    UNLIKELY = "unlikely", _("Unlikely")
    POSSIBLE = "possible", _("Possible")
    PROBABLE = "probable", _("Probable")
    DEFINITE = "definite", _("Definite")


class Valence(models.TextChoices):
    UNPLEASANT = "unpleasant", _("Unpleasant")
    PLEASANT = "pleasant", _("Pleasant (e.g. euphoria)")
    NEUTRAL = "neutral", _("Neither")


class Outcome(models.TextChoices):
    ONGOING = "ongoing", _("Ongoing")
    RESOLVED = "resolved", _("Resolved")
    RESOLVED_SEQUELAE = "resolved_sequelae", _("Resolved with sequelae")
    FATAL = "fatal", _("Fatal")
    UNKNOWN = "unknown", _("Unknown")


class AdverseEvent(models.Model):
    session = models.ForeignKey(
        MedicineSession, on_delete=models.PROTECT, related_name="adverse_events"
    )
    term = models.CharField(_("term"), max_length=200)
    onset_at = models.DateTimeField(_("onset"))
    severity = models.CharField(_("severity"), max_length=20, choices=Severity.choices)
    valence = models.CharField(_("how it felt"), max_length=20, choices=Valence.choices)
    serious_criteria: models.JSONField[Any, Any] = models.JSONField(default=list)
    relatedness = models.CharField(_("relatedness"), max_length=20, choices=Relatedness.choices)
    action = models.CharField(_("action taken"), max_length=300, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    special_interest: models.JSONField[Any, Any] = models.JSONField(default=list)

    report_due_at = models.DateTimeField(null=True, blank=True)
    reported_by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    reported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("onset_at", "pk")

    def __str__(self) -> str:
        return f"adverse event {self.pk}"

    @property
    def serious(self) -> bool:
        return bool(self.serious_criteria)

    @property
    def special_interest_labels(self) -> list[str]:
        from .forms import SPECIAL_INTEREST_LABELS

        return [str(SPECIAL_INTEREST_LABELS.get(key, key)) for key in self.special_interest]


class NoteSignature(models.Model):
    session = models.ForeignKey(
        MedicineSession, on_delete=models.PROTECT, related_name="signatures"
    )
    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "membership"], name="one_signature_each")
        ]

    def __str__(self) -> str:
        return f"signature of {self.membership_id} on session {self.session_id}"


class IdempotentRequest(models.Model):
    """A write sent with a client-generated key: a repeat answers the first result
    (sessions/idempotency.py)."""

    # Keys are the sender's: the same key from two users is two requests.
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", null=True)
    key = models.CharField(max_length=255)
    session = models.ForeignKey(
        MedicineSession, on_delete=models.PROTECT, related_name="idempotent_requests"
    )
    method = models.CharField(max_length=10, blank=True)
    route = models.CharField(max_length=500, blank=True)
    fingerprint = models.CharField(max_length=64, blank=True)  # SHA-256 of the body
    action = models.CharField(max_length=30)
    status_code = models.PositiveSmallIntegerField()
    response: models.JSONField[Any, Any] = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="one_result_per_key")]

    def __str__(self) -> str:
        return f"request {self.key}"
