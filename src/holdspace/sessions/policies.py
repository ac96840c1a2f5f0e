"""Who may do what in a medicine session. Deny by default.

The session belongs to the client's care team (therapists) and the clinic's medical leads.
Coordinators, researchers and clinic admins do not see the live session (404): it is the room.
"""

from __future__ import annotations

from holdspace.people import policies as people_policies
from holdspace.people.models import Client, Membership, Role


def can_see_session(membership: Membership | None, client: Client) -> bool:
    if membership is None or membership.clinic_id != client.clinic_id:
        return False
    if membership.role == Role.MEDICAL_LEAD:
        return True
    return membership.role == Role.THERAPIST and people_policies.is_on_care_team(membership, client)


def can_record(membership: Membership | None, client: Client) -> bool:
    """Every entry of the session: the care team's therapists and the medical leads."""
    return can_see_session(membership, client)


def can_attest(membership: Membership | None, client: Client) -> bool:
    """Only therapists attest presence and sobriety, each in their own name."""
    return (
        membership is not None
        and membership.role == Role.THERAPIST
        and can_see_session(membership, client)
    )


def is_medical_lead(membership: Membership | None, client: Client) -> bool:
    return (
        membership is not None
        and membership.role == Role.MEDICAL_LEAD
        and membership.clinic_id == client.clinic_id
    )


def can_confirm_settings(membership: Membership | None) -> bool:
    return membership is not None and membership.role == Role.MEDICAL_LEAD


# Roles that may read a session's summary report; which sessions is the selector's scope.
SUMMARY_ROLES = frozenset({Role.THERAPIST, Role.MEDICAL_LEAD})


def can_read_summary(membership: Membership | None) -> bool:
    """The printed session summary: the care team's therapists and the medical leads (403 for
    every other role, whatever the session; the selector answers 404 outside the scope)."""
    return membership is not None and membership.role in SUMMARY_ROLES
