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

from .models import Membership, User

# Attributes set on the request's user; absent when the user came from elsewhere (a form).
MEMBERSHIP_ATTR = "_holdspace_membership"
MFA_ATTR = "_holdspace_mfa_enabled"


class StaffBackend(AuthenticationBackend):
    """allauth's backend (sign-in by email), with a `get_user` that brings the membership."""

    def get_user(self, user_id: Any) -> User | None:
        membership = (
            Membership.objects.select_related("clinic", "user")
            .filter(user_id=user_id, is_active=True)
            .annotate(has_mfa=Exists(Authenticator.objects.filter(user_id=OuterRef("user_id"))))
            .first()
        )
        if membership is None:  # not staff of any clinic (the platform admin, a client)
            user = super().get_user(user_id)
            if isinstance(user, User):
                setattr(user, MEMBERSHIP_ATTR, None)
            return user
        user = membership.user
        if not self.user_can_authenticate(user):
            return None
        setattr(user, MEMBERSHIP_ATTR, membership)
        setattr(user, MFA_ATTR, bool(membership.has_mfa))
        return user
