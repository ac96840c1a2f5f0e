"""Who may read and write integration records (notes, check-ins, the journal)."""

from __future__ import annotations

from holdspace.courses import policies as course_policies
from holdspace.people.models import Client, Membership


def can_read_integration(membership: Membership | None, client: Client) -> bool:
    """Notes, check-in comments and the journal are free clinical text: the roles that treat
    the client read them; researchers and clinic admins do not."""
    return course_policies.can_read_clinical_text(membership, client)


def can_write_integration(membership: Membership | None, client: Client) -> bool:
    return course_policies.can_manage_course(membership, client)
