"""Invitations: a staff member or a client chooses a password through a link of their own.

The link is signed (Django's signing, so nothing is stored) and carries the user's id and a
fingerprint of their password hash and last sign-in: once a password is chosen the link no
longer works, and it expires after `INVITATION_MAX_AGE_DAYS`. Following it proves the address
belongs to the person, so the address is marked verified and they go straight on to enrol their
second factor.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.forms import SetPasswordForm
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from holdspace.audit.models import Channel
from holdspace.audit.services import audit_record

from .models import Clinic, Membership, User

SALT = "holdspace.people.invitation"


def _fingerprint(user: User) -> str:
    # Changes when a password is set or the person signs in: the link is good for one use.
    last = "" if user.last_login is None else user.last_login.replace(microsecond=0).isoformat()
    return salted_hmac(SALT, f"{user.pk}:{user.password}:{last}").hexdigest()[:20]


def invitation_token(user: User) -> str:
    return signing.dumps({"u": user.pk, "f": _fingerprint(user)}, salt=SALT, compress=True)


def invitation_expires_on() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=settings.INVITATION_MAX_AGE_DAYS)


def invitation_user(token: str) -> User | None:
    """The invited user, or None when the link is altered, expired or already used."""
    try:
        data = signing.loads(
            token, salt=SALT, max_age=dt.timedelta(days=settings.INVITATION_MAX_AGE_DAYS)
        )
    except signing.BadSignature:  # includes SignatureExpired
        return None
    user = User.objects.filter(pk=data.get("u"), is_active=True).first()
    if user is None or not constant_time_compare(str(data.get("f", "")), _fingerprint(user)):
        return None
    return user


@dataclass(frozen=True)
class Invitation:
    """What the invitation email and the page behind the link both say."""

    kind: str  # "staff" or "client"
    clinic: Clinic
    invited_by: str


def invitation_for(user: User) -> Invitation | None:
    """Staff are invited to their clinic; clients to their clinic's portal."""
    membership = (
        Membership.objects.filter(user=user, is_active=True).select_related("clinic").first()
    )
    if membership is not None:
        return Invitation("staff", membership.clinic, "")
    account = getattr(user, "portal_account", None)
    if account is not None:
        inviter = account.invited_by.user if account.invited_by_id else None
        name = inviter.get_full_name() or inviter.email if inviter else ""
        return Invitation("client", account.client.clinic, name)
    return None


def invitation_send(*, request: HttpRequest, user: User, kind: str, invited_by: User) -> None:
    """Email the invitation. The caller's service has already created and audited the account."""
    membership = Membership.objects.filter(user=user).select_related("clinic").first()
    if kind == "staff" and membership is not None:
        clinic = membership.clinic
        role = membership.get_role_display()
    else:
        clinic = user.portal_account.client.clinic
        role = ""
    link = request.build_absolute_uri(reverse("invitation_accept", args=[invitation_token(user)]))
    context = {
        "clinic": clinic.name,
        "invited_by": invited_by.get_full_name() or invited_by.email,
        "role": role,
        "link": link,
        "expires_on": invitation_expires_on(),
        "name": user.get_full_name(),
    }
    subject = (
        _("You are invited to Holdspace at %(clinic)s") % {"clinic": clinic.name}
        if kind == "staff"
        else _("%(clinic)s invites you to your Holdspace portal") % {"clinic": clinic.name}
    )
    body = render_to_string(f"people/email/invitation_{kind}.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])


def invitation_accept_password(
    *, form: SetPasswordForm[User], user: User, invitation: Invitation, ip: str | None
) -> None:
    """Save the password chosen through an invitation link and mark the address verified
    (following the emailed link proves it is theirs), audited in the same transaction. The
    user has no session yet, so the row names them as the actor."""
    with transaction.atomic():
        form.save()
        EmailAddress.objects.filter(user=user).exclude(email__iexact=user.email).update(
            primary=False
        )
        EmailAddress.objects.update_or_create(
            user=user,
            email=user.email,
            defaults={"verified": True, "primary": True},
        )
        audit_record(
            action="invitation.accept",
            actor=user,
            clinic_id=invitation.clinic.pk,
            channel=Channel.WEB,
            ip=ip,
            target=user,
            fields=["password", "email_verified"],
        )
