"""Fidelity pages (checklist set-up, rating a session, the per-pair report) and the Oregon
quarterly report with its CSV and the client's 303 opt-out. Views only wire forms, the
fidelity/oregon modules and the audit together."""

from __future__ import annotations

import hashlib
import io
import json
from typing import Any

from django import forms
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from matplotlib.figure import Figure

from holdspace.core.forms import posted, show_refusal, status_of
from holdspace.core.http import StaffRequest
from holdspace.outcomes import charts
from holdspace.people import selectors as people_selectors
from holdspace.people.actors import Actor
from holdspace.people.auditing import audit_read

from . import fidelity, oregon
from .fidelity_models import FidelitySource


def _actor(request: StaffRequest) -> Actor:
    return Actor.from_request(request)


# --- forms ---------------------------------------------------------------------------------


class ChecklistForm(forms.Form):
    items = forms.CharField(
        label=gettext_lazy("Items, one a line"),
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=fidelity.MAX_ITEMS * (fidelity.MAX_LABEL + 2),
        help_text=gettext_lazy("Short labels in your own words: not the text of a licensed scale."),
    )
    scale_min = forms.IntegerField(
        label=gettext_lazy("Lowest rating"), min_value=0, max_value=10, initial=0
    )
    scale_max = forms.IntegerField(
        label=gettext_lazy("Highest rating"), min_value=0, max_value=10, initial=4
    )
    scale_note = forms.CharField(
        label=gettext_lazy("What the ratings mean"), max_length=300, required=False
    )


def rating_form(checklist: Any, data: Any = None) -> forms.Form:
    fields: dict[str, forms.Field] = {
        "source": forms.ChoiceField(label=gettext_lazy("Rated"), choices=FidelitySource.choices)
    }
    for item in checklist.items:
        fields[f"item_{item['key']}"] = forms.TypedChoiceField(
            label=item["label"],
            choices=[(str(v), str(v)) for v in range(checklist.scale_min, checklist.scale_max + 1)],
            coerce=int,
            widget=forms.RadioSelect,
        )
    form_class = type("FidelityRatingForm", (forms.Form,), fields)
    form: forms.Form = form_class(data)
    return form


class QuarterForm(forms.Form):
    year = forms.IntegerField(label=gettext_lazy("Year"), min_value=2025, max_value=2100)
    quarter = forms.TypedChoiceField(
        label=gettext_lazy("Quarter"),
        coerce=int,
        choices=[
            ("1", gettext_lazy("1 (January to March)")),
            ("2", gettext_lazy("2 (April to June)")),
            ("3", gettext_lazy("3 (July to September)")),
            ("4", gettext_lazy("4 (October to December)")),
        ],
    )


class OptOutForm(forms.Form):
    opted_out = forms.TypedChoiceField(
        label=gettext_lazy("Submit this client's 303 client data"),
        coerce=lambda v: v == "yes",
        choices=[("no", gettext_lazy("Yes, submit")), ("yes", gettext_lazy("No: opted out"))],
        widget=forms.RadioSelect,
    )


class ReportingForm(forms.Form):
    reports = forms.TypedChoiceField(
        label=gettext_lazy("Reports under Oregon SB 303"),
        coerce=lambda v: v == "yes",
        choices=[("no", gettext_lazy("No")), ("yes", gettext_lazy("Yes"))],
        widget=forms.RadioSelect,
        help_text=gettext_lazy(
            "When on, medical leads see the quarterly report and the client page records each "
            "client's 303 opt-out."
        ),
    )


# --- the chart -----------------------------------------------------------------------------

CHART_VERSION = 1  # bump when the drawing changes


def _figure(pairs: list[dict[str, Any]], checklist: Any) -> Figure | None:
    drawn = [p for p in pairs if any(pt["date"] for pt in p["points"])]
    if not drawn:
        return None
    fig = Figure(figsize=(7, 3.4), layout="constrained")
    fig.patch.set_alpha(0)
    ax = fig.add_subplot()
    ax.set_facecolor("none")
    for spine in ax.spines.values():
        spine.set_color(charts.INK)
    ax.tick_params(colors=charts.INK)
    for i, pair in enumerate(drawn):
        points = [pt for pt in pair["points"] if pt["date"]]
        ax.plot(
            [pt["date"] for pt in points],
            [pt["mean"] for pt in points],
            marker="o",
            color=charts.PALETTE[i % len(charts.PALETTE)],
            label=pair["name"].replace("$", r"\$"),
        )
    if checklist is not None:
        ax.set_ylim(checklist.scale_min, checklist.scale_max)
    ax.set_ylabel(_("Mean rating"), color=charts.INK)
    fig.autofmt_xdate()
    legend = ax.legend(frameon=False, fontsize="small")
    for text in legend.get_texts():
        text.set_color(charts.INK)
    return fig


