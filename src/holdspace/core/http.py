"""The request as Holdspace's middleware leaves it, for type checking views."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from holdspace.people.actors import Actor
    from holdspace.people.models import Membership, User


class StaffRequest(HttpRequest):
    """A request that passed LoginRequiredMiddleware: `user` is a signed-in User."""

    user: User  # narrowed by LoginRequiredMiddleware
    membership: Membership | None


class ApiRequest(HttpRequest):
    """An API request after authentication (holdspace.api.auth): the caller acts as `actor`,
    a member of one clinic."""

    user: User
    membership: Membership
    actor: Actor


def client_ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR only: behind a proxy, the proxy sets it (gunicorn --forwarded-allow-ips).
    return request.META.get("REMOTE_ADDR") or None
