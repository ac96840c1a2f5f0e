"""Courses (episodes of care), their visits, rooms and the therapists' calendar feeds."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from holdspace.core.clinical_text import in_reader_language
from holdspace.people.models import Client, Clinic, Membership

from .hours import OpeningHours
from .phrases import Phrase


class VisitKind(models.TextChoices):
    PREPARATION = "preparation", _("Preparation")
    MEDICINE_SESSION = "medicine_session", _("Medicine session")
    INTEGRATION = "integration", _("Integration")
    CHECK_IN = "check_in", _("Check-in")
    OUTCOME_ASSESSMENT = "outcome_assessment", _("Outcome assessment")


class CourseStatus(models.TextChoices):
    PROPOSED = "proposed", _("Schedule proposed")
    ACTIVE = "active", _("Active")
    CLOSED = "closed", _("Closed")


class CloseReason(models.TextChoices):
    """Why a course ended: the reasons of a CONSORT-style flow (outcomes.md C3)."""

    COMPLETED = "completed", _("Completed")
    WITHDREW = "withdrew", _("Withdrew")
    LOST_TO_FOLLOW_UP = "lost_to_follow_up", _("Lost to follow-up")
    EXCLUDED = "excluded", _("Excluded by the medical lead")
    ADVERSE_EVENT = "adverse_event", _("Adverse event")


class CourseTeamRole(models.TextChoices):
    THERAPIST = "therapist", _("Therapist")
    MEDICAL_LEAD = "medical_lead", _("Medical lead")


class ClinicProtocolTemplate(models.Model):
    """A clinic's own copy of a protocol template, editable as YAML and validated on save."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    key = models.SlugField(_("key"), max_length=80)
    name = models.CharField(_("name"), max_length=200)
    based_on = models.CharField(_("based on"), max_length=80)
    definition_yaml = models.TextField(_("definition (YAML)"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clinic", "key"], name="one_template_key_per_clinic")
        ]

    def __str__(self) -> str:
        return self.name


class Room(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ("name",)
        constraints = [
            models.UniqueConstraint(fields=["clinic", "name"], name="one_room_name_per_clinic")
        ]

    def __str__(self) -> str:
        return self.name


class Course(models.Model):
    """One client's (or one couple's) whole arc, following a snapshot of a protocol template."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    clients = models.ManyToManyField(Client, related_name="courses")
    template_key = models.CharField(_("template"), max_length=80)
    template_name = models.CharField(_("template name"), max_length=200)
    # The template as it was when the course started: later edits do not move a running course.
    protocol: models.JSONField[Any, Any] = models.JSONField(_("protocol"))
    status = models.CharField(
        _("status"), max_length=20, choices=CourseStatus.choices, default=CourseStatus.PROPOSED
    )
    start_date = models.DateField(_("start date"))
    # Planned doses for this course, adjusted per client from the template's: list of dicts.
    planned_doses: models.JSONField[Any, Any] = models.JSONField(_("planned doses"), default=list)
    created_by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_reason = models.CharField(
        _("why the course ended"), max_length=20, choices=CloseReason.choices, blank=True
    )
    closed_by = models.ForeignKey(
        Membership, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.template_name} #{self.pk}"

    @property
    def template_label(self) -> str:
        """The protocol's name in the reader's language."""
        nb = self.protocol.get("name_nb", "") if isinstance(self.protocol, dict) else ""
        return in_reader_language(self.template_name, nb)


class CourseTeamMember(models.Model):
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="team")
    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(_("role"), max_length=20, choices=CourseTeamRole.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["course", "membership"], name="one_place_per_course")
        ]

    def __str__(self) -> str:
        return f"{self.membership_id} on course {self.course_id}"


class Visit(models.Model):
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="visits")
    kind = models.CharField(_("kind"), max_length=20, choices=VisitKind.choices)
    number = models.PositiveSmallIntegerField(_("number"))  # 1-based within its kind
    # label, why and needs are shown in each viewer's language: see the properties below.
    label_stored = models.CharField(_("label"), max_length=200, db_column="label")
    starts_at = models.DateTimeField(_("starts at"))
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"))
    room = models.ForeignKey(
        Room, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    therapists = models.ManyToManyField(Membership, related_name="course_visits", blank=True)
    # A visit that follows a medicine session moves with it.
    follows = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="followers"
    )
    why_stored = models.CharField(_("why this date"), max_length=300, db_column="why")
    needs_stored = models.CharField(
        _("what it needs"), max_length=300, blank=True, db_column="needs"
    )
    # The message ids and parameters behind label/why/needs (courses.phrases.Phrase); the
    # *_stored columns keep the English text for exports and for visits made without them.
    phrases: models.JSONField[Any, Any] = models.JSONField(default=dict, blank=True)
    planned_dose: models.JSONField[Any, Any] = models.JSONField(null=True, blank=True)
    cancelled = models.BooleanField(default=False)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("starts_at", "pk")
        indexes = [
            # A day's visits (a therapist's Today, calendars): which of them are cancelled or
            # medicine sessions, and their ids, from the index alone, not the wide rows of
            # every visit of the day across the network.
            models.Index(
                fields=["starts_at"], include=["id", "kind", "cancelled"], name="courses_visit_day"
            ),
            # Today's medicine sessions (sessions.selectors.medicine_visits_today) without
            # reading the day's other visits.
            models.Index(fields=["kind", "starts_at"]),
            # The first medicine session of each course (outcomes/picking.py, for tens of
            # thousands of clients at once) read from the index alone, not the wide rows.
            models.Index(
                fields=["course", "kind", "cancelled", "starts_at"],
                name="courses_visit_course_kind",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    def _text(self, name: str) -> str:
        data = self.phrases.get(name) if isinstance(self.phrases, dict) else None
        if data:
            return Phrase.from_json(data).render()
        return str(getattr(self, f"{name}_stored"))

    def _set_text(self, name: str, value: Phrase | str | None, limit: int) -> None:
        if not isinstance(self.phrases, dict):
            self.phrases = {}
        if isinstance(value, Phrase):
            self.phrases = {**self.phrases, name: value.as_json()}
            setattr(self, f"{name}_stored", value.in_english()[:limit])
        else:
            self.phrases = {k: v for k, v in self.phrases.items() if k != name}
            setattr(self, f"{name}_stored", (value or "")[:limit])

    @property
    def label(self) -> str:
        return self._text("label")

    @label.setter
    def label(self, value: Phrase | str) -> None:
        self._set_text("label", value, 200)

    @property
    def why(self) -> str:
        return self._text("why")

    @why.setter
    def why(self, value: Phrase | str) -> None:
        self._set_text("why", value, 300)

    @property
    def needs(self) -> str:
        return self._text("needs")

    @needs.setter
    def needs(self, value: Phrase | str | None) -> None:
        self._set_text("needs", value, 300)

    @property
    def ends_at(self) -> dt.datetime:
        return self.starts_at + dt.timedelta(minutes=self.duration_minutes)


class VisitMove(models.Model):
    """Each reschedule, with its written reason (kept; the audit row names only the fields)."""

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="moves")
    from_starts_at = models.DateTimeField()
    to_starts_at = models.DateTimeField()
    reason = models.TextField(_("reason"))
    by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"move of visit {self.visit_id}"


def feed_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class CalendarFeed(models.Model):
    """A therapist's private iCal URL. Only the SHA-256 of the token is stored."""

    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"calendar feed {self.hint}…"


def all_weekdays() -> list[int]:
    return list(range(7))


class CourseSettings(models.Model):
    """A clinic's settings for courses, preparation and the portal (defaults reviewed)."""

    clinic = models.OneToOneField(Clinic, on_delete=models.PROTECT, related_name="+")
    records_sessions = models.BooleanField(
        _("this site records medicine sessions"),
        default=False,
        help_text=_("When on, recording consent is part of the preparation checklist."),
    )
    overnight_stay_required = models.BooleanField(
        _("an overnight stay with an attendant is required"),
        default=True,
        help_text=_(
            "Reviewed default from the MAPS manual (2005); whether phase 3 required it is "
            "unconfirmed."
        ),
    )
    emergency_number = models.CharField(
        _("emergency number shown to clients"), max_length=40, blank=True, default=""
    )
    preparation_material = models.TextField(
        _("preparation material for clients"), blank=True, default=""
    )
    # Opening hours (courses/hours.py). Reviewed defaults: 08:00-18:00 every day, because the
    # phase 3 template puts the morning-after integration visit on whatever day follows a
    # medicine session; a clinic closed at weekends unticks them and the schedule moves.
    opens_at = models.TimeField(_("opens at"), default=dt.time(8, 0))
    closes_at = models.TimeField(
        _("closes at"),
        default=dt.time(18, 0),
        help_text=_("Visits start within opening hours; a medicine session may run past closing."),
    )
    open_weekdays = models.JSONField(_("open on"), default=all_weekdays)
    closed_dates = models.JSONField(
        _("closed days"),
        default=list,
        blank=True,
        help_text=_("Public holidays and other days the clinic is closed."),
    )

    def __str__(self) -> str:
        return f"course settings of clinic {self.clinic_id}"

    def opening_hours(self) -> OpeningHours:
        return OpeningHours(
            opens=self.opens_at,
            closes=self.closes_at,
            weekdays=frozenset(int(d) for d in self.open_weekdays),
            closed=frozenset(dt.date.fromisoformat(d) for d in self.closed_dates),
        )
