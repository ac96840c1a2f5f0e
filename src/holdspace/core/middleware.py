"""The shell's guards: no caching of answers, and signed in before anything else. The guards
that need the member (membership, idle limit, second factor) are in `people.middleware`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.cache import add_never_cache_headers

API_PREFIX = "/api/"

# Pages a signed-in user may reach before enrolling a second factor: the account pages
# (where enrolment happens), language choice, the health check, static files and the icon a
# browser asks for on its own (redirecting that to the enrolment page would make a new secret
# behind the QR code on screen).
ALWAYS_FREE_PREFIXES = ("/i18n/", "/healthz", "/static/", "/favicon.ico")
SECOND_FACTOR_FREE_PREFIXES = ("/accounts/", *ALWAYS_FREE_PREFIXES)


class PrivateResponseMiddleware:
    """No page or API answer is kept by a browser or proxy cache: they are about patients.

    Static files never come here (WhiteNoise answers them first, cached for long). Every
    answer also says which browser features it may use (Permissions-Policy).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        add_never_cache_headers(response)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


class LoginRequiredMiddleware(DjangoLoginRequired):
    """Deny by default. The API answers 401 itself, so it is left to its own authentication."""

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponseBase | None:
        if request.path_info.startswith(API_PREFIX):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)
