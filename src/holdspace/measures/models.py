"""Instruments a clinic adds, assignments, responses, scores and safety alerts."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from holdspace.people.models import Client, Clinic, Membership, User

from .definitions import Definition, DefinitionError, parse_definition


class InstrumentDefinition(models.Model):
    """A clinic's own instrument, or its licensed text for a structure-only one.

    The shipped instruments live in `data/instruments/*.yaml`; a row here with the same code
    replaces the shipped one for that clinic only (e.g. WAI-SR with the text the SPR allowed).
    `body` follows the same schema as the files and is validated on save.
    """

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="instruments")
    code = models.CharField(_("code"), max_length=40)
    version = models.CharField(_("version"), max_length=40)
    body = models.JSONField(_("definition"))
    origin = models.CharField(
        _("origin"),
        max_length=20,
        choices=[("clinic", _("Added by the clinic")), ("fhir", _("Imported from FHIR"))],
        default="clinic",
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("instrument definition")
        verbose_name_plural = _("instrument definitions")
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "code"],
                condition=models.Q(is_active=True),
                name="one_active_instrument_per_clinic_code",
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.version} ({self.clinic})"

    def definition(self) -> Definition:
        return parse_definition(self.body, origin=f"instrument {self.code}")

    def clean(self) -> None:
        try:
            definition = self.definition()
        except DefinitionError as exc:
            raise ValidationError({"body": str(exc)}) from exc
        if definition.code != self.code or definition.version != self.version:
            raise ValidationError({"body": "code and version must match the definition"})


class AssignmentState(models.TextChoices):
    DUE = "due", _("Due")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


TIMEPOINTS = {
    "baseline": _("Baseline"),
    "end": _("End of the course"),
    "endpoint": _("Endpoint"),  # a study's primary outcome assessment (studies.Assessment)
    "monthly": _("Monthly"),
    # Long-term follow-ups after the last medicine session (courses.schedule, studies).
    "follow_up_6m": _("6-month follow-up"),
    "follow_up_12m": _("12-month follow-up"),
}


def timepoint_label(code: str) -> str:
    """ "before_medicine_session_2" reads "Before medicine session 2"; known words by name."""
    if code in TIMEPOINTS:
        return str(TIMEPOINTS[code])
    for prefix, text in (
        ("before_medicine_session_", _("Before medicine session %(n)s")),
        ("after_medicine_session_", _("Day after medicine session %(n)s")),
    ):
        if code.startswith(prefix) and code[len(prefix) :].isdigit():
            return str(text) % {"n": code[len(prefix) :]}
    return code.replace("_", " ").capitalize()


class Assignment(models.Model):
    """An instrument a client is asked to complete, by a due date."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="assignments")
    instrument_code = models.CharField(_("instrument"), max_length=40)
    due_on = models.DateField(_("due on"))
    timepoint = models.CharField(_("timepoint"), max_length=80, blank=True)
    state = models.CharField(
        _("state"), max_length=20, choices=AssignmentState.choices, default=AssignmentState.DUE
    )
    assigned_by = models.ForeignKey(
        Membership, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # A one-time link: only the hash of its nonce is kept, so a database reader cannot forge it.
    link_nonce_hash = models.CharField(max_length=64, blank=True)
    link_expires_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ("due_on", "pk")
        indexes = [models.Index(fields=["client", "state"]), models.Index(fields=["due_on"])]

    def __str__(self) -> str:
        return f"{self.instrument_code} for {self.client} by {self.due_on}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """A saved timepoint is copied to the score of this assignment's response (Score.timepoint
        is its copy), in the same transaction. The services never change a timepoint; an edit
        elsewhere (the admin, a shell) must not leave the copy behind."""
        fields = kwargs.get("update_fields")
        if self._state.adding or (fields is not None and "timepoint" not in fields):
            super().save(*args, **kwargs)
            return
        with transaction.atomic():
            super().save(*args, **kwargs)
            Score.objects.filter(response__assignment=self).exclude(
                timepoint=self.timepoint
            ).update(timepoint=self.timepoint)

    def timepoint_label(self) -> str:
        return timepoint_label(self.timepoint)


class EnteredBy(models.TextChoices):
    CLIENT_LINK = "client_link", _("Client, through a one-time link")
    CLINICIAN = "clinician", _("Clinician, on the client's behalf")
    SCORE_ONLY = "score_only", _("Clinician, score only")
    API = "api", _("Through the API")


class Response(models.Model):
    """Answers to one instrument. Saved as the client goes; locked once submitted."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="responses")
    assignment = models.OneToOneField(
        Assignment, on_delete=models.PROTECT, related_name="response", null=True, blank=True
    )
    instrument_code = models.CharField(_("instrument"), max_length=40)
    definition_version = models.CharField(max_length=40)
    answers = models.JSONField(default=dict)
    entered_by = models.CharField(max_length=20, choices=EnteredBy.choices)
    entered_by_user = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    started_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # Filled in looking back at an earlier experience recorded at intake (an EBI, MEQ30 or
    # CEQ about a party, a festival, a ceremony), not about a session of the course.
    retrospective = models.BooleanField(_("filled in retrospectively"), default=False)
    prior_experience = models.ForeignKey(
        "screening.PriorExperience",
        on_delete=models.PROTECT,
        related_name="retrospective_responses",
        null=True,
        blank=True,
        verbose_name=_("about the earlier experience"),
    )

    class Meta:
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        ordering = ("-submitted_at", "-pk")

    def __str__(self) -> str:
        return f"{self.instrument_code} response {self.pk}"


