"""API throttling: per token (or signed-in user), per address, and failed token guesses.

django-ninja's throttles, counting in fixed windows (one counter per window in the shared
cache) rather than ninja's default list of timestamps, which at thousands of requests a
minute per address would rewrite a long list on every call. Addresses are REMOTE_ADDR only:
ninja's default reads X-Forwarded-For, which any caller can set.
"""

from __future__ import annotations

import math
import time

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from ninja.errors import Throttled
from ninja.throttling import BaseThrottle, SimpleRateThrottle

from holdspace.people.actors import client_ip


class FixedWindowThrottle(SimpleRateThrottle):
    """The rate is read from the setting named by `setting` on each call, so it can change."""

    setting = ""

    def __init__(self) -> None:  # no rate parsed at import time
        pass

    def limits(self) -> tuple[int, int]:
        num, period = self.parse_rate(getattr(settings, self.setting))
        if num is None or period is None:
            raise ImproperlyConfigured(f"{self.setting} must be a rate such as 300/m.")
        return num, period

    def allow_request(self, request: HttpRequest) -> bool:
        key = self.get_cache_key(request)
        if key is None:
            return True
        limit, period = self.limits()
        count, self._wait = _count(key, period)
        return count <= limit

    def wait(self) -> float | None:
        return getattr(self, "_wait", None)


class PerCallerThrottle(FixedWindowThrottle):
    """One token, or one signed-in user: API_RATE_PER_TOKEN."""

    scope = "api_caller"
    setting = "API_RATE_PER_TOKEN"

    def get_cache_key(self, request: HttpRequest) -> str | None:
        token_id = getattr(request, "api_token_id", None)
        user = getattr(request, "user", None)
        if token_id is not None:
            ident = f"token{token_id}"
        elif user is not None and user.is_authenticated:
            ident = f"user{user.pk}"
        else:
            return None
        return self.cache_format % {"scope": self.scope, "ident": ident}


class PerAddressThrottle(FixedWindowThrottle):
    """Everything from one address, high enough for a clinic behind one: API_RATE_PER_ADDRESS."""

    scope = "api_address"
    setting = "API_RATE_PER_ADDRESS"

    def get_cache_key(self, request: HttpRequest) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request) or "-"}


class FailedGuessThrottle(PerAddressThrottle):
    """Wrong tokens from one address (API_FAILED_AUTH_PER_ADDRESS), checked before the
    token is looked up, so guessing answers 429 instead of an endless stream of 401s."""

    scope = "api_failed_auth"
    setting = "API_FAILED_AUTH_PER_ADDRESS"

    def refuse_if_guessing(self, request: HttpRequest) -> None:
        limit, period = self.limits()
        now = time.time()
        window = int(now // period)
        key = self.get_cache_key(request)
        if cache.get(f"{key}:{window}", 0) >= limit:
            raise Throttled(wait=math.ceil((window + 1) * period - now))

    def count_failure(self, request: HttpRequest) -> None:
        key = self.get_cache_key(request)
        if key is not None:
            _count(key, self.limits()[1])


def _count(key: str, duration: int) -> tuple[int, float]:
    """Count one more in the current window; the count and the seconds left in the window."""
    now = time.time()
    window = int(now // duration)
    window_key = f"{key}:{window}"
    cache.add(window_key, 0, duration + 1)
    try:
        count = cache.incr(window_key)
    except ValueError:  # expired between add and incr
        cache.set(window_key, 1, duration + 1)
        count = 1
    return count, (window + 1) * duration - now


FAILED_GUESSES = FailedGuessThrottle()
API_THROTTLES: list[BaseThrottle] = [PerCallerThrottle(), PerAddressThrottle()]
