from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin[AuditEvent]):
    """Read-only: nobody, not even a platform superuser, edits or deletes an audit row."""

    list_display = ("seq", "at", "action", "actor_label", "clinic_id", "client_code", "channel")
    list_filter = ("action", "channel")
    search_fields = ("actor_label", "client_code", "action")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
