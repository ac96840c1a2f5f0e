"""Measures pages: the staff list, assigning and entering, alerts, and the client's link form."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext_lazy, override
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from holdspace.core.forms import posted, status_of
from holdspace.core.http import StaffRequest
from holdspace.core.pdf import pdf_response, refused
from holdspace.people import policies as people_policies
from holdspace.people import selectors as people_selectors
from holdspace.people.actors import Actor
from holdspace.people.auditing import audit_read
from holdspace.screening import selectors as screening_selectors
from holdspace.screening.models import PriorExperience

from . import charts, library, panels, policies, scoring, selectors, services
from .definitions import Definition
from .forms import SEX_CHOICES, AcknowledgeForm, AssignForm, ProgressLetterForm, TotalForm
from .models import Assignment
from .services import RETROSPECTIVE_INSTRUMENTS

LINK_MESSAGES = {
    "invalid": gettext_lazy("This link is not valid. Please ask your care team for a new one."),
    "expired": gettext_lazy("This link has expired. Please ask your care team for a new one."),
    "used": gettext_lazy("This questionnaire has already been submitted. Thank you."),
}


def _overview(code: str) -> str:
    return reverse("people:client_detail", args=[code]) + "#measures"


# A client code as `reverse` leaves it in a path: the overview's address is then the prefix
# and the code, without a `reverse` for each of a hundred rows.
_PLAIN_CODE = re.compile(r"[A-Za-z0-9-]+")

RecentScore = tuple[str, str, dt.date, float | None, str]  # code, instrument, date, total, band


def _recent_score_rows(scores: Iterable[RecentScore]) -> SafeString:
    """The recent-scores table's rows, built here rather than by a template loop (a hundred
    rows of a url, a date and a number through the template engine cost more than the rest of
    the page). The same markup the loop made; every value escaped (conditional_escape, as
    format_html does), a code, instrument, date, total or band that repeats formatted and
    escaped once, and the rows put together with str.format."""
    prefix, suffix = reverse("people:client_detail", args=["X"]).rsplit("X", 1)
    language = get_language()
    codes: dict[str, tuple[str, str]] = {}
    instruments: dict[str, str] = {}
    dates: dict[dt.date, str] = {}
    totals: dict[float | None, str] = {}
    bands: dict[tuple[str, str], str] = {}
    row = (
        '\n      <tr><td><a class="client-code" href="{}#measures">{}</a></td>\n'
        "        <td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n    "
    ).format
    rows = []
    for code, instrument, observed_on, total, band in scores:
        linked = codes.get(code)
        if linked is None:
            plain = _PLAIN_CODE.fullmatch(code)
            url = (
                f"{prefix}{code}{suffix}" if plain else reverse("people:client_detail", args=[code])
            )
            linked = codes[code] = (conditional_escape(url), conditional_escape(code))
        shown_instrument = instruments.get(instrument)
        if shown_instrument is None:
            shown_instrument = instruments[instrument] = conditional_escape(instrument)
        day = dates.get(observed_on)
        if day is None:
            day = dates[observed_on] = charts.short_date(language, observed_on)
        shown = totals.get(total)
        if shown is None:
            shown = totals[total] = charts.total_text(language, total)
        label = bands.get((instrument, band))
        if label is None:
            label = bands[(instrument, band)] = conditional_escape(
                library.band_text(instrument, band) or "—"
            )
        rows.append(row(linked[0], linked[1], shown_instrument, day, shown, label))
    return mark_safe("".join(rows))  # noqa: S308  (every value escaped above)


def home(request: StaffRequest) -> HttpResponse:
    membership = request.membership
    if not people_policies.can_list_clients(membership):
        raise PermissionDenied
    today = timezone.localdate()
    assignments = list(selectors.open_assignments_visible_to(membership)[:200])
    audit_read(Actor.from_request(request), "measures.list")
    return render(
        request,
        "measures/home.html",
        {
            "overdue": [a for a in assignments if a.due_on < today],
            "due": [a for a in assignments if a.due_on >= today],
            "scores": _recent_score_rows(
                # The five columns the rows show, as tuples: no model instances to make.
                selectors.recent_scores_visible_to(membership).values_list(
                    "client__code", "instrument_code", "observed_on", "total", "band"
                )[:100]
            ),
            "alerts": selectors.open_alerts_visible_to(membership),
            "ack_form": AcknowledgeForm(),
        },
    )


@require_POST
def assign(request: StaffRequest, code: str) -> HttpResponse:
    membership = request.membership
    client = people_selectors.client_for_user(membership, code)
    if not policies.can_write_measures(membership, client):
        raise PermissionDenied
    form = AssignForm(request.POST, definitions=library.definitions_for(client.clinic_id))
    if form.is_valid():
        try:
            services.assignment_create(
                by=Actor.from_request(request), client=client, **form.cleaned_data
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The measure was assigned."))
    else:
        messages.error(request, _("Please choose an instrument and a due date."))
    return redirect(_overview(client.code))


@require_POST
def link_issue(request: StaffRequest, code: str, pk: int) -> HttpResponse:
    assignment = selectors.assignment_for_user(request.membership, code, pk)
    try:
        token = services.link_issue(by=Actor.from_request(request), assignment=assignment)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(_overview(code))
    url = request.build_absolute_uri(reverse("measures:respond", args=[token]))
    return render(
        request,
        "measures/link_issued.html",
        {"client": assignment.client, "assignment": assignment, "url": url},
    )


@require_POST
def assignment_cancel(request: StaffRequest, code: str, pk: int) -> HttpResponse:
    assignment = selectors.assignment_for_user(request.membership, code, pk)
    try:
        services.assignment_cancel(by=Actor.from_request(request), assignment=assignment)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(_overview(code))


def _item_rows(
    definition: Definition, values: dict[str, Any], errors: dict[str, str]
) -> list[dict[str, Any]]:
    rows = []
    for item in definition.items:
        value = values.get(item.link_id)
        if isinstance(value, bool):
            value = "1" if value else "0"
        elif isinstance(value, float) and value == int(value):
            value = str(int(value))
        options = [
            {"value": f"{o.value:g}", "label": o.label or f"{o.value:g}"} for o in item.options
        ]
        if item.type == "yes-no":
            options = [{"value": "1", "label": _("Yes")}, {"value": "0", "label": _("No")}]
        low, high = item.allowed_range()
        rows.append(
            {
                "item": item,
                "text": item.text or _("Item %(n)s") % {"n": item.link_id},
                "name": f"item-{item.link_id}",
                "value": "" if value is None else str(value),
                "options": options,
                "min": f"{low:g}",
                "max": f"{high:g}",
                "error": errors.get(item.link_id, ""),
            }
        )
    return rows


def _posted_answers(request: HttpRequest, definition: Definition) -> dict[str, str]:
    return {
        item.link_id: request.POST.get(f"item-{item.link_id}", "").strip()
        for item in definition.items
    }


@require_http_methods(["GET", "POST"])
def enter(request: StaffRequest, code: str, instrument: str) -> HttpResponse:
    """A clinician enters answers on the client's behalf, or a total for score-only ones."""
    membership = request.membership
    client = people_selectors.client_for_user(membership, code)
    if not policies.can_write_measures(membership, client):
        raise PermissionDenied
    definition = library.definition_for(client.clinic_id, instrument)
    prior = _prior_experience(request, client, definition)
    by = Actor.from_request(request)
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    total_form = None
    if definition.score_entry_only:
        total_form = TotalForm(posted(request))
        if request.method == "POST" and total_form.is_valid():
            try:
                score = services.score_record_total(
                    by=by,
                    client=client,
                    instrument_code=definition.code,
                    total=float(total_form.cleaned_data["total"]),
                    observed_on=total_form.cleaned_data["observed_on"],
                    prior_experience=prior,
                )
            except scoring.AnswerError as error:
                total_form.add_error("total", error.message)
            else:
                return _scored(request, client.code, score, retrospective=prior is not None)
    elif request.method == "POST":
        values = _posted_answers(request, definition)
        sex = request.POST.get("sex") or None
        observed_on = _date_or_none(request.POST.get("observed_on", ""))
        try:
            score = services.response_record(
                by=by,
                client=client,
                instrument_code=definition.code,
                answers=values,
                sex=sex if sex in ("female", "male") else None,
                observed_on=observed_on,
                prior_experience=prior,
            )
        except scoring.AnswerError as error:
            for link_id in scoring.missing_required(definition, values):
                errors[link_id] = _("An answer is required.")
            errors.setdefault(error.link_id, error.message)
        else:
            return _scored(request, client.code, score, retrospective=prior is not None)
    needs_sex = any(c.sex for c in definition.cut_offs)
    return render(
        request,
        "measures/enter.html",
        {
            "client": client,
            "definition": definition,
            "rows": _item_rows(definition, values, errors),
            "errors": errors,
            "total_form": total_form,
            "needs_sex": needs_sex,
            "sex_choices": SEX_CHOICES,
            "sex": request.POST.get("sex", ""),
            "today": timezone.localdate().isoformat(),
            "prior": prior,
        },
        status=422 if errors else status_of(total_form),
    )


