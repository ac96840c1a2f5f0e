"""Outcomes pages: the cohort report (medical leads, researchers) and, for the roles that treat
a client, the way to each client's difference page."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from holdspace.core.http import StaffRequest
from holdspace.core.pdf import pdf_response, refused
from holdspace.courses import selectors as courses_selectors
from holdspace.measures import library
from holdspace.measures import policies as measures_policies
from holdspace.people import selectors as people_selectors
from holdspace.people.actors import Actor
from holdspace.people.auditing import audit_read

from . import charts, policies, selectors, studies_hooks
from . import model as mixed_model
from .forms import CohortForm
from .grouping import SMALL_CELL

DEFAULT_INSTRUMENT = "PCL-5"
ROWS_SHOWN = 200

PERIOD_LABELS = {
    "baseline": gettext_lazy("Baseline"),
    "during course": gettext_lazy("During the course"),
    "endpoint": gettext_lazy("Endpoint"),
    "follow_up_6m": gettext_lazy("6-month follow-up"),
    "follow_up_12m": gettext_lazy("12-month follow-up"),
}
SOURCE_LABELS = {
    "baseline_timepoint": gettext_lazy("baseline timepoint"),
    "last_before_first_medicine_session": gettext_lazy("last before the first medicine session"),
    "first_response": gettext_lazy("first response"),
    "protocol_endpoint": gettext_lazy("protocol endpoint"),
    "last_response": gettext_lazy("last response"),
}
FLOW_LABELS = {
    "screened": gettext_lazy("Screened"),
    "eligible": gettext_lazy("Eligible"),
    "started_preparation": gettext_lazy("Started preparation"),
    "dosed_1": gettext_lazy("Medicine session 1"),
    "dosed_2": gettext_lazy("Medicine session 2"),
    "dosed_3": gettext_lazy("Medicine session 3"),
    "integration_complete": gettext_lazy("Integration complete"),
    "endpoint_measured": gettext_lazy("Endpoint measured"),
}
LEFT_LABELS = {
    "completed": gettext_lazy("completed"),
    "withdrew": gettext_lazy("withdrew"),
    "lost_to_follow_up": gettext_lazy("lost to follow-up"),
    "excluded": gettext_lazy("excluded by the medical lead"),
    "adverse_event": gettext_lazy("adverse event"),
    "not_eligible": gettext_lazy("not eligible"),
    "deferred": gettext_lazy("deferred"),
    "in_progress": gettext_lazy("still in progress"),
}
RELIABLE_LABELS = {
    "improved": gettext_lazy("reliably improved"),
    "deteriorated": gettext_lazy("reliably deteriorated"),
    "no reliable change": gettext_lazy("no reliable change"),
}


def home(request: StaffRequest) -> HttpResponse:
    membership = request.membership
    if policies.can_view_cohort(membership):
        return cohort(request)
    if membership is None or membership.role not in policies.DIFFERENCE_ROLES:
        raise PermissionDenied
    clients = people_selectors.clients_visible_to(membership).order_by("code")[:ROWS_SHOWN]
    return render(request, "outcomes/clients.html", {"clients": clients})


def _outcome_instruments(clinic_id: int | None) -> list[str]:
    found = library.definitions_for(clinic_id)
    return [code for code, d in found.items() if d.outcomes is not None or d.change is not None]


def _cohort_run(
    request: StaffRequest, action: str, *, tables: bool = True, plots: bool = True
) -> tuple[CohortForm, dict[str, Any]]:
    """The cohort report from the page's filters (GET), audited as `action`: the page, its
    plots region and its PDF show the same numbers. `tables`: the group summary and the
    per-client rows (no model: fast once the rows are built); `plots`: the flow, the mixed
    model and the four plots, each beside its data table (the slow part, which the page
    leaves to a region fetched after it has painted)."""
    membership = request.membership
    assert membership is not None  # noqa: S101  (can_view_cohort said yes)
    instruments = _outcome_instruments(membership.clinic_id)
    templates = {
        key: template.name
        for key, template in courses_selectors.templates_available(membership).items()
    }
    data = request.GET.copy()
    data.setdefault("instrument", DEFAULT_INSTRUMENT if DEFAULT_INSTRUMENT in instruments else "")
    form = CohortForm(data, instruments=instruments, templates=templates)
    context: dict[str, Any] = {"form": form}
    if form.is_valid():
        flt = form.as_filter()
        found = selectors.cohort(membership, flt)
        audit_read(
            Actor.from_request(request), action, fields=[flt.instrument, flt.group_by or "all"]
        )
        # Both summaries are cached per data version (selectors.cohort_summary).
        summary = selectors.cohort_summary(found, with_model=plots)
        context["summary"] = summary
        if tables:
            # Only the rows shown are unpacked from the cache (the API gives every row).
            context.update(_tables(found.first(ROWS_SHOWN), len(found.packed)))
        if plots:
            # The flow is read live: its steps depend on the clock (visits begun by now).
            flow = selectors.cohort_flow(found.clients, found)
            context.update(_plots(summary, flow))
        context["instrument"] = flt.instrument
        context["small_cell_limit"] = SMALL_CELL
        context["exclusions"] = _exclusions(membership, flt)
        context["filters"] = _filters_shown(form)
    return form, context


def _filters_shown(form: CohortForm) -> list[tuple[str, str]]:
    """The filters of a report, by their labels, for the PDF's header."""
    shown = []
    for name, field in form.fields.items():
        value = form.cleaned_data.get(name)
        if value in (None, "", False):
            continue
        choices = dict(getattr(field, "choices", []) or [])
        shown.append((str(field.label), str(choices.get(value, value))))
    return shown


