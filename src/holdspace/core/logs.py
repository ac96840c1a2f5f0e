"""Server logs without secrets or clinical content.

Access lines carry method, path (with every secret part replaced), status and time; never a
query string (a search can be a client's name) and never a body. The same redaction runs over
every other log line (Django's "Not Found: /path", the development server's own lines), and a
refused request (403, 404) is one line, without the traceback Django attaches.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from .http import client_ip

REDACTED = "[redacted]"

# Path parts that are secrets in themselves: one-time questionnaire links, private calendar
# feeds, password-reset keys; and an API token wherever it appears (they start with "hs_").
_SECRET_PATHS = [
    re.compile(r"(/measures/r/)[^/\s?\"]+"),
    re.compile(r"(/courses/feed/)[^/\s?\"]+"),
    re.compile(r"(/accounts/password/reset/key/)[^/\s?\"]+"),
    re.compile(r"(/accounts/confirm-email/)[^/\s?\"]+"),
]
_API_TOKEN = re.compile(r"\bhs_[A-Za-z0-9_\-]{8,}")
_BEARER = re.compile(r"(?i)(bearer\s+)\S+")
# A query string can hold a token or a search term: logs never keep one.
_QUERY = re.compile(r"\?[^\s\"]*")


def redact(text: str) -> str:
    for pattern in _SECRET_PATHS:
        text = pattern.sub(rf"\g<1>{REDACTED}", text)
    text = _API_TOKEN.sub(REDACTED, text)
    text = _BEARER.sub(rf"\g<1>{REDACTED}", text)
    return _QUERY.sub("", text)


class RedactFilter(logging.Filter):
    """On every handler: redact the message; refused requests lose their traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg, record.args = redact(message), None
        if getattr(record, "status_code", None) in (401, 403, 404, 405) and record.exc_info:
            record.exc_info, record.exc_text = None, None
        return True


access_log = logging.getLogger("holdspace.access")


class AccessLogMiddleware:
    """One line per request, for gunicorn and the development server alike."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.monotonic()
        response = self.get_response(request)
        access_log.info(
            '%s "%s %s" %s %dms',
            client_ip(request) or "-",
            request.method,
            redact(request.path),
            response.status_code,
            (time.monotonic() - started) * 1000,
        )
        return response