class Score(models.Model):
    """A scored response, with the definition version that produced it."""

    response = models.OneToOneField(Response, on_delete=models.PROTECT, related_name="score")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="scores")
    # The client's clinic, copied when the score is stored (save() fills it from the client;
    # bulk loaders set it themselves): a clinic's newest scores are then read from one index
    # (selectors.recent_scores_visible_to) rather than the whole network's. A client never
    # changes clinic (no service moves one), so the copy cannot go stale.
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+", db_index=False)
    instrument_code = models.CharField(max_length=40)
    definition_version = models.CharField(max_length=40)
    total = models.FloatField(null=True)
    subscales = models.JSONField(default=dict)
    band = models.CharField(max_length=80, blank=True)
    flags = models.JSONField(default=list)
    scored_at = models.DateTimeField()
    observed_on = models.DateField()
    # The response's assignment's timepoint ("baseline", "end", "follow_up_6m"; blank when
    # unscheduled), copied when the score is stored: an assignment's timepoint never changes,
    # and the outcomes cohort picks baselines and endpoints from this table alone (no join to
    # the response and assignment for every score; outcomes/picking.py).
    timepoint = models.CharField(max_length=80, blank=True, default="")

    class Meta:
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        ordering = ("observed_on", "pk")
        indexes = [
            # A client's scores on an instrument in date order, and covering: the outcomes
            # cohort's picking query (outcomes/picking.py) reads every score of tens of
            # thousands of clients from this index alone (an index-only scan, already in the
            # order its window needs), never from the wide rows (answers, subscales, flags).
            models.Index(
                fields=[
                    "client",
                    "instrument_code",
                    "observed_on",
                    "id",
                    "total",
                    "timepoint",
                    "band",
                ],
                name="measures_score_client_cover",
            ),
            # A clinic's newest scores first (selectors.recent_scores_visible_to): its first
            # 100 are read in order, and no other clinic's scores are read at all.
            models.Index(
                fields=["clinic", "-observed_on", "-id"], name="measures_score_clinic_recent"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_code} {self.total}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.clinic_id is None and self.client_id is not None:
            self.clinic_id = self.client.clinic_id
        super().save(*args, **kwargs)

    @property
    def band_label(self) -> str:
        """The band in the reader's language (stored in English, as the definition says)."""
        from .library import band_text  # library imports this module

        return band_text(self.instrument_code, self.band)


class Severity(models.TextChoices):
    WATCH = "watch", _("Watch")
    ACT = "act", _("Act now")


# What a reason code means, for people. Other apps' codes show as the code itself.
SOURCES = {
    "measures": _("a questionnaire"),
    "check-in": _("a check-in"),
}
REASONS = {
    "phq9.item9": _("PHQ-9 item 9 (thoughts of self-harm) answered above 0"),
    "checkin.self_harm": _("Check-in: the client reported thoughts of self-harm"),
    "cssrs.risk-moderate": _("C-SSRS clinician-rated risk: moderate"),
    "cssrs.risk-high": _("C-SSRS clinician-rated risk: high"),
}


class SafetyAlert(models.Model):
    """A risk signal for the care team and medical lead, shown until acknowledged.

    `reason_code` is a non-clinical code ("phq9.item9"); never free text.
    """

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="safety_alerts")
    severity = models.CharField(max_length=10, choices=Severity.choices)
    source = models.CharField(max_length=40)
    reason_code = models.CharField(max_length=80)
    raised_at = models.DateTimeField()
    raised_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    action_taken = models.TextField(_("what was done"), blank=True)

    class Meta:
        verbose_name = _("safety alert")
        verbose_name_plural = _("safety alerts")
        ordering = ("-raised_at",)
        indexes = [models.Index(fields=["client", "acknowledged_at"])]

    def __str__(self) -> str:
        return f"{self.severity} {self.reason_code} for {self.client}"

    def reason_label(self) -> str:
        return str(REASONS.get(self.reason_code, self.reason_code))

    def source_label(self) -> str:
        return str(SOURCES.get(self.source, self.source))

    @property
    def is_open(self) -> bool:
        return self.acknowledged_at is None


def summary(score: Score) -> dict[str, Any]:
    return {
        "instrument": score.instrument_code,
        "version": score.definition_version,
        "total": score.total,
        "subscales": score.subscales,
        "band": score.band or None,
        "flags": score.flags,
    }
