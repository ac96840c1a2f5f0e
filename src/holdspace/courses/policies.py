"""Who may do what with courses, rooms, templates and calendars."""

from __future__ import annotations

from holdspace.people import policies as people_policies
from holdspace.people.models import Client, Membership, Role

# Therapists on the client's care team, medical leads and coordinators start courses and
# move visits; researchers read; clinic admins run rooms and settings, not care.
COURSE_MANAGE_ROLES = frozenset({Role.THERAPIST, Role.MEDICAL_LEAD, Role.COORDINATOR})
CLINIC_SETUP_ROLES = frozenset({Role.CLINIC_ADMIN, Role.MEDICAL_LEAD, Role.COORDINATOR})
CALENDAR_ROLES = frozenset({Role.THERAPIST, Role.MEDICAL_LEAD, Role.COORDINATOR})


def can_manage_course(membership: Membership | None, client: Client) -> bool:
    return (
        membership is not None
        and membership.role in COURSE_MANAGE_ROLES
        and people_policies.can_view_client(membership, client)
    )


def can_read_clinical_text(membership: Membership | None, client: Client) -> bool:
    """Integration notes, check-in comments, the client's journal and the preparation's free
    text (intentions, who drives them home). Researchers work by code on numbers and
    statuses only; clinic admins see no client records."""
    return (
        membership is not None
        and membership.role in people_policies.IDENTITY_ROLES
        and people_policies.can_view_client(membership, client)
    )


def can_set_up_clinic(membership: Membership | None) -> bool:
    """Rooms, cloned templates and course settings."""
    return membership is not None and membership.role in CLINIC_SETUP_ROLES


def can_see_calendars(membership: Membership | None) -> bool:
    return membership is not None and membership.role in CALENDAR_ROLES


def can_override_readiness(membership: Membership | None, client: Client) -> bool:
    return (
        membership is not None
        and membership.role == Role.MEDICAL_LEAD
        and membership.clinic_id == client.clinic_id
    )


def can_close_course(membership: Membership | None, client: Client, reason: str) -> bool:
    """Those who manage the course close it; only a medical lead excludes a client."""
    if not can_manage_course(membership, client):
        return False
    assert membership is not None  # noqa: S101  (can_manage_course checked it)
    return reason != "excluded" or membership.role == Role.MEDICAL_LEAD
