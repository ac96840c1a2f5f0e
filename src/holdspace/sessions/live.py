"""The monitor's live region, in parts that are sent only when they changed.

The region is four parts: `top` (what is due, the dose window, the open alerts), `chart`,
`recent` (the newest timeline entries) and `older` (the rest of the timeline); in both, only
the newest readings are listed one by one and older in-range ones are summarised
(timeline.split_shown). Each part carries a hash of its HTML.
The monitor's script says which hashes it holds (header `X-Live-Have`), and a poll answers
only the parts that differ: after a reading that is the top, the chart and the recent entries,
never the older timeline, however long the session. Without the header (no script, a first
load) every part is sent.

No part has per-user content or a CSRF token, so each server process renders the parts once
per version of the session and serves them to every monitor, from a memo bounded by bytes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from holdspace.core.memo import BoundedMemo

from . import selectors
from .models import MedicineSession
from .timeline import split_shown, timeline

PARTS = ("top", "chart", "recent", "older")


@dataclass(frozen=True)
class LivePart:
    name: str
    digest: str  # of the HTML: what the script says it holds
    html: SafeString  # the part in its wrapper, ready to place


def _parts_bytes(parts: dict[str, LivePart]) -> int:
    return sum(len(part.html.encode()) for part in parts.values())


# Rendered live parts by ETag. One session's parts are a few to a few tens of kilobytes; 4 MB
# hold hundreds of versions per process, and a long timeline can never grow it past the bound.
rendered: BoundedMemo[dict[str, LivePart]] = BoundedMemo(4 * 1024 * 1024, _parts_bytes)


def _part(name: str, template: str, context: dict[str, Any]) -> LivePart:
    inner = render_to_string(template, context, request=None)
    digest = hashlib.sha256(inner.encode()).hexdigest()[:16]
    html = format_html(
        '<div class="live-inner" data-live-part="{}" data-hash="{}">{}</div>',
        name,
        digest,
        mark_safe(inner),  # noqa: S308  (our own template's output, escaped when rendered)
    )
    return LivePart(name, digest, html)


def live_parts(context: dict[str, Any], *, full: bool) -> dict[str, LivePart]:
    """Every live part from the live context (views.live_context). `full`: the whole timeline,
    nothing summarised (the monitor's "show every entry")."""
    session = context["session"]
    if full:
        selectors.session_loaded(session, every_reading=True)
        recent, older, summarised, summarised_recent = timeline(session), [], 0, 0
    else:
        split = split_shown(session, context["shown"])
        recent, older, summarised = split.recent, split.older, split.summarised
        # The note and the "show every entry" link close the timeline: in the older part
        # when it summarises, else in the recent part (a session not yet long enough to
        # have an older part, its first readings summarised).
        summarised_recent = 0 if summarised else split.summarised_recent
    return {
        "top": _part("top", "sessions/_live_top.html", context),
        "chart": _part("chart", "sessions/_live_chart.html", context),
        "recent": _part(
            "recent",
            "sessions/_live_recent.html",
            {"items": recent[::-1], "summarised": summarised_recent},
        ),
        "older": _part(
            "older",
            "sessions/_live_older.html",
            {"items": older[::-1], "summarised": summarised},
        ),
    }


def etag(session: MedicineSession, *, bucket: int, full: bool) -> str:
    # The version changes on every write; the half-minute bucket keeps "due"/"overdue" fresh.
    raw = f"{session.pk}:{session.version}:{session.status}:{bucket}:{get_language()}:{full}"
    return '"' + hashlib.sha256(raw.encode()).hexdigest()[:20] + '"'


def held(header: str) -> dict[str, str]:
    """The parts the script holds, from `X-Live-Have: top=HASH,chart=HASH,...` (anything
    malformed counts as not held, so the part is sent)."""
    found: dict[str, str] = {}
    for pair in header.split(",")[: len(PARTS)]:
        name, _sep, digest = pair.strip().partition("=")
        if name in PARTS and 0 < len(digest) <= 64:
            found[name] = digest
    return found
