"""The client's side: a client's own sign-in, linked one-to-one to their record."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from holdspace.people.models import Client, Membership, User


class PortalAccount(models.Model):
    """A User with no staff membership, who sees only their own portal pages."""

    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="portal_account")
    client = models.OneToOneField(Client, on_delete=models.PROTECT, related_name="portal_account")
    invited_by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"portal account of client {self.client_id}"