def _prior_experience(
    request: HttpRequest, client: Any, definition: Definition
) -> PriorExperience | None:
    """`?prior=<id>`: the response is about this earlier experience of the client, filled in
    retrospectively (an acute-experience measure only). Anything else is not found."""
    raw = request.GET.get("prior", "")
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 12 or definition.code not in RETROSPECTIVE_INSTRUMENTS:
        raise Http404
    found = screening_selectors.experiences_for(client).filter(pk=int(raw)).first()
    if found is None:
        raise Http404
    return found


def _date_or_none(text: str) -> dt.date | None:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        return None
    return day if day <= timezone.localdate() else None


def _scored(
    request: HttpRequest, code: str, score: Any, *, retrospective: bool = False
) -> HttpResponse:
    band = f" ({score.band_label})" if score.band else ""
    messages.success(
        request,
        _("%(instrument)s scored %(total)s%(band)s.")
        % {"instrument": score.instrument_code, "total": f"{score.total:g}", "band": band},
    )
    if retrospective:
        # Back to where it is shown: beside the medicine sessions' measures.
        return redirect(reverse("outcomes:difference", args=[code]))
    return redirect(_overview(code))


@require_POST
def alert_acknowledge(request: StaffRequest, code: str, pk: int) -> HttpResponse:
    alert = selectors.alert_for_user(request.membership, code, pk)
    form = AcknowledgeForm(request.POST)
    if form.is_valid():
        try:
            services.safety_alert_acknowledge(
                by=Actor.from_request(request),
                alert=alert,
                action_taken=form.cleaned_data["action_taken"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The alert was acknowledged."))
    else:
        messages.error(request, _("Say what was done before acknowledging the alert."))
    next_url = request.POST.get("next", "")
    return redirect(next_url if _safe_next(next_url) else _overview(code))


def _safe_next(url: str) -> bool:
    return url.startswith("/") and not url.startswith("//")


# --- the client's side: a one-time link, no account -----------------------------------------


@login_not_required
@require_http_methods(["GET", "POST"])
def respond(request: HttpRequest, token: str) -> HttpResponse:
    """The client's form behind a one-time link. Public on purpose: the signed, expiring,
    single-use token is the only key, and it opens one assignment and nothing else."""
    try:
        assignment = services.link_open(token)
    except services.LinkError as error:
        return render(
            request,
            "measures/respond_closed.html",
            {"message": LINK_MESSAGES[error.reason]},
            status=410 if error.reason in ("used", "expired") else 404,
        )
    return respond_form(request, assignment, action_url=request.path)


def respond_form(request: HttpRequest, assignment: Assignment, *, action_url: str) -> HttpResponse:
    """The completion form, shared with the client portal (issue 5) which opens it by account."""
    definition = library.definition_for(assignment.client.clinic_id, assignment.instrument_code)
    response = getattr(assignment, "response", None)
    values: dict[str, Any] = dict(response.answers) if response is not None else {}
    errors: dict[str, str] = {}
    if request.method == "POST":
        posted = _posted_answers(request, definition)
        values.update({k: v for k, v in posted.items() if v != ""})
        action = request.POST.get("action", "save")
        try:
            if action == "submit":
                services.response_submit(by=None, assignment=assignment, answers=posted)
                return render(request, "measures/respond_done.html", {"definition": definition})
            services.response_save(by=None, assignment=assignment, answers=posted)
        except scoring.AnswerError as error:
            for link_id in scoring.missing_required(definition, values):
                errors[link_id] = _("Please answer this question.")
            errors.setdefault(error.link_id, error.message)
        except ValidationError:
            return render(
                request,
                "measures/respond_closed.html",
                {"message": LINK_MESSAGES["used"]},
                status=410,
            )
        if request.headers.get("X-Autosave") == "1":
            return JsonResponse({"saved": not errors, "errors": errors})
        if not errors:
            return redirect(action_url)
    return render(
        request,
        "measures/respond.html",
        {
            "definition": definition,
            "rows": _item_rows(definition, values, errors),
            "errors": errors,
            "action_url": action_url,
            "answered": sum(1 for v in values.values() if v not in (None, "")),
        },
        status=422 if errors else 200,
    )


def progress_letter(request: StaffRequest, code: str) -> HttpResponse:
    """The progress letter to the client's GP, as a PDF in the language chosen on the client's
    page (the GP's, not the reader's): scores and their trajectory per instrument."""
    membership = request.membership
    client = people_selectors.client_for_user(membership, code)  # 404 outside the scope, before 405
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    if not policies.can_write_progress_letter(membership, client):
        raise PermissionDenied
    form = ProgressLetterForm(request.GET)
    if not form.is_valid():
        return refused(form)
    show_identity = people_policies.can_read_identity(membership, client)
    audit_read(
        Actor.from_request(request),
        "measures.progress_letter.view",
        client=client,
        fields=["identity"] if show_identity else [],
    )
    lang = form.cleaned_data["lang"]
    with override(lang):
        context = {
            "client": client,
            "identity": getattr(client, "identity", None) if show_identity else None,
            "plots": panels.client_plots(client, library.definitions_for(client.clinic_id)),
            "sessions": charts.session_dates(client),
            "author": request.user,
            "clinic": client.clinic,
            "today": timezone.localdate(),
        }
        return pdf_response(
            "measures/progress_letter_pdf.html",
            context,
            request,
            f"progress-{client.code}-{lang}.pdf",
        )
