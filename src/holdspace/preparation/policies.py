"""Who may read and change a client's preparation."""

from __future__ import annotations

from holdspace.courses import policies as course_policies
from holdspace.people import policies as people_policies
from holdspace.people.models import Client, Membership


def can_read_readiness(membership: Membership | None, client: Client) -> bool:
    """Ready or not, and which items are missing: a status, readable by every role that may
    see the client (researchers included)."""
    return people_policies.can_view_client(membership, client)


def can_read_preparation_text(membership: Membership | None, client: Client) -> bool:
    """Intentions and plans in the client's own words: the roles that treat the client."""
    return course_policies.can_read_clinical_text(membership, client)


def can_change_preparation(membership: Membership | None, client: Client) -> bool:
    return course_policies.can_manage_course(membership, client)


def can_override_readiness(membership: Membership | None, client: Client) -> bool:
    return course_policies.can_override_readiness(membership, client)
