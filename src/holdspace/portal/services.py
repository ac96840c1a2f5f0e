"""Inviting a client to the portal."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from holdspace.courses import policies as course_policies
from holdspace.people.actors import Actor
from holdspace.people.auditing import audit_write
from holdspace.people.models import Client, Membership, User

from .models import PortalAccount


def portal_invite(*, by: Actor, client: Client, email: str) -> PortalAccount:
    """A sign-in for the client (no staff membership). They choose a password by email link."""
    if not course_policies.can_manage_course(by.membership, client):
        raise PermissionDenied(_("You may not invite this client."))
    if by.membership is None:
        raise PermissionDenied
    email = email.strip().lower()
    with transaction.atomic():
        if PortalAccount.objects.filter(client=client).exists():
            raise ValidationError({"email": _("This client already has a portal sign-in.")})
        user = User.objects.filter(email__iexact=email).first()
        if user is not None and (
            Membership.objects.filter(user=user).exists()
            or PortalAccount.objects.filter(user=user).exists()
        ):
            raise ValidationError({"email": _("This email address is already in use.")})
        if user is None:
            user = User.objects.create_user(email=email, password=None)
        account = PortalAccount.objects.create(user=user, client=client, invited_by=by.membership)
        audit_write(by, "portal.invite", target=account, client=client, fields=["email"])
    return account
