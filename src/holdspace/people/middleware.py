"""The middleware that needs to know who the member is: their membership, the clinic's idle
limit and the second factor. It lives in `people` (core sits below every app and does not
import them); the shell's own middleware is in `core.middleware`."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from holdspace.audit.services import audit_record
from holdspace.core.http import client_ip
from holdspace.core.middleware import (
    ALWAYS_FREE_PREFIXES,
    API_PREFIX,
    SECOND_FACTOR_FREE_PREFIXES,
)

from .backends import MFA_ATTR
from .models import Membership, User
from .selectors import membership_for_user

# Requests a page makes on its own, with nobody at the keyboard: a session monitor's live
# region, polled every second. They neither count as activity nor write the session.
PASSIVE_POLL = re.compile(r"^/sessions/[^/]+/\d+/live/$")


def is_passive_poll(request: HttpRequest) -> bool:
    return request.method in ("GET", "HEAD") and bool(PASSIVE_POLL.match(request.path_info))


class MembershipMiddleware:
    """`request.membership`: the signed-in user's clinic membership, looked up once."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.membership = membership_for_user(request.user)  # type: ignore[attr-defined]
        return self.get_response(request)


class IdleTimeoutMiddleware:
    """Ends a session after the clinic's idle limit (Clinic.idle_timeout_minutes).

    The last activity is written to the session row at most once a minute (a write per request
    would rewrite the row on every click), and never by a passive poll such as a session
    monitor's live region: a screen left open is not someone at work. The session ends with
    the browser (SESSION_EXPIRE_AT_BROWSER_CLOSE); the server keeps it for SESSION_COOKIE_AGE
    (12 h) and this check ends it after the idle limit, so a returning user's time-out still
    reaches the audit log.
    """

    SESSION_KEY = "holdspace_last_activity"
    WRITE_EVERY_SECONDS = 60

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if isinstance(user, User) and user.is_authenticated:
            now = time.time()
            membership = getattr(request, "membership", None)
            limit = self.idle_limit_seconds(membership)
            last = request.session.get(self.SESSION_KEY)
            if isinstance(last, int | float) and now - last > limit:
                return self.end_session(request, user, membership, limit)
            fresh = isinstance(last, int | float) and now - last < self.WRITE_EVERY_SECONDS
            if not fresh and not is_passive_poll(request):
                request.session[self.SESSION_KEY] = now
        return self.get_response(request)

    @staticmethod
    def idle_limit_seconds(membership: Membership | None) -> int:
        minutes = (
            membership.clinic.idle_timeout_minutes
            if membership is not None
            else settings.DEFAULT_IDLE_TIMEOUT_MINUTES
        )
        return int(minutes) * 60

    def end_session(
        self, request: HttpRequest, user: User, membership: Membership | None, limit: int
    ) -> HttpResponse:
        audit_record(
            action="auth.idle_timeout",
            actor=user,
            clinic_id=membership.clinic_id if membership else None,
            ip=client_ip(request),
        )
        logout(request)
        if request.path_info.startswith(API_PREFIX):
            return JsonResponse({"detail": "Your session ended after inactivity."}, status=401)
        messages.info(
            request,
            _("You were signed out after %(minutes)d minutes without activity.")
            % {"minutes": limit // 60},
        )
        return redirect_to_login(request.get_full_path())


class SecondFactorRequiredMiddleware:
    """No clinical data before this session has used a second factor (TOTP or a security key).

    Enrolled is not enough: a session signed in by any route that skipped the second factor
    (Django's own admin sign-in, for one) is ended and sent back to the sign-in page.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from allauth.mfa.utils import is_mfa_enabled

        user = request.user
        path = request.path_info
        if (
            not isinstance(user, User)
            or not user.is_authenticated
            or path.startswith(ALWAYS_FREE_PREFIXES)
            or (settings.STATIC_URL and path.startswith(str(settings.STATIC_URL)))
        ):
            return self.get_response(request)
        # Usually known already: the user came with it from people.backends.StaffBackend.
        enabled = getattr(user, MFA_ATTR, None)
        if enabled is None:
            enabled = is_mfa_enabled(user)
        if not enabled:
            if path.startswith(SECOND_FACTOR_FREE_PREFIXES):
                return self.get_response(request)
            if path.startswith(API_PREFIX):
                return JsonResponse(
                    {"detail": "Enrol a second factor before using the API."}, status=403
                )
            messages.warning(
                request,
                _("Set up a second factor before you see any client data. It takes a minute."),
            )
            return redirect("mfa_activate_totp")
        if not session_used_second_factor(request):
            logout(request)
            if path.startswith(API_PREFIX):
                return JsonResponse(
                    {"detail": "Sign in with your second factor before using the API."},
                    status=401,
                )
            messages.warning(request, _("Sign in with your password and your second factor."))
            return redirect_to_login(request.get_full_path())
        return self.get_response(request)


def session_used_second_factor(request: HttpRequest) -> bool:
    """Did this session prove a second factor (at sign-in, or by enrolling one)?"""
    from allauth.account.authentication import get_authentication_records

    records = get_authentication_records(request, request.user)
    return any(record.get("method") == "mfa" for record in records)
