"""Sign-in events arrive as Django signals; these turn them into audit rows.

Signals are used only here, because authentication has no service of ours to call. They live
in `people` (not `audit`) because the row names the user's clinic, which people knows.
"""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from holdspace.audit.services import audit_record
from holdspace.core.http import client_ip

from .models import User
from .selectors import membership_for_user


def _clinic_id(user: Any) -> int | None:
    membership = membership_for_user(user)
    return membership.clinic_id if membership is not None else None


@receiver(user_logged_in)
def audit_login(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    audit_record(action="auth.login", actor=user, clinic_id=_clinic_id(user), ip=client_ip(request))


@receiver(user_logged_out)
def audit_logout(sender: Any, request: HttpRequest, user: User | None, **kwargs: Any) -> None:
    if user is None:
        return
    audit_record(
        action="auth.logout", actor=user, clinic_id=_clinic_id(user), ip=client_ip(request)
    )


@receiver(user_login_failed)
def audit_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # Django has already masked the password; only the attempted login name is kept.
    attempted = str(credentials.get("email") or credentials.get("username") or "")[:254]
    user = User.objects.filter(email__iexact=attempted).first() if attempted else None
    audit_record(
        action="auth.login_failed",
        actor=user,
        actor_label=attempted,
        clinic_id=_clinic_id(user),
        ip=client_ip(request) if request is not None else None,
    )


@receiver(user_locked_out)
def audit_locked_out(
    sender: Any, request: HttpRequest, username: str | None = None, **kwargs: Any
) -> None:
    user = User.objects.filter(email__iexact=username).first() if username else None
    audit_record(
        action="auth.locked_out",
        actor=user,
        actor_label=username or "",
        clinic_id=_clinic_id(user),
        ip=client_ip(request),
    )
