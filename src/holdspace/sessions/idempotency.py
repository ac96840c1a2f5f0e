"""Writes that a tablet may send twice: the `Idempotency-Key` header, as the IETF
httpapi-idempotency-key-header draft describes it.

A key (up to 255 characters, never cut) is stored with who sent it, the method, the route and a
fingerprint of the body. The same key with the same request answers the first result again and
stores nothing new (`Idempotent-Replayed: true`); the same key with another body or route
answers 422 naming the key; two copies racing in store one row (the unique constraint decides,
the loser replays the winner). A refused request (ValidationError) is not remembered, so
corrected input may be sent again with the same key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from holdspace.people.models import User

from .models import IdempotentRequest, MedicineSession

KEY_HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
# Form fields that differ between two sends of the same entry without changing it.
VOLATILE_FIELDS = frozenset({"csrfmiddlewaretoken"})


def request_fingerprint(request: HttpRequest) -> str:
    """A hash of what the request asks for: the JSON body, or the form's fields in order."""
    if request.content_type in FORM_TYPES:
        pairs = sorted(
            (name, value)
            for name in request.POST
            if name not in VOLATILE_FIELDS
            for value in request.POST.getlist(name)
        )
        content = json.dumps(pairs).encode()
    else:
        content = request.body
    return hashlib.sha256(content).hexdigest()


def _refuse(message: str) -> ValidationError:
    return ValidationError({KEY_HEADER: [message]})


def idempotent(
    *,
    request: HttpRequest,
    user: User | None,
    session: MedicineSession,
    action: str,
    run: Callable[[], tuple[int, dict[str, Any]]],
) -> tuple[int, dict[str, Any], bool]:
    """Run a write once per key. Returns (status, body, replayed)."""
    raw = request.headers.get(KEY_HEADER)
    if raw is None or user is None:
        status, body = run()
        return status, body, False
    key = raw.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise _refuse(_("Send a key of 1 to %(max)d characters.") % {"max": MAX_KEY_LENGTH})
    sent = {
        "method": request.method or "",
        "route": request.path,
        "fingerprint": request_fingerprint(request),
    }
    earlier = IdempotentRequest.objects.filter(user=user, key=key).first()
    if earlier is not None:
        return _replay(earlier, sent)
    try:
        with transaction.atomic():
            status, body = run()
            IdempotentRequest.objects.create(
                user=user,
                key=key,
                session=session,
                action=action,
                status_code=status,
                response=body,
                **sent,
            )
    except IntegrityError:
        # The same key raced in from a second tab: the first one's write stands, this rolled back.
        earlier = IdempotentRequest.objects.filter(user=user, key=key).first()
        if earlier is None:
            raise
        return _replay(earlier, sent)
    return status, body, False


def _replay(earlier: IdempotentRequest, sent: dict[str, str]) -> tuple[int, dict[str, Any], bool]:
    same = (earlier.method, earlier.route, earlier.fingerprint) == (
        sent["method"],
        sent["route"],
        sent["fingerprint"],
    )
    if not same:
        raise _refuse(_("This key was already used for a different request: send a new key."))
    return earlier.status_code, earlier.response, True
