"""Who may do what with people and client records. Views ask here; they never decide.

Everything is denied unless a rule below allows it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from .models import CareTeamMember, Client, Membership, Role

if TYPE_CHECKING:
    from .actors import Actor

# Roles that see every client of their clinic. Therapists see only the clients on whose care
# team they are. Clinic admins run the clinic (staff, settings, audit), not care.
CLINIC_WIDE_CLIENT_ROLES = frozenset({Role.MEDICAL_LEAD, Role.COORDINATOR, Role.RESEARCHER})
CLIENT_ROLES = CLINIC_WIDE_CLIENT_ROLES | {Role.THERAPIST}

# Roles with a need to know who a client is. Researchers work with pseudonymous codes only.
IDENTITY_ROLES = frozenset({Role.THERAPIST, Role.MEDICAL_LEAD, Role.COORDINATOR})

# Roles that open a new client record and assign care teams.
CLIENT_CREATE_ROLES = frozenset({Role.THERAPIST, Role.MEDICAL_LEAD, Role.COORDINATOR})
CARE_TEAM_MANAGE_ROLES = frozenset({Role.MEDICAL_LEAD, Role.COORDINATOR})
# Roles that may be placed on a client's care team.
CARE_TEAM_MEMBER_ROLES = frozenset({Role.THERAPIST, Role.MEDICAL_LEAD, Role.COORDINATOR})

STAFF_ADMIN_ROLES = frozenset({Role.CLINIC_ADMIN})
AUDIT_READ_ROLES = frozenset({Role.CLINIC_ADMIN})


# Parts a role has no use for stay out of its navigation, so no link leads to a 403 or an
# empty page (a researcher works on codes, scores and findings: no courses or sessions; the
# medicine session is the care team's and the medical lead's, not the coordinator's).
NAV_HIDDEN_FOR_ROLE = {
    Role.RESEARCHER: {"courses", "sessions"},
    Role.COORDINATOR: {"sessions", "exports"},
    Role.THERAPIST: {"exports"},
}


def nav_parts_hidden(membership: Membership) -> set[str]:
    return NAV_HIDDEN_FOR_ROLE.get(Role(membership.role), set())


def can_list_clients(membership: Membership | None) -> bool:
    return membership is not None and membership.role in CLIENT_ROLES


def can_see_all_clinic_clients(membership: Membership) -> bool:
    return membership.role in CLINIC_WIDE_CLIENT_ROLES


def can_view_client(membership: Membership | None, client: Client) -> bool:
    if membership is None or membership.clinic_id != client.clinic_id:
        return False
    if can_see_all_clinic_clients(membership):
        return True
    return membership.role == Role.THERAPIST and is_on_care_team(membership, client)


# Where a page that has read the client's care team keeps it on the client, for the policies
# its panels ask (each asks whether the reader is on it: a query each, otherwise).
_CARE_TEAM_READ = "_holdspace_care_team_ids"


def care_team_read(client: Client, placements: Iterable[CareTeamMember]) -> None:
    """Note on this client instance who is on its care team, as the page has just read it.
    Only for a request that does not change the care team (a page that shows it)."""
    setattr(client, _CARE_TEAM_READ, frozenset(p.membership_id for p in placements))


def is_on_care_team(membership: Membership, client: Client) -> bool:
    known: frozenset[int] | None = getattr(client, _CARE_TEAM_READ, None)
    if known is not None:
        return membership.pk in known
    return CareTeamMember.objects.filter(client=client, membership=membership).exists()


def can_read_identity(membership: Membership | None, client: Client) -> bool:
    return (
        membership is not None
        and membership.role in IDENTITY_ROLES
        and can_view_client(membership, client)
    )


def can_create_client(membership: Membership | None) -> bool:
    return membership is not None and membership.role in CLIENT_CREATE_ROLES


def can_manage_care_team(membership: Membership | None, client: Client) -> bool:
    return (
        membership is not None
        and membership.role in CARE_TEAM_MANAGE_ROLES
        and membership.clinic_id == client.clinic_id
    )


def can_manage_staff(membership: Membership | None) -> bool:
    return membership is not None and membership.role in STAFF_ADMIN_ROLES


def can_read_audit(membership: Membership | None) -> bool:
    return membership is not None and membership.role in AUDIT_READ_ROLES


def require(
    by: Actor,
    check: Callable[..., bool],
    *args: object,
    message: str = "",
) -> Membership:
    """The acting member, if `check(membership, *args)` allows it; PermissionDenied otherwise.
    Every service starts with this one line instead of its own if-raise pair."""
    membership = by.membership
    if membership is None or not check(membership, *args):
        raise PermissionDenied(message or _("Your role may not do this."))
    return membership