def cohort(request: StaffRequest) -> HttpResponse:
    """The tables first; the plots region (cohort_plots) is fetched once the page shows."""
    _form, context = _cohort_run(request, "outcomes.cohort.list", plots=False)
    return render(request, "outcomes/cohort.html", context)


@require_GET
def cohort_plots(request: StaffRequest) -> HttpResponse:
    """The cohort page's plots region (flow, mixed model, four plots with their data tables),
    with the page's filters: the fragment for htmx, or a page of its own for a browser
    without JavaScript (the cohort page links here)."""
    if not policies.can_view_cohort(request.membership):
        raise PermissionDenied
    form, context = _cohort_run(request, "outcomes.cohort_plots.list", tables=False)
    if not form.is_valid():
        return refused(form)
    fragment = request.headers.get("HX-Request") == "true"
    template = "outcomes/_cohort_plots.html" if fragment else "outcomes/cohort_plots.html"
    return render(request, template, context)


@require_GET
def cohort_pdf(request: StaffRequest) -> HttpResponse:
    """The cohort report as a PDF (codes only), with the page's filters."""
    if not policies.can_view_cohort(request.membership):
        raise PermissionDenied
    form, context = _cohort_run(request, "outcomes.cohort_pdf.list")
    if not form.is_valid():
        return refused(form)
    context["printed_at"] = timezone.now()
    return pdf_response("outcomes/cohort_pdf.html", context, request, "cohort-outcomes.pdf")


def _exclusions(membership: Any, flt: selectors.CohortFilter) -> list[str]:
    """What this run leaves out, for the report's header (studies: a site, major deviations)."""
    said = []
    if flt.exclude_site is not None:
        n = len(studies_hooks.excluded(membership, flt.exclude_site, False))
        said.append(
            _("The %(n)s clients of study site %(site)s are left out.")
            % {"n": n, "site": flt.exclude_site}
        )
    if flt.exclude_major_deviations:
        n = len(studies_hooks.excluded(membership, None, True))
        said.append(_("The %(n)s clients with a major protocol deviation are left out.") % {"n": n})
    return said


