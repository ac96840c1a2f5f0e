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

from .models import Clinic, Membership, User

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
# compiling it through the ORM took longer than PostgreSQL takes to answer it) and the three
# rows it joins are made into models here, as select_related would make them.
_MEMBERSHIP_FIELDS = tuple(f.attname for f in Membership._meta.concrete_fields)
_CLINIC_FIELDS = tuple(f.attname for f in Clinic._meta.concrete_fields)
_USER_FIELDS = tuple(f.attname for f in User._meta.concrete_fields)
_signed_in_sql = CompiledQueries()


def _signed_in_query(user_id: int) -> Any:
    return (
        Membership.objects.filter(user_id=user_id, is_active=True)
        .annotate(has_mfa=Exists(Authenticator.objects.filter(user_id=OuterRef("user_id"))))
        .order_by("pk")
        .values_list(
            *_MEMBERSHIP_FIELDS,
            *(f"clinic__{name}" for name in _CLINIC_FIELDS),
            *(f"user__{name}" for name in _USER_FIELDS),
            "has_mfa",
        )[:1]
    )


def _active_membership(user_id: Any) -> Membership | None:
    """The user's active membership with its clinic and user, the user marked with whether
    they have a second factor (MFA_ATTR); None when they have none."""
    try:
        pk = int(user_id)
    except (TypeError, ValueError):
        return None
    compiled = _signed_in_sql.bound("signed-in", _signed_in_query, user_id=pk)
    rows = compiled.rows()
    if not rows:
        return None
    row = rows[0]
    alias = compiled.alias
    clinic_at = len(_MEMBERSHIP_FIELDS)
    user_at = clinic_at + len(_CLINIC_FIELDS)
    membership = Membership.from_db(alias, _MEMBERSHIP_FIELDS, row[:clinic_at])
    clinic = Clinic.from_db(alias, _CLINIC_FIELDS, row[clinic_at:user_at])
    user = User.from_db(alias, _USER_FIELDS, row[user_at:-1])
    Membership._meta.get_field("clinic").set_cached_value(membership, clinic)
    Membership._meta.get_field("user").set_cached_value(membership, user)
    setattr(user, MFA_ATTR, bool(row[-1]))
    return membership
