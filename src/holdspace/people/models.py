"""Clinics, staff and their roles, clients and their care teams.

A client's identity (name, birth date, contact) is kept in its own table, apart from the
clinical record, so that pseudonymous views and research exports never touch it.
"""

from __future__ import annotations

import secrets
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class StaffUserManager(UserManager["User"]):
    """Users are found by email; there is no username."""

    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra_fields: Any) -> User:
        if not email:
            raise ValueError("A user needs an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(  # type: ignore[override]
        self, email: str, password: str | None = None, **extra_fields: Any
    ) -> User:
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(  # type: ignore[override]
        self, email: str, password: str | None = None, **extra_fields: Any
    ) -> User:
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person who signs in: staff of a clinic (and later, clients through the portal)."""

    username = None  # type: ignore[assignment]  # email is the login
    email = models.EmailField(_("email address"), unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects: ClassVar[StaffUserManager] = StaffUserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.email


class Clinic(models.Model):
    """A clinic or trial site. Everything clinical belongs to exactly one clinic."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), unique=True)
    idle_timeout_minutes = models.PositiveIntegerField(
        _("idle session timeout (minutes)"),
        default=30,
        validators=[MinValueValidator(5), MaxValueValidator(12 * 60)],
        help_text=_("Staff are signed out after this long without activity."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("clinic")
        verbose_name_plural = _("clinics")
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    THERAPIST = "therapist", _("Therapist")
    MEDICAL_LEAD = "medical_lead", _("Medical lead")
    COORDINATOR = "coordinator", _("Coordinator")
    RESEARCHER = "researcher", _("Researcher")
    CLINIC_ADMIN = "clinic_admin", _("Clinic admin")
    # Study roles (holdspace.studies): denied everything outside the studies app by default.
    BLINDED_RATER = "blinded_rater", _("Blinded rater")
    STUDY_MONITOR = "study_monitor", _("Study monitor")


class Membership(models.Model):
    """A staff member's place in a clinic, with their role there.

    One active membership per user for now: every page is scoped to that clinic.
    """

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="memberships")
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("staff membership")
        verbose_name_plural = _("staff memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(is_active=True),
                name="one_active_membership_per_user",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}, {self.clinic})"


class Phase(models.TextChoices):
    """Where a client is on the arc of care: derived from the record (courses/phase.py)."""

    SCREENING = "screening", _("Screening")
    PREPARATION = "preparation", _("Preparation")
    MEDICINE_SESSIONS = "medicine_sessions", _("Medicine sessions")
    INTEGRATION = "integration", _("Integration")
    FOLLOW_UP = "follow_up", _("Follow-up")
    CLOSED = "closed", _("Closed")


# Crockford's base32 without I, L, O, U: codes are read aloud and copied by hand.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_client_code() -> str:
    return "HS-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))


class Client(models.Model):
    """A client's clinical record, known by a pseudonymous code such as HS-7K2F9Q."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="clients")
    code = models.CharField(_("client code"), max_length=12, unique=True)
    phase = models.CharField(
        _("phase"), max_length=20, choices=Phase.choices, default=Phase.SCREENING
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ("code",)
        # The client list filters by clinic and sorts by code; the phase filter adds phase.
        indexes = [
            models.Index(fields=["clinic", "phase"]),
            models.Index(fields=["clinic", "code"], name="people_client_clinic_code"),
        ]

    def __str__(self) -> str:
        return self.code


class ClientIdentity(models.Model):
    """Who the client is. Read only by roles with a need (see people.policies)."""

    client = models.OneToOneField(Client, on_delete=models.PROTECT, related_name="identity")
    given_name = models.CharField(_("given name"), max_length=100)
    family_name = models.CharField(_("family name"), max_length=100)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("client identity")
        verbose_name_plural = _("client identities")

    def __str__(self) -> str:
        return f"{self.given_name} {self.family_name}"


class CareTeamRole(models.TextChoices):
    LEAD_THERAPIST = "lead_therapist", _("Lead therapist")
    CO_THERAPIST = "co_therapist", _("Co-therapist")
    MEDICAL = "medical", _("Medical responsibility")
    SUPPORT = "support", _("Support")


class CareTeamMember(models.Model):
    """Which staff member treats which client."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="care_team")
    membership = models.ForeignKey(
        Membership, on_delete=models.PROTECT, related_name="care_assignments"
    )
    role = models.CharField(_("role on the team"), max_length=20, choices=CareTeamRole.choices)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("care team member")
        verbose_name_plural = _("care team members")
        constraints = [
            models.UniqueConstraint(fields=["client", "membership"], name="one_place_per_care_team")
        ]

    def __str__(self) -> str:
        return f"{self.membership.user} → {self.client}"
