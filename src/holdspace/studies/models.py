"""Studies: a protocol run in one clinic or across the clinics of a network, its arms and
sites, who is enrolled, the concealed allocation list, blinded ratings, treatment guesses,
protocol deviations, data queries and locks.

The allocation of an enrolled client (`Enrolment.slot.arm`) is the study's secret: only the
selectors in `selectors.py` read it, and only for the roles `policies.py` lets see it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from holdspace.measures.models import timepoint_label
from holdspace.people.models import Client, Clinic

# Fidelity ratings and the Oregon 303 opt-out live in their own modules (registered here).
from .fidelity_models import FidelityChecklist, FidelityRating  # noqa: F401
from .oregon_models import Oregon303OptOut, Oregon303Reporting  # noqa: F401


class StudyStatus(models.TextChoices):
    RECRUITING = "recruiting", _("Recruiting")
    LOCKED = "locked", _("Database locked")
    UNBLINDED = "unblinded", _("Unblinded for analysis")


class Study(models.Model):
    """A protocol with arms, run at one or more sites (clinics)."""

    code = models.SlugField(_("study code"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=200)
    sponsor_clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="studies")
    protocol_template = models.CharField(_("protocol template"), max_length=80, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=StudyStatus.choices, default=StudyStatus.RECRUITING
    )
    # How the allocation list was made: documented so that it can be regenerated and checked.
    allocation_source = models.CharField(max_length=12, default="generated")  # or "uploaded"
    allocation_seed = models.CharField(max_length=64, blank=True)
    block_sizes = models.JSONField(default=list)  # e.g. [2, 4]: sizes drawn per block
    strata = models.JSONField(default=list)  # stratum labels, e.g. ["north|severe", ...]
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("study")
        verbose_name_plural = _("studies")
        ordering = ("code",)

    def __str__(self) -> str:
        return self.code


class Arm(models.Model):
    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="arms")
    key = models.SlugField(max_length=40)
    name = models.CharField(_("arm"), max_length=120)
    ratio = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ("study", "pk")
        constraints = [models.UniqueConstraint(fields=["study", "key"], name="one_arm_key")]

    def __str__(self) -> str:
        return self.name


class Site(models.Model):
    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="sites")
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="study_sites")

    class Meta:
        ordering = ("study", "pk")
        constraints = [models.UniqueConstraint(fields=["study", "clinic"], name="one_site")]

    def __str__(self) -> str:
        return f"{self.study} @ {self.clinic}"


class StudyRole(models.TextChoices):
    RESEARCHER = "researcher", _("Study researcher (all sites, codes only)")
    BLINDED_RATER = "blinded_rater", _("Blinded rater")
    MONITOR = "monitor", _("Study monitor")
    INVESTIGATOR = "investigator", _("Investigator")
    UNBLINDED_PHARMACIST = "unblinded", _("Unblinded pharmacist")


class StudyMember(models.Model):
    """A person's role in one study, beside their clinic role: a study-level researcher reads
    the study's data at every site by code, nothing else."""

    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="study_roles"
    )
    role = models.CharField(_("study role"), max_length=20, choices=StudyRole.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["study", "user", "role"], name="one_study_role")
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.role}, {self.study})"


class AllocationSlot(models.Model):
    """One line of the concealed allocation list: stratum, position, block and arm."""

    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="slots")
    stratum = models.CharField(max_length=120)
    position = models.PositiveIntegerField()  # 1, 2, ... within the stratum
    block = models.PositiveIntegerField()
    arm = models.ForeignKey(Arm, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ("study", "stratum", "position")
        constraints = [
            models.UniqueConstraint(fields=["study", "stratum", "position"], name="one_slot")
        ]

    def __str__(self) -> str:
        return f"{self.study} {self.stratum} #{self.position}"


class EnrolmentStatus(models.TextChoices):
    ENROLLED = "enrolled", _("Enrolled")
    RANDOMISED = "randomised", _("Randomised")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    COMPLETED = "completed", _("Completed")


class Enrolment(models.Model):
    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="enrolments")
    client = models.OneToOneField(Client, on_delete=models.PROTECT, related_name="enrolment")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="enrolments")
    stratum = models.CharField(_("stratum"), max_length=120)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=EnrolmentStatus.choices,
        default=EnrolmentStatus.ENROLLED,
    )
    slot = models.OneToOneField(
        AllocationSlot, on_delete=models.PROTECT, null=True, related_name="enrolment"
    )
    enrolled_at = models.DateTimeField(auto_now_add=True)
    randomised_at = models.DateTimeField(null=True)
    locked_at = models.DateTimeField(null=True)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        ordering = ("study", "client__code")

    def __str__(self) -> str:
        return f"{self.study}: {self.client}"


