"""Who may do what in intake and screening. Views, the API and services ask here.

Everything is denied unless a rule below allows it. Seeing the client at all is decided by
`people.policies.can_view_client` (through `people.selectors.client_for_user`).
"""

from __future__ import annotations

from holdspace.people.models import Client, Membership, Role
from holdspace.people.policies import can_view_client

# Coordinators, therapists on the care team and medical leads record intake facts.
INTAKE_ROLES = frozenset({Role.COORDINATOR, Role.THERAPIST, Role.MEDICAL_LEAD})
# Researchers see findings and statuses by code, never the intake's free text or a reason.
FINDINGS_ROLES = INTAKE_ROLES | {Role.RESEARCHER}
# Only medical leads sign decisions and change the clinic's rules.
SIGN_ROLES = frozenset({Role.MEDICAL_LEAD})


def can_list_screening(membership: Membership | None) -> bool:
    return membership is not None and membership.role in FINDINGS_ROLES


def can_read_findings(membership: Membership | None, client: Client) -> bool:
    return (
        membership is not None
        and membership.role in FINDINGS_ROLES
        and can_view_client(membership, client)
    )


def can_read_intake(membership: Membership | None, client: Client) -> bool:
    return (
        membership is not None
        and membership.role in INTAKE_ROLES
        and can_view_client(membership, client)
    )


def can_record_intake(membership: Membership | None, client: Client) -> bool:
    return can_read_intake(membership, client)


def can_sign_decision(membership: Membership | None, client: Client) -> bool:
    return (
        membership is not None
        and membership.role in SIGN_ROLES
        and can_view_client(membership, client)
    )


def can_manage_rules(membership: Membership | None) -> bool:
    return membership is not None and membership.role in SIGN_ROLES