def fidelity_svg(pairs: list[dict[str, Any]], checklist: Any) -> str:
    """The chart as inline SVG, cached under a digest of what it draws (drawing is the slow
    part of the page, as on the cohort page)."""
    scale = (checklist.scale_min, checklist.scale_max) if checklist else None
    inputs = json.dumps([CHART_VERSION, pairs, scale, get_language()], default=str, sort_keys=True)
    key = "studies.fidelity.chart." + hashlib.sha256(inputs.encode()).hexdigest()
    found = cache.get(key)
    if found is None:
        found = _draw(pairs, checklist)
        cache.set(key, found, charts.CACHE_SECONDS)
    return str(found)


def _draw(pairs: list[dict[str, Any]], checklist: Any) -> str:
    fig = _figure(pairs, checklist)
    if fig is None:
        return ""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Title": _("Fidelity over time"), "Date": None})
    svg = buffer.getvalue()
    return svg[svg.index("<svg") :]  # inline: no prolog, as outcomes.charts does


# --- fidelity pages ------------------------------------------------------------------------


@require_GET
def fidelity_report(request: StaffRequest, pk: int) -> HttpResponse:
    membership = request.membership
    study = fidelity.study_for_fidelity(membership, pk)
    if not fidelity.can_view_report(membership, study):
        if fidelity.can_rate(membership, study):
            return redirect("studies:fidelity_rate", pk=study.pk)
        raise PermissionDenied(_("The fidelity report is for those who read the study's reports."))
    report = fidelity.report(membership, study)
    audit_read(_actor(request), "studies.fidelity.view", target=study)
    context = {
        "study": study,
        "report": report,
        "svg": fidelity_svg(report["pairs"], report["checklist"]),
        "can_define": fidelity.can_define(membership, study),
        "can_rate": fidelity.can_rate(membership, study),
    }
    return render(request, "studies/fidelity.html", context)


def _setup_study(request: StaffRequest, pk: int) -> Any:
    study = fidelity.study_for_fidelity(request.membership, pk)
    if not fidelity.can_define(request.membership, study):
        raise PermissionDenied(
            _("Only the sponsoring clinic's medical lead defines the checklist.")
        )
    return study


def fidelity_setup(request: StaffRequest, pk: int) -> HttpResponse:
    study = _setup_study(request, pk)
    checklist = fidelity.checklist_of(study)
    if request.method == "GET":
        initial = (
            {
                "items": "\n".join(i["label"] for i in checklist.items),
                "scale_min": checklist.scale_min,
                "scale_max": checklist.scale_max,
                "scale_note": checklist.scale_note,
            }
            if checklist
            else None
        )
        audit_read(_actor(request), "studies.fidelity.checklist_view", target=study)
        return render(
            request,
            "studies/fidelity_setup.html",
            {
                "study": study,
                "form": ChecklistForm(initial=initial),
                "checklist": checklist,
                "sources": fidelity.searched_sources(),
                "fixed": fidelity.checklist_fixed(study),
            },
        )
    if request.method != "POST":
        return HttpResponse(status=405)
    form = ChecklistForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            fidelity.checklist_define(
                by=_actor(request),
                study=study,
                items=data["items"].splitlines(),
                scale_min=data["scale_min"],
                scale_max=data["scale_max"],
                scale_note=data["scale_note"],
            )
        except ValidationError as error:
            show_refusal(form, error)
        else:
            messages.success(request, _("Fidelity checklist saved."))
            return redirect("studies:fidelity", pk=study.pk)
    context = {
        "study": study,
        "form": form,
        "checklist": checklist,
        "sources": fidelity.searched_sources(),
        "fixed": fidelity.checklist_fixed(study),
    }
    return render(request, "studies/fidelity_setup.html", context, status=422)


@require_GET
def fidelity_rate(request: StaffRequest, pk: int) -> HttpResponse:
    membership = request.membership
    study = fidelity.study_for_fidelity(membership, pk)
    if not fidelity.can_rate(membership, study):
        raise PermissionDenied(_("You may not rate this study's sessions."))
    rows = fidelity.rating_rows(membership, study)
    audit_read(_actor(request), "studies.fidelity.sessions_list", target=study)
    context = {"study": study, "rows": rows, "checklist": fidelity.checklist_of(study)}
    return render(request, "studies/fidelity_rate.html", context)


