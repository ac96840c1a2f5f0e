"""The Today page's screening panel: decisions a medical lead has to sign."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from holdspace.core.compiled import CompiledQueries
from holdspace.core.links import RowLinks
from holdspace.people.models import Membership, Phase
from holdspace.people.selectors import clients_visible_to

from . import policies, selectors

# A clinic screens tens of clients at a time; the panel looks at no more than this many.
LOOK_AT_MOST = 200


def today_panel(request: HttpRequest, membership: Membership) -> dict[str, Any] | None:
    if membership.role not in policies.SIGN_ROLES:
        return None
    # The clients the member may sign for (policies.can_sign_decision, as a query: the role
    # was checked above, the clients are those the member may see), as codes only, with what
    # each waits for. The query's SQL is the member's alone: compiled once, run every visit.
    compiled = _waiting.get(
        (membership.pk, membership.role, membership.clinic_id),
        lambda: selectors.decisions_waiting_query(
            clients_visible_to(membership).filter(phase=Phase.SCREENING), LOOK_AT_MOST
        ),
    )
    waiting = [(code, status) for code, status in compiled.rows() if status]
    reasons = {status: selectors.waiting_reason(status) for _code, status in waiting}
    rows = [(code, reasons[status]) for code, status in waiting]
    return {"waiting": rows, "rows": waiting_rows(rows)}


_waiting = CompiledQueries()


def waiting_rows(rows: list[tuple[str, str]]) -> SafeString:
    """The panel's list items, as the template loop made them (a {% url %} and three values a
    row, for up to 200 rows, cost more than the rest of the panel): every value escaped."""
    review = _("Review and sign")
    url = RowLinks("screening:detail")
    return mark_safe(  # noqa: S308  (each row made by format_html)
        "".join(
            format_html(
                '\n    <li>\n      <span><strong class="client-code">{}</strong> · {}</span>'
                '\n      <a href="{}">{}</a>\n    </li>\n    ',
                code,
                reason,
                url(code),
                review,
            )
            for code, reason in rows
        )
    )
