"""Who is acting, and through which door: every service takes an `Actor` as `by`."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest

from holdspace.audit.models import Channel
from holdspace.core.http import client_ip as client_ip  # re-exported: callers import it here

from .models import Membership, User


@dataclass(frozen=True)
class Actor:
    user: User | None
    membership: Membership | None
    channel: str = Channel.WEB
    ip: str | None = None

    @property
    def clinic_id(self) -> int | None:
        return self.membership.clinic_id if self.membership is not None else None

    @classmethod
    def from_request(cls, request: HttpRequest, *, channel: str = Channel.WEB) -> Actor:
        user = request.user if isinstance(request.user, User) else None
        return cls(
            user=user,
            membership=getattr(request, "membership", None),
            channel=channel,
            ip=client_ip(request),
        )

    @classmethod
    def command_line(cls, membership: Membership | None = None) -> Actor:
        return cls(
            user=membership.user if membership is not None else None,
            membership=membership,
            channel=Channel.CLI,
        )
