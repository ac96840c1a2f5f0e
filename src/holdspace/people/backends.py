"""Who is signed in, with their membership and second-factor state, in one query per request.

Every staff request needs the user, their clinic membership (with the clinic) and whether they
have a second factor. Asked one by one that is three queries before the page starts; a session
monitor's one-second live poll pays them every second. `get_user` below asks once, and the
shell's middleware reads the answers from the user it returns (`membership_for_user`,
`SecondFactorRequiredMiddleware`).
"""

from __future__ import annotations

from typing import Any

from allauth.account.auth_backends import AuthenticationBackend
from allauth.mfa.models import Authenticator
from django.db.models import Exists, OuterRef

from holdspace.core.compiled import CompiledQueries

from .models import Membership, User

# Attributes set on the request's user; absent when the user came from elsewhere (a form).
MEMBERSHIP_ATTR = "_holdspace_membership"
MFA_ATTR = "_holdspace_mfa_enabled"


class StaffBackend(AuthenticationBackend):
    """allauth's backend (sign-in by email), with a `get_user` that brings the membership."""

    def get_user(self, user_id: Any) -> User | None:
        membership = _active_membership(user_id)
        if membership is None:  # not staff of any clinic (the platform admin, a client)
            user = super().get_user(user_id)
            if isinstance(user, User):
                setattr(user, MEMBERSHIP_ATTR, None)
            return user
        user = membership.user
        if not self.user_can_authenticate(user):
            return None
        setattr(user, MEMBERSHIP_ATTR, membership)
        return user


# Every request asks this, so its SQL is compiled once per process for any user (building and
# compiling it through the ORM took longer than PostgreSQL takes to answer it).
_signed_in_sql = CompiledQueries()


def _signed_in_query(user_id: int) -> Any:
    return (
        Membership.objects.filter(user_id=user_id, is_active=True)
        .select_related("clinic", "user")
        .annotate(has_mfa=Exists(Authenticator.objects.filter(user_id=OuterRef("user_id"))))
        .order_by("pk")[:1]
    )


def _active_membership(user_id: Any) -> Membership | None:
    """The user's active membership with its clinic and user, the user marked with whether
    they have a second factor (MFA_ATTR); None when they have none."""
    try:
        pk = int(user_id)
    except (TypeError, ValueError):
        return None
    found = _signed_in_sql.bound("signed-in", _signed_in_query, user_id=pk).objects()
    if not found:
        return None
    membership: Membership = found[0]
    setattr(membership.user, MFA_ATTR, bool(membership.has_mfa))  # type: ignore[attr-defined]
    return membership
