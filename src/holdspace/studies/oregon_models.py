"""Whether a clinic reports under Oregon SB 303, and a client's choice not to have their data in
the Oregon 303 client aggregate.

ORS 475A.372 / OAR 333-333-4910 (steering notes, clinical/outcomes.md F2): clients can opt out
of the submission of their client data. No row means the client has not opted out.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from holdspace.people.models import Client, Clinic


class Oregon303OptOut(models.Model):
    client = models.OneToOneField(Client, on_delete=models.PROTECT, related_name="oregon_303")
    opted_out = models.BooleanField(_("opted out of the 303 client data"), default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"303 opt-out of {self.client_id}: {self.opted_out}"


class Oregon303Reporting(models.Model):
    """A clinic's setting: it reports under Oregon SB 303 (ORS 475A.372 binds Oregon-licensed
    psilocybin service centres only, so it is off unless the clinic turns it on). No row: off."""

    clinic = models.OneToOneField(Clinic, on_delete=models.PROTECT, related_name="+")
    reports = models.BooleanField(_("reports under Oregon SB 303"), default=False)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"SB 303 reporting of clinic {self.clinic_id}: {self.reports}"
