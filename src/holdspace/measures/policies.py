"""Who may do what with measures. Views and services ask here."""

from __future__ import annotations

from holdspace.people import policies as people_policies
from holdspace.people.models import Client, Membership, Role

# Roles that assign measures and enter answers. Researchers read scores only.
MEASURE_WRITE_ROLES = frozenset({Role.THERAPIST, Role.MEDICAL_LEAD, Role.COORDINATOR})


def can_read_instruments(membership: Membership | None) -> bool:
    """The clinic's instrument library is its configuration, not client data: every member."""
    return membership is not None


def can_view_measures(membership: Membership | None, client: Client) -> bool:
    return people_policies.can_view_client(membership, client)


def can_write_measures(membership: Membership | None, client: Client) -> bool:
    return (
        membership is not None
        and membership.role in MEASURE_WRITE_ROLES
        and people_policies.can_view_client(membership, client)
    )


def can_see_alerts(membership: Membership | None, client: Client) -> bool:
    """Safety alerts go to the client's care team and the clinic's medical leads."""
    if membership is None or membership.clinic_id != client.clinic_id:
        return False
    if membership.role == Role.MEDICAL_LEAD:
        return True
    return people_policies.is_on_care_team(membership, client)


def can_write_progress_letter(membership: Membership | None, client: Client) -> bool:
    """The progress letter to the client's GP: the client's care team and the clinic's medical
    leads (the same people the safety alerts go to)."""
    return can_see_alerts(membership, client)
