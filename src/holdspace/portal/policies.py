"""Who may use the client portal. Views ask here.

The portal is for clients: a signed-in user with a staff membership is refused (403), even
one who also had a portal account, so a staff member never reads a record through the door
meant for the client.
"""

from __future__ import annotations

from holdspace.people.models import Membership, Role


def can_use_portal(membership: Membership | None) -> bool:
    return membership is None


def can_follow_invitations(membership: Membership | None) -> bool:
    """Coordinators follow up the portal invitations not yet accepted (Today page)."""
    return membership is not None and membership.role == Role.COORDINATOR
