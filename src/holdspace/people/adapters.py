"""django-allauth and django-axes hooks for staff accounts."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


class StaffAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Staff are added by their clinic's admin; nobody signs themselves up.
        return False


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str:
    """The login name axes counts failures against: the email, case-folded."""
    credentials = credentials or {}
    name = credentials.get("email") or credentials.get("username") or request.POST.get("login", "")
    return str(name).strip().lower()


def lockout_response(
    request: HttpRequest, original_response: object = None, credentials: object = None
) -> HttpResponse:
    """The page shown while an account is locked after repeated wrong passwords."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "account/locked_out.html", {"cooloff_minutes": minutes}, status=429)
