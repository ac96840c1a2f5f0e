"""The audit log: who saw and changed what, append-only and hash-chained.

A row is appended without any lock (its order is its auto id); the sealer (`audit.chain`)
later gives sealed rows their sequence number and an HMAC-SHA-256 that covers the row and the
hash of the row before it, under a key kept outside the database (`audit.keys`). So
`holdspace audit verify` can find a row that was altered, removed or truncated outside the
application. Clinical free text never enters here: a row names the record and the fields
that changed, never their values.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .keys import chain_mac

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
    # Set once, when the row is sealed into the chain (empty until then).
    seq = models.PositiveBigIntegerField(_("sequence"), unique=True, null=True, editable=False)
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
    prev_hash = models.CharField(max_length=64, editable=False, blank=True)
    hash = models.CharField(max_length=64, editable=False, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ("-id",)
        indexes = [
            models.Index(fields=["clinic", "-id"], name="audit_event_clinic_id_desc"),
            # The sealer's queue: rows not yet in the chain.
            models.Index(fields=["id"], name="audit_event_unsealed", condition=models.Q(hash="")),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} by {self.actor_label}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise PermissionError("Audit events are append-only.")

    @property
    def sealed(self) -> bool:
        return bool(self.hash)

    def compute_hash(self, key: bytes | None = None) -> str:
        return chain_mac(self.payload(), self.prev_hash, key)

    def payload(self) -> dict[str, Any]:
        """Everything the hash covers, in a form that survives a database round trip."""
        return {
            "id": self.pk,
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


class AuditChainHead(models.Model):
    """The last sealed link of the chain, signed with the audit key. Only the sealer locks it
    (one sealer at a time, so links never fork); appending a row never touches it."""

    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)
    signature = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("audit chain head")

    def __str__(self) -> str:
        return f"#{self.seq}"