def fidelity_rate_session(request: StaffRequest, pk: int, session_pk: int) -> HttpResponse:
    membership = request.membership
    study = fidelity.study_for_fidelity(membership, pk)
    if not fidelity.can_rate(membership, study):
        raise PermissionDenied(_("You may not rate this study's sessions."))
    session = fidelity.session_for_rating(membership, study, session_pk)
    checklist = fidelity.checklist_of(study)
    if checklist is None:
        messages.error(request, _("The study has no fidelity checklist yet."))
        return redirect("studies:fidelity_rate", pk=study.pk)
    status = 200
    if request.method == "GET":
        form = rating_form(checklist)
        audit_read(
            _actor(request), "studies.fidelity.session_view", target=session, client=session.client
        )
    elif request.method == "POST":
        form = rating_form(checklist, request.POST)
        if form.is_valid():
            answers = {
                key.removeprefix("item_"): value
                for key, value in form.cleaned_data.items()
                if key.startswith("item_")
            }
            try:
                fidelity.rating_record(
                    by=_actor(request),
                    study=study,
                    session=session,
                    source=form.cleaned_data["source"],
                    answers=answers,
                )
            except ValidationError as error:
                show_refusal(form, error)
            else:
                messages.success(request, _("Fidelity rating saved."))
                return redirect("studies:fidelity_rate", pk=study.pk)
        status = 422
    else:
        return HttpResponse(status=405)
    context = {
        "study": study,
        "session": session,
        "therapists": ", ".join(
            m.user.get_full_name() or m.user.email for m in fidelity.therapists_of(session)
        ),
        "checklist": checklist,
        "form": form,
    }
    return render(request, "studies/fidelity_rate_session.html", context, status=status)


# --- Oregon quarterly ----------------------------------------------------------------------


def _require_reporting(membership: Any) -> None:
    """A clinic that does not report under SB 303 has no Oregon pages: they answer 404."""
    if membership is None or not oregon.reports_under_sb303(membership.clinic_id):
        raise Http404(_("This clinic does not report under Oregon SB 303."))


@require_GET
def oregon_report(request: StaffRequest) -> HttpResponse:
    membership = request.membership
    if membership is None or membership.role not in oregon.REPORT_ROLES:
        raise PermissionDenied(_("The Oregon quarterly report is for medical leads."))
    _require_reporting(membership)
    form = QuarterForm(request.GET or None)
    report = None
    status = 200
    if form.is_valid():
        year, number = form.cleaned_data["year"], form.cleaned_data["quarter"]
        report = oregon.oregon_quarter(membership, year=year, number=number)
        audit_read(_actor(request), "studies.oregon_report.view")
        if request.GET.get("format") == "csv":
            response = HttpResponse(oregon.as_csv(report), content_type="text/csv; charset=utf-8")
            name = f"oregon-303-{year}-q{number}.csv"
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
    elif request.GET:
        status = 422
    return render(request, "studies/oregon.html", {"form": form, "report": report}, status=status)


@require_POST
def oregon_opt_out(request: StaffRequest, code: str) -> HttpResponse:
    client = people_selectors.client_for_user(request.membership, code)
    _require_reporting(request.membership)
    form = OptOutForm(request.POST)
    if not form.is_valid():
        return HttpResponse(
            "opted_out: " + " ".join(map(str, form.errors["opted_out"])),
            status=422,
        )
    oregon.opt_out_set(by=_actor(request), client=client, opted_out=form.cleaned_data["opted_out"])
    messages.success(request, _("The client's 303 data choice is saved."))
    return redirect("people:client_detail", code=client.code)


def opt_out_panel(request: Any, client: Any) -> dict[str, Any] | None:
    """The client overview's 303 panel, for the roles that may record the choice."""
    membership = getattr(request, "membership", None)
    if membership is None or not oregon.can_set_opt_out(membership, client):
        return None
    if not oregon.reports_under_sb303(membership.clinic_id):
        return None  # only a clinic that reports under SB 303 records the opt-out
    opted_out = oregon.opted_out(client)
    form = OptOutForm(initial={"opted_out": "yes" if opted_out else "no"})
    return {"opted_out": opted_out, "form": form}


@require_http_methods(["GET", "POST"])
def oregon_setting(request: StaffRequest) -> HttpResponse:
    """Whether the clinic reports under SB 303 (the clinic admin's or the medical lead's)."""
    membership = request.membership
    if not oregon.can_set_reporting(membership):
        raise PermissionDenied(_("You may not change this setting."))
    assert membership is not None  # noqa: S101  (the policy checked it)
    current = oregon.reports_under_sb303(membership.clinic_id)
    form = ReportingForm(posted(request), initial={"reports": "yes" if current else "no"})
    if request.method == "POST" and form.is_valid():
        oregon.reporting_set(by=_actor(request), reports=form.cleaned_data["reports"])
        messages.success(request, _("Saved."))
        return redirect("studies:oregon_setting")
    return render(
        request,
        "studies/oregon_setting.html",
        {"form": form, "reports": current},
        status=status_of(form),
    )


def oregon_settings_panel(request: Any, membership: Any) -> dict[str, Any] | None:
    """The clinic settings page's line on SB 303 reporting, with a link to change it."""
    if not oregon.can_set_reporting(membership):
        return None
    return {"reports": oregon.reports_under_sb303(membership.clinic_id)}


def rater_today_panel(request: Any, membership: Any) -> dict[str, Any] | None:
    """A fidelity rater's studies and the sessions left to rate, on their Today page."""
    rows = fidelity.rater_studies(membership)
    return {"rows": rows} if rows else None
