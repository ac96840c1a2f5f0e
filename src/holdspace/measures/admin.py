"""Platform admin: a clinic's own instruments, or licensed text for a structure-only one.

Only platform superusers reach /platform-admin/. The definition body is validated against the
same schema as the shipped files before it is saved; scores keep the version that made them.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import InstrumentDefinition, SafetyAlert


@admin.register(InstrumentDefinition)
class InstrumentDefinitionAdmin(admin.ModelAdmin[InstrumentDefinition]):
    list_display = ("code", "version", "clinic", "origin", "is_active", "created_at")
    list_filter = ("origin", "is_active", "clinic")
    search_fields = ("code",)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deactivate instead: scores refer to the definition by code and version


@admin.register(SafetyAlert)
class SafetyAlertAdmin(admin.ModelAdmin[SafetyAlert]):
    """Read-only: alerts are raised and acknowledged through the services, with audit."""

    list_display = ("client", "severity", "source", "reason_code", "raised_at", "acknowledged_at")
    list_filter = ("severity", "source")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
