"""The second factor: enrolment that survives stray requests, and enrolment as proof.

allauth's TOTP form makes a new secret on every unbound display of the enrolment page, so any
second visit (another tab, a reload, a request the browser makes on its own) replaces the
secret behind the QR code already scanned, and every code is then refused. Here the secret is
kept for the session until enrolment succeeds (allauth clears it then).
"""

from __future__ import annotations

from typing import Any

from allauth.account.internal.flows.login import record_authentication
from allauth.core import context
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.forms import ActivateTOTPForm
from allauth.mfa.totp.internal import auth as totp_auth
from django import forms
from django.http import HttpRequest


class StableSecretActivateTOTPForm(ActivateTOTPForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The parent's __init__, without its regenerate=not self.is_bound.
        self.user = kwargs.pop("user")
        forms.Form.__init__(self, *args, **kwargs)
        self.secret = totp_auth.get_totp_secret(regenerate=False)

    def clean_code(self) -> str:
        code = super().clean_code()
        # The code proves the factor: the session that enrols its first one has used it.
        if not _other_factors(self.user, exclude_pk=None).exists():
            record_authentication(context.request, self.user, "mfa", type="totp", enrolled=True)
        return code


def record_first_enrolment(
    sender: Any, request: HttpRequest, user: Any, authenticator: Authenticator, **kwargs: Any
) -> None:
    """Enrolling a first security key proves it: count it for this session (TOTP: the form).

    A second or later factor is not counted: a session that has not used the existing factor
    must not be able to promote itself by adding its own.
    """
    if authenticator.type == Authenticator.Type.RECOVERY_CODES:
        return
    if request.user.pk == user.pk and not _other_factors(user, authenticator.pk).exists():
        record_authentication(
            request, user, "mfa", id=authenticator.pk, type=authenticator.type, enrolled=True
        )


def _other_factors(user: Any, exclude_pk: int | None) -> Any:
    factors = Authenticator.objects.filter(user_id=user.pk).exclude(
        type=Authenticator.Type.RECOVERY_CODES
    )
    return factors.exclude(pk=exclude_pk) if exclude_pk is not None else factors


def verify_email_on_password_reset(
    sender: Any, request: HttpRequest, user: Any, **kwargs: Any
) -> None:
    """Staff and invited clients choose their first password through a link mailed to them,
    which proves the address; allauth refuses to enrol a second factor until it is verified,
    so without this no new account could ever enrol."""
    from allauth.account.models import EmailAddress

    address, _ = EmailAddress.objects.get_or_create(
        user=user, email__iexact=user.email, defaults={"email": user.email, "primary": True}
    )
    if not address.verified:
        address.verified = True
        address.save(update_fields=["verified"])
