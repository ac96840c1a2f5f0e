"""The audit log: who saw and changed what, append-only and hash-chained.

Each row stores the hash of the row before it, so `holdspace audit verify` can find a row
that was altered or removed outside the application. Clinical free text never enters here:
a row names the record and the fields that changed, never their values.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

GENESIS_HASH = "0" * 64


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise PermissionError("Audit events are append-only.")

    def delete(self) -> NoReturn:
        raise PermissionError("Audit events are append-only.")


class Channel(models.TextChoices):
    WEB = "web", _("Web")
    API = "api", _("API")
    CLI = "cli", _("Command line")
    SYSTEM = "system", _("System")


class AuditEvent(models.Model):
    seq = models.PositiveBigIntegerField(_("sequence"), unique=True, editable=False)
    at = models.DateTimeField(_("time"), editable=False)
    # No database constraint and no cascade: a row outlives the user and clinic it names.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
    )
    actor_label = models.CharField(_("actor"), max_length=254, blank=True)
    clinic = models.ForeignKey(
        "people.Clinic",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=64)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    target_type = models.CharField(_("record type"), max_length=64, blank=True)
    target_id = models.CharField(_("record"), max_length=64, blank=True)
    client_code = models.CharField(_("client"), max_length=12, blank=True, db_index=True)
    fields = models.JSONField(_("fields changed"), default=list)
    ip = models.GenericIPAddressField(_("IP address"), null=True)
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ("-seq",)
        indexes = [models.Index(fields=["clinic", "-seq"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} by {self.actor_label}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise PermissionError("Audit events are append-only.")

    def compute_hash(self) -> str:
        return chain_hash(self.payload(), self.prev_hash)

    def payload(self) -> dict[str, Any]:
        """Everything the hash covers, in a form that survives a database round trip."""
        return {
            "seq": self.seq,
            "at": self.at.isoformat(timespec="microseconds"),
            "actor": self.actor_id,
            "actor_label": self.actor_label,
            "clinic": self.clinic_id,
            "action": self.action,
            "channel": self.channel,
            "target_type": self.target_type,
            "target_id": self.target_id,
            "client_code": self.client_code,
            "fields": list(self.fields),
            "ip": self.ip,
        }


def chain_hash(payload: dict[str, Any], prev_hash: str) -> str:
    body = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{prev_hash}|{body}".encode()).hexdigest()


class AuditChainHead(models.Model):
    """The last link of the chain, locked while a row is appended so links never fork."""

    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        verbose_name = _("audit chain head")

    def __str__(self) -> str:
        return f"#{self.seq}"