def _tables(shown: list[Any], total: int) -> dict[str, Any]:
    return {
        "rows": [
            {
                "row": row,
                "baseline_source": SOURCE_LABELS.get(row.baseline_source or "", ""),
                "endpoint_source": SOURCE_LABELS.get(row.endpoint_source or "", ""),
                "reliable": RELIABLE_LABELS.get(row.reliable_change or "", ""),
            }
            for row in shown
        ],
        "rows_total": total,
        "rows_cut": total > len(shown),
    }


def _not_fitted_text(reason: str | None) -> str:
    """Why the model was not fitted, in the reader's language (the API keeps the English)."""
    if not reason:
        return ""
    if reason == mixed_model.TOO_FEW_CLIENTS:
        return _("fewer than three clients with scores")
    error = reason.removeprefix(mixed_model.FIT_FAILED).lstrip(": ")
    return _("the estimation failed (%(error)s)") % {"error": error}


def _plots(summary: dict[str, Any], found_flow: dict[str, Any]) -> dict[str, Any]:
    model = summary["model"]
    estimates = [
        {**e, "period_label": PERIOD_LABELS.get(e["period"], e["period"])}
        for e in model["estimates"]
    ]
    categories = [
        (
            g["group"],
            [
                g["reliable_improvement"]["percent"] or 0,
                100
                - (g["reliable_improvement"]["percent"] or 0)
                - (g["reliable_deterioration"]["percent"] or 0),
                g["reliable_deterioration"]["percent"] or 0,
            ],
        )
        for g in summary["groups"]
        if g["reliable_improvement"]["n"]
    ]
    parts = [str(label) for label in RELIABLE_LABELS.values()]
    flow = [
        {
            "label": FLOW_LABELS[step["step"]],
            "n": step["n"],
            "left": [(LEFT_LABELS.get(k, k), v) for k, v in sorted(step["left"].items())],
        }
        for step in found_flow["steps"]
    ]
    return {
        "flow": flow,
        "flow_svg": charts.flow([(str(s["label"]), s["n"]) for s in flow], _("Flow")),
        "model": model,
        "model_not_fitted": _not_fitted_text(model.get("not_fitted")),
        "estimates": estimates,
        "trajectory_svg": charts.trajectories(
            model,
            {k: str(v) for k, v in PERIOD_LABELS.items()},
            _("Estimated mean score (95% CI)"),
        ),
        "forest_svg": charts.forest(
            summary["comparisons"], _("Hedges' g on change scores (95% CI)")
        ),
        "categories_svg": charts.stacked(categories, parts, _("Clients (%)")),
    }


def difference(request: StaffRequest, code: str) -> HttpResponse:
    found = selectors.difference_for_user(request.membership, code)
    client = found["client"]
    audit_read(Actor.from_request(request), "outcomes.difference.view", client=client)  # type: ignore[arg-type]
    columns: list[dict[str, Any]] = found["columns"]  # type: ignore[assignment]
    factors: dict[str, str] = found["factors"]  # type: ignore[assignment]
    rows = [
        {"label": label, "cells": [column["factors"][key] for column in columns]}
        for key, label in factors.items()
    ]
    # A prior experience's acute measures are filled retrospectively: offer the form where
    # the member may record measures and none is there yet.
    can_record = measures_policies.can_write_measures(request.membership, client)  # type: ignore[arg-type]
    measures = [
        {
            "code": code,
            "cells": [
                {
                    "value": column["measures"].get(code),
                    "retrospective": column["measures_retrospective"],
                    "record_url": (
                        reverse("measures:enter", args=[client.code, code])  # type: ignore[attr-defined]
                        + f"?prior={column['experience_id']}"
                    )
                    if can_record
                    and column["kind"] == "prior"
                    and column["measures"].get(code) is None
                    else "",
                }
                for column in columns
            ],
        }
        for code in found["acute_instruments"]  # type: ignore[attr-defined]
    ]
    return render(
        request,
        "outcomes/difference.html",
        {**found, "rows": rows, "measures": measures},
    )
