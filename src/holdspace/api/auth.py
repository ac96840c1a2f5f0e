"""How the API knows who is calling: a personal token, or a signed-in browser session.

Either way the caller acts as a staff member of one clinic, with the same scoping and audit as
the web pages. A session without an enrolled second factor is refused, as on the web.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja.security import APIKeyCookie, HttpBearer
from ninja.security.session import SessionAuth

from holdspace.audit.models import Channel
from holdspace.people.actors import Actor
from holdspace.people.models import Membership, User
from holdspace.people.selectors import membership_for_user

from .services import api_token_authenticate
from .throttles import FAILED_GUESSES


def _attach(request: HttpRequest, user: User) -> Membership | None:
    membership = membership_for_user(user)
    if membership is None:
        return None
    request.user = user
    # The attributes of holdspace.core.http.ApiRequest, which every API route is typed with.
    setattr(request, "membership", membership)  # noqa: B010
    setattr(request, "actor", Actor.from_request(request, channel=Channel.API))  # noqa: B010
    return membership


class BearerTokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Membership | None:
        FAILED_GUESSES.refuse_if_guessing(request)
        found = api_token_authenticate(token, request=request)
        if found is None:
            FAILED_GUESSES.count_failure(request)
            return None
        # The per-token throttle's key.
        request.api_token_id = found.pk  # type: ignore[attr-defined]
        return _attach(request, found.user)


class StaffSessionAuth(SessionAuth):
    """Django's session, with CSRF on unsafe methods, and only after a second factor."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Membership | None:
        from allauth.mfa.utils import is_mfa_enabled

        user = request.user
        if not isinstance(user, User) or not user.is_authenticated or not is_mfa_enabled(user):
            return None
        return _attach(request, user)


API_AUTH: list[APIKeyCookie | HttpBearer] = [BearerTokenAuth(), StaffSessionAuth()]


def staff_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """For the OpenAPI document and interactive docs: any authenticated staff member."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not any(auth(request) for auth in API_AUTH):
            return JsonResponse({"detail": "Unauthorized"}, status=401)
        return view(request, *args, **kwargs)

    return wrapper
