"""Who may read outcomes. Views, the API and selectors ask here."""

from __future__ import annotations

from holdspace.people import policies as people_policies
from holdspace.people.models import Client, Membership, Role

# The cohort report is for the clinic's medical leads and researchers (codes only: the rows
# carry no names or free text for anyone).
COHORT_ROLES = frozenset({Role.MEDICAL_LEAD, Role.RESEARCHER})

# The per-client difference page shows intake free text (intention, notes are left out, but
# co-used substances are clinical text), so it is for roles that treat the client.
DIFFERENCE_ROLES = frozenset({Role.THERAPIST, Role.MEDICAL_LEAD, Role.COORDINATOR})


def can_view_cohort(membership: Membership | None) -> bool:
    return membership is not None and membership.role in COHORT_ROLES


def can_view_difference(membership: Membership | None, client: Client) -> bool:
    return (
        membership is not None
        and membership.role in DIFFERENCE_ROLES
        and people_policies.can_view_client(membership, client)
    )