class Unblinding(models.Model):
    """An emergency unblinding by a medical lead: who, why, when. Never changed."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="unblindings")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("reason"))
    at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"unblinding of {self.enrolment}"


class Assessment(models.Model):
    """An outcome-assessment visit for the blinded rater: the only record a rater sees."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="assessments")
    timepoint = models.CharField(_("timepoint"), max_length=40)  # baseline, endpoint, ...
    instrument_code = models.CharField(max_length=40, default="CAPS-5")
    due_on = models.DateField(_("due on"))
    rater = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assessments"
    )
    score = models.OneToOneField(
        "measures.Score", on_delete=models.PROTECT, null=True, related_name="assessment"
    )
    done_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ("due_on", "pk")

    def __str__(self) -> str:
        return f"{self.instrument_code} {self.timepoint} ({self.enrolment})"

    @property
    def timepoint_label(self) -> str:
        return timepoint_label(self.timepoint)


class Guesser(models.TextChoices):
    CLIENT = "client", _("Client")
    THERAPIST = "therapist", _("Therapist")
    RATER = "rater", _("Blinded rater")


class TreatmentGuess(models.Model):
    """Which arm someone believes a client is in, and how sure they are (0-100)."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="guesses")
    guesser = models.CharField(_("who guesses"), max_length=12, choices=Guesser.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    timepoint = models.CharField(_("when"), max_length=40)  # "session-1", ..., "endpoint"
    arm = models.ForeignKey(
        Arm, on_delete=models.PROTECT, null=True, related_name="+"
    )  # null: don't know
    confidence = models.PositiveSmallIntegerField(_("how sure (0-100)"))
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("pk",)

    def __str__(self) -> str:
        return f"{self.guesser} guess ({self.timepoint})"


class Severity(models.TextChoices):
    MINOR = "minor", _("Minor")
    MAJOR = "major", _("Major")


class Deviation(models.Model):
    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="deviations")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="deviations")
    enrolment = models.ForeignKey(
        Enrolment, on_delete=models.PROTECT, null=True, related_name="deviations"
    )
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices)
    description = models.TextField(_("what happened"))
    action = models.TextField(_("what was done"))
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-reported_at", "-pk")

    def __str__(self) -> str:
        return f"{self.severity} deviation ({self.site})"


class QueryStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")


class DataQuery(models.Model):
    """A monitor's (or the system's) question about one value of an enrolled client."""

    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="queries")
    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="queries")
    item = models.CharField(_("which value"), max_length=120)
    question = models.TextField(_("question"))
    status = models.CharField(max_length=10, choices=QueryStatus.choices, default=QueryStatus.OPEN)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    raised_at = models.DateTimeField(auto_now_add=True)
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ("-raised_at", "-pk")

    def __str__(self) -> str:
        return f"query on {self.item} ({self.status})"


class InvitationStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for an answer")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")


class SiteInvitation(models.Model):
    """The sponsoring clinic's medical lead asks another clinic to run the study as a site. The
    site exists only once that clinic's own medical lead accepts; nothing of either clinic's
    clients is shared by the invitation itself."""

    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="invitations")
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="study_invitations")
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=InvitationStatus.choices,
        default=InvitationStatus.PENDING,
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    invited_at = models.DateTimeField(auto_now_add=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ("-invited_at", "-pk")
        constraints = [
            models.UniqueConstraint(
                fields=["study", "clinic"],
                condition=models.Q(status="pending"),
                name="one_pending_invitation_per_clinic",
            )
        ]

    def __str__(self) -> str:
        return f"{self.study} invites {self.clinic} ({self.status})"


class StudyRoleChange(models.Model):
    """The study team's history: who gave, changed or took away whose study role, and why.
    Never changed. A blinded rater made unblinded is recorded here with its reason (the audit
    log names the change but keeps no free text)."""

    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="role_changes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    old_role = models.CharField(max_length=20, choices=StudyRole.choices, blank=True)
    new_role = models.CharField(max_length=20, choices=StudyRole.choices, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-at", "-pk")

    def __str__(self) -> str:
        return f"{self.user}: {self.old_role or '-'} -> {self.new_role or '-'} ({self.study})"
