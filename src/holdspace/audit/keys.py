"""The audit chain's key: HMAC-SHA-256 under a key that is not in the database.

Whoever can write the database but not read this file cannot recompute the chain after
editing, deleting or truncating rows: `holdspace audit verify` notices. Keep a copy of the
key with the backups (without it no one, you included, can verify the chain).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MIN_KEY_BYTES = 32


@cache
def _key(path: str) -> bytes:
    if not path:
        raise ImproperlyConfigured("AUDIT_KEY_FILE is not set: the audit chain has no key.")
    try:
        key = Path(path).read_bytes().strip()
    except OSError as error:
        raise ImproperlyConfigured(f"AUDIT_KEY_FILE {path!r} cannot be read: {error}.") from None
    if len(key) < MIN_KEY_BYTES:
        raise ImproperlyConfigured(
            f"AUDIT_KEY_FILE {path!r} holds fewer than {MIN_KEY_BYTES} bytes."
        )
    return key


def audit_key() -> bytes:
    return _key(str(settings.AUDIT_KEY_FILE))


def mac(text: str, key: bytes | None = None) -> str:
    return hmac.new(key or audit_key(), text.encode(), hashlib.sha256).hexdigest()


def chain_mac(payload: dict[str, Any], prev_hash: str, key: bytes | None = None) -> str:
    body = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return mac(f"{prev_hash}|{body}", key)


def head_signature(seq: int, hash_: str, key: bytes | None = None) -> str:
    return mac(f"head|{seq}|{hash_}", key)


def checkpoint_signature(seq: int, hash_: str, at: str, key: bytes | None = None) -> str:
    return mac(f"checkpoint|{seq}|{hash_}|{at}", key)


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
