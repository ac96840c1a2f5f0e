"""The measures panel on the client overview, and the safety-alert banner on every page."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import F, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext

from holdspace.core.compiled import CompiledQueries
from holdspace.core.extensions import Banner, BannerRow, banner_query
from holdspace.core.links import RowLinks
from holdspace.people.models import Client

from . import charts, library, policies, scoring, selectors
from .forms import AcknowledgeForm, AssignForm, ProgressLetterForm
from .models import Assignment, SafetyAlert, Score

Row = TypeVar("Row", Score, Assignment, SafetyAlert)


def client_plots(client: Client, definitions: dict[str, Any]) -> list[dict[str, Any]]:
    """Each instrument's chart and score table with change since baseline: the panel's and
    the progress letter's."""
    # The columns the charts and tables show: no subscales or flags (JSON) to decode.
    scores = _client_rows(Score, "scores", client)
    sessions = charts.session_dates(client)
    by_code: dict[str, list[Score]] = {}
    for score in scores:
        by_code.setdefault(score.instrument_code, []).append(score)
    plots = []
    for code, rows in by_code.items():
        definition = definitions.get(code)
        if definition is None:
            continue
        plot = charts.build_plot(definition, rows, sessions)
        baseline = rows[0].total
        table = []
        for row in rows:
            change = None
            if baseline is not None and row.total is not None and row is not rows[0]:
                change = scoring.change_since(definition, baseline=baseline, total=row.total)
            table.append({"score": row, "change": change})
        plots.append(
            {
                "plot": plot,
                "table": table,
                "definition": definition,
                "dots": charts.dots_html(plot),
                "rows": charts.table_rows_html(table),
            }
        )
    return plots


def client_panel(request: HttpRequest, client: Client) -> dict[str, Any] | None:
    membership = getattr(request, "membership", None)
    if not policies.can_view_measures(membership, client):
        return None
    definitions = library.definitions_for(client.clinic_id)
    plots = client_plots(client, definitions)
    can_write = policies.can_write_measures(membership, client)
    assignments = _client_rows(Assignment, "assignments", client)
    enterable = [d for d in definitions.values() if d.usable] if can_write else []
    return {
        "plots": plots,
        "assignments": assignments,
        # Each row's and each measure's links, made here from one reverse() of each URL
        # (`core.links.RowLinks`) rather than by a {% url %} each (up to 20 rows of three, and some
        # 17 measures to enter): the tag cost more than the rest of those rows.
        "rows": _assignment_rows(client.code, assignments, can_write),
        "today": timezone.localdate(),
        "can_write": can_write,
        "assign_form": AssignForm(definitions=definitions) if can_write else None,
        "enterable": _enterable_rows(client.code, enterable),
        "alerts": (
            _client_rows(SafetyAlert, "alerts", client)
            if policies.can_see_alerts(membership, client)
            else []
        ),
        "ack_form": AcknowledgeForm(),
        "letter_form": (
            ProgressLetterForm() if policies.can_write_progress_letter(membership, client) else None
        ),
        "sendable": {c for c, d in definitions.items() if d.has_text and d.rated_by == "self"},
    }


def _scores_query(client_id: int) -> QuerySet[Score]:
    return (
        Score.objects.filter(client_id=client_id)
        .order_by("observed_on", "pk")
        .only("client", "instrument_code", "observed_on", "total", "band")
    )


def _assignments_query(client_id: int) -> QuerySet[Assignment]:
    return Assignment.objects.filter(client_id=client_id).order_by("-due_on", "-pk")[:20]


def _alerts_query(client_id: int) -> QuerySet[SafetyAlert]:
    return SafetyAlert.objects.filter(client_id=client_id).order_by("-raised_at")[:10]


# The panel's scores (as `selectors.scores_for_client`: the columns the charts and tables show,
# no subscales or flags), its first 20 assignments (as `selectors.assignments_for_client`) and
# its newest 10 safety alerts: their SQL compiled once per process for every client
# (`core.compiled`), run on each visit.
_QUERIES = {"scores": _scores_query, "assignments": _assignments_query, "alerts": _alerts_query}
_panel_sql = CompiledQueries()


def _client_rows(model: type[Row], kind: str, client: Client) -> list[Row]:
    rows: list[Row] = _panel_sql.bound(kind, _QUERIES[kind], client_id=client.pk).objects()
    for row in rows:
        row.client = client  # as the client's related manager does
    return rows


def _assignment_rows(
    code: str, assignments: list[Assignment], can_write: bool
) -> list[tuple[Assignment, str, str, str]]:
    """(assignment, its one-time link's URL, its entry URL, its cancel URL); the URLs only for
    a member who may write (nobody else is shown them)."""
    if not can_write:
        return [(a, "", "", "") for a in assignments]
    link = RowLinks("measures:link_issue", 2)
    enter = RowLinks("measures:enter", 2)
    cancel = RowLinks("measures:assignment_cancel", 2)
    return [
        (a, link(code, a.pk), enter(code, a.instrument_code), cancel(code, a.pk))
        for a in assignments
    ]


def _enterable_rows(code: str, enterable: list[Any]) -> list[tuple[Any, str]]:
    """(definition, the URL to enter it) of each measure the member may enter now."""
    if not enterable:
        return []
    enter = RowLinks("measures:enter", 2)
    return [(definition, enter(code, definition.code)) for definition in enterable]


def safety_alert_rows(request: HttpRequest) -> QuerySet[Any] | None:
    """Up to twenty open safety alerts the member may see: severity and client code."""
    membership = getattr(request, "membership", None)
    if membership is None:
        return None
    newest = selectors.open_alerts_visible_to(membership).order_by("-raised_at")
    return banner_query(
        SafetyAlert.objects.filter(pk__in=newest.values("pk")[:20]),
        level=F("severity"),
        label=F("client__code"),
    )


def safety_banners(request: HttpRequest, rows: list[BannerRow]) -> list[Banner]:
    banners = []
    for level in ("act", "watch"):
        matching = [row for row in rows if row.level == level]
        if not matching:
            continue
        codes = ", ".join(sorted({row.label for row in matching}))
        text = ngettext(
            "Safety alert to acknowledge: %(codes)s",
            "%(count)d safety alerts to acknowledge: %(codes)s",
            len(matching),
        ) % {"count": len(matching), "codes": codes}
        banners.append(Banner(level=level, text=text, url=reverse("measures:home") + "#alerts"))
    return banners
