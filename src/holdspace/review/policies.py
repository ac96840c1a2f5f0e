"""Who may review the clinic's clinical values: its medical leads only."""

from __future__ import annotations

from holdspace.people.models import Membership, Role


def can_review(membership: Membership | None) -> bool:
    return membership is not None and membership.role == Role.MEDICAL_LEAD
