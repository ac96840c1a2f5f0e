"""The session pages: today's sessions, the monitor (before dosing, live, ending), its live
region (polled with ETag → 304), and one POST endpoint per action.

A POST from the monitor's script (header `X-Holdspace-Fetch`) answers JSON and honours the
`Idempotency-Key` header; a plain form POST (no script) redirects, or re-renders the page
with the errors beside the fields and what was typed kept.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import BaseForm
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from holdspace.core.forms import posted, status_of
from holdspace.core.http import StaffRequest
from holdspace.core.pdf import pdf_response
from holdspace.people.actors import Actor
from holdspace.people.auditing import audit_read, audit_read_throttled
from holdspace.people.models import Role

from . import charts, policies, selectors, services
from . import live as live_view
from .forms import (
    AcknowledgeForm,
    AdverseEventForm,
    ChecklistForm,
    DoseForm,
    EndForm,
    NoteForm,
    NoteWriteForm,
    OverrideForm,
    SettingsForm,
    VitalsForm,
    WithholdForm,
)
from .idempotency import idempotent
from .models import Disposition, DoseKind, MedicineSession, SessionStatus
from .rules import checklist_labels, session_rules
from .shown import shown_readings
from .vitals import reason_label


@require_GET
def home(request: StaffRequest) -> HttpResponse:
    """The nav's Sessions: today's medicine sessions and recent ones in the member's scope."""
    membership = request.membership
    if membership is None or membership.role not in (Role.THERAPIST, Role.MEDICAL_LEAD):
        raise PermissionDenied
    opened = {
        (s.visit_id, s.client_id): s
        for s in selectors.sessions_visible_to(membership).filter(
            opened_at__gte=timezone.now() - dt.timedelta(days=2)
        )
    }
    today = [
        (visit, client, opened.get((visit.pk, client.pk)))
        for visit, client in selectors.medicine_visits_today(membership)
    ]
    recent = selectors.sessions_visible_to(membership).order_by("-opened_at")[:30]
    settings = selectors.settings_for(membership.clinic_id)
    return render(
        request,
        "sessions/home.html",
        {
            "today": today,
            "recent": recent,
            "settings": settings,
            "can_confirm": policies.can_confirm_settings(membership),
        },
    )


@require_http_methods(["GET", "POST"])
def settings_page(request: StaffRequest) -> HttpResponse:
    """The clinic's cadence and thresholds; a medical lead reviews and confirms them."""
    membership = request.membership
    if membership is None or membership.role not in (Role.THERAPIST, Role.MEDICAL_LEAD):
        raise PermissionDenied
    current = selectors.settings_for(membership.clinic_id)
    can_confirm = policies.can_confirm_settings(membership)
    form = SettingsForm(posted(request), instance=current)
    if request.method == "POST":
        if not can_confirm:
            raise PermissionDenied
        if form.is_valid():
            services.settings_confirm(
                by=Actor.from_request(request),
                values={name: form.cleaned_data[name] for name in form.fields},
            )
            messages.success(request, _("Thresholds and cadence confirmed."))
            return redirect("sessions:settings")
        current.refresh_from_db()
    if not can_confirm:
        for field in form.fields.values():
            field.disabled = True
    return render(
        request,
        "sessions/settings.html",
        {"form": form, "settings": current, "can_confirm": can_confirm, "rules": session_rules()},
        status=status_of(form),
    )


@require_POST
def session_open(request: StaffRequest, code: str, visit_id: int) -> HttpResponse:
    client, visit = selectors.medicine_visit_for_user(request.membership, code, visit_id)
    session = services.session_open(by=Actor.from_request(request), visit=visit, client=client)
    return redirect("sessions:monitor", code=client.code, pk=session.pk)


# The monitor ----------------------------------------------------------------------------------


def _givers(session: MedicineSession) -> list[tuple[int, str]]:
    """Who may be named as having given a dose: the therapists present."""
    return [
        (p.membership_id, p.membership.user.get_full_name() or p.membership.user.email)
        for p in session.team.all()
    ]


def _end_initial(session: MedicineSession) -> dict[str, Any]:
    # The overnight attendant recorded in preparation is offered, not assumed: it can be changed.
    companion = session.companion_name or selectors.companion_from_preparation(session)
    disposition = session.disposition or (Disposition.OVERNIGHT if companion else None)
    return {"disposition": disposition, "companion_name": companion}


def _blank_forms(session: MedicineSession) -> dict[str, BaseForm]:
    blockers = (
        selectors.start_blockers(session) if session.status == SessionStatus.PREPARING else []
    )
    overridable = [(b.item, b.message) for b in blockers if b.overridable]
    initial_done = bool(selectors.doses_of(session, DoseKind.INITIAL))
    plan = session.planned_dose or {}
    kind = DoseKind.SUPPLEMENTAL if initial_done else DoseKind.INITIAL
    planned_mg = plan.get("supplemental_mg" if initial_done else "initial_mg")
    return {
        "vitals": VitalsForm(),
        "dose": DoseForm(initial={"kind": kind, "mg": planned_mg}, givers=_givers(session)),
        "withhold": WithholdForm(),
        "note": NoteForm(),
        "override": OverrideForm(items=overridable),
        "checklist": ChecklistForm(initial=session.checklist),
        "ae": AdverseEventForm(),
        "end": EndForm(initial=_end_initial(session)),
        "note_write": NoteWriteForm(initial={"note_text": session.note_text}),
    }


def _dose_facts(session: MedicineSession) -> dict[str, Any]:
    """What both the page and its live parts show of the doses, the settings and the clock."""
    settings = selectors.settings_read(session.clinic_id)
    now = timezone.now()
    due = session.next_reading_due_at
    initial = selectors.initial_dose_time(session)
    window = selectors.supplemental_window(session)
    return {
        "session": session,
        "now": now,
        "due": due,
        "overdue": due is not None and due < now,
        "initial_at": initial,
        "since_initial": (now - initial) if initial else None,
        "window": window,
        "in_window": bool(window and window[0] <= now <= window[1]),
        "supplemental": next(iter(selectors.doses_of(session, DoseKind.SUPPLEMENTAL)), None),
        "settings": settings,
    }


def live_context(session: MedicineSession) -> dict[str, Any]:
    # Every table once (a no-op when already loaded), and of the readings only those shown.
    selectors.session_loaded(session, every_reading=False)
    shown = shown_readings(session)
    facts = _dose_facts(session)
    return {
        **facts,
        "open_alerts": [
            (alert, [reason_label(r) for r in alert.reasons])
            for alert in selectors.open_alerts_loaded(session)
        ],
        "shown": shown,
        "chart": charts.vitals_chart(session, facts["settings"], shown),
    }


def _monitor_context(
    request: StaffRequest, session: MedicineSession, bound: dict[str, BaseForm] | None = None
) -> dict[str, Any]:
    selectors.session_loaded(session, every_reading=False)
    forms = _blank_forms(session)
    forms.update(bound or {})
    membership = request.membership
    blockers = (
        selectors.start_blockers(session) if session.status == SessionStatus.PREPARING else []
    )
    team = list(session.team.all())
    signatures = list(session.signatures.all())
    full = request.GET.get("timeline") == "all"
    tag = live_view.etag(session, bucket=_bucket(), full=full)
    return {
        # The readings and the chart only inside the live parts: kept per version, so a page
        # whose parts are kept reads no reading and draws no chart.
        **_dose_facts(session),
        # The same parts the live poll sends, so the first poll after a load sends nothing.
        "live": {name: part.html for name, part in _live_parts(session, tag, full=full).items()},
        "timeline_all": full,
        "forms": forms,
        "blockers": blockers,
        "team": team,
        "i_attested": any(p.membership_id == getattr(membership, "pk", None) for p in team),
        "can_attest": policies.can_attest(membership, session.client),
        "is_lead": policies.is_medical_lead(membership, session.client),
        "checklist_items": checklist_labels(),
        "overrides": list(session.overrides.all()),
        "quick": selectors.quick_entries(),
        "baseline": selectors.baseline_reading(session),
        "discharge": services.discharge_computed(session)
        if session.status == SessionStatus.RUNNING
        else session.discharge,
        "discharge_rows": [
            (_(c.label), bool(session.discharge.get(c.key)))
            for c in session_rules().discharge.criteria
        ],
        "signatures": signatures,
        "open_serious_events": selectors.open_serious_adverse_events(session)
        if session.status == SessionStatus.RUNNING
        else [],
        "i_signed": any(s.membership_id == getattr(membership, "pk", None) for s in signatures),
        "adverse_events": list(session.adverse_events.all()),
        "plan": session.planned_dose or {},
        "rules": session_rules(),
    }


def monitor(request: StaffRequest, code: str, pk: int) -> HttpResponse:
    session = selectors.session_for_user(request.membership, code, pk)  # 404 before 405
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    audit_read(Actor.from_request(request), "session.view", client=session.client, target=session)
    return render(request, "sessions/monitor.html", _monitor_context(request, session))


def summary_pdf(request: StaffRequest, code: str, pk: int) -> HttpResponse:
    """The session summary as a PDF, for the care team and the medical lead's file."""
    if not policies.can_read_summary(request.membership):
        raise PermissionDenied
    session = selectors.session_for_user(request.membership, code, pk)  # 404 before 405
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    audit_read(
        Actor.from_request(request),
        "session.summary_pdf.view",
        client=session.client,
        target=session,
    )
    selectors.session_loaded(session)
    settings = selectors.settings_read(session.clinic_id)
    context = {
        "session": session,
        "team": list(session.team.all()),
        "doses": list(session.doses.all()),
        "readings": selectors.readings_in_order(session),
        "chart": charts.vitals_chart(session, settings, shown_readings(session)),
        "alerts": [
            (alert, [reason_label(r) for r in alert.reasons])
            for alert in sorted(session.alerts.all(), key=lambda a: (a.raised_at, a.pk))
        ],
        "adverse_events": list(session.adverse_events.all()),
        "discharge_rows": [
            (_(c.label), bool(session.discharge.get(c.key)))
            for c in session_rules().discharge.criteria
        ],
        "signatures": list(session.signatures.all()),
        "overrides": list(session.overrides.all()),
        "printed_at": timezone.now(),
    }
    filename = f"session-{session.client.code}-{session.pk}.pdf"
    return pdf_response("sessions/summary_pdf.html", context, request, filename)


def _bucket() -> int:
    return int(timezone.now().timestamp() // 30)


def _live_parts(session: MedicineSession, tag: str, *, full: bool) -> dict[str, live_view.LivePart]:
    parts = live_view.rendered.get(tag)
    if parts is None:
        parts = live_view.live_parts(live_context(session), full=full)
        live_view.rendered.put(tag, parts)
    return parts


def live(request: StaffRequest, code: str, pk: int) -> HttpResponse:
    """The live region, polled every second by each open monitor. Answers 304 while nothing
    changed (three queries: docs/sessions.md), so twenty monitors cost little; otherwise only
    the parts the monitor does not hold yet (live.py). A poll that returns parts is a read of
    the session: audited once per person every few minutes, not once a second
    (people.auditing.audit_read_throttled)."""
    session = selectors.session_for_user(request.membership, code, pk)  # 404 before 405
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    full = request.GET.get("timeline") == "all"
    tag = live_view.etag(session, bucket=_bucket(), full=full)
    headers = {
        "ETag": tag,
        "Cache-Control": "no-cache, private",
        "X-Session-Status": session.status,
    }
    if request.headers.get("If-None-Match") == tag:
        response = HttpResponse(status=304)
    else:
        # Every monitor of the session gets the same parts: render them once per version in
        # each server process.
        parts = _live_parts(session, tag, full=full)
        have = live_view.held(request.headers.get("X-Live-Have", ""))
        response = HttpResponse(
            "".join(part.html for name, part in parts.items() if have.get(name) != part.digest)
        )
        audit_read_throttled(
            Actor.from_request(request), "session.live", client=session.client, target=session
        )
    for key, value in headers.items():
        response[key] = value
    return response


# Actions --------------------------------------------------------------------------------------


def _dt(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    if timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


# The monitor's actions: each builds its bound form and the service call to make once the form
# is valid. One entry per action; `act` below runs any of them the same way.
Action = tuple[BaseForm, Callable[[], Any]]
Data = Any  # request.POST


def _attest(by: Actor, session: MedicineSession, data: Data) -> Action:
    return NoteWriteForm({}), lambda: services.team_attest(by=by, session=session)


def _checklist(by: Actor, session: MedicineSession, data: Data) -> Action:
    form = ChecklistForm(data)
    return form, lambda: services.checklist_set(
        by=by,
        session=session,
        items={k: bool(form.cleaned_data.get(k)) for k in checklist_labels()},
    )


def _override(by: Actor, session: MedicineSession, data: Data) -> Action:
    blockers = selectors.start_blockers(session)
    form = OverrideForm(data, items=[(b.item, b.message) for b in blockers if b.overridable])
    return form, lambda: services.start_override(
        by=by, session=session, item=form.cleaned_data["item"], reason=form.cleaned_data["reason"]
    )


def _start(by: Actor, session: MedicineSession, data: Data) -> Action:
    return NoteWriteForm({}), lambda: services.session_start(by=by, session=session)


def _vitals(by: Actor, session: MedicineSession, data: Data) -> Action:
    form = VitalsForm(data)
    return form, lambda: services.vital_record(
        by=by,
        session=session,
        systolic=form.cleaned_data["systolic"],
        diastolic=form.cleaned_data["diastolic"],
        heart_rate=form.cleaned_data["heart_rate"],
        temperature=form.cleaned_data["temperature"],
        spo2=form.cleaned_data["spo2"],
        suds=form.cleaned_data["suds"],
        taken_at=_dt(form.cleaned_data["taken_at"]),
    )


def _dose(by: Actor, session: MedicineSession, data: Data) -> Action:
    form = DoseForm(data, givers=_givers(session))
    return form, lambda: services.dose_give(
        by=by,
        session=session,
        kind=form.cleaned_data["kind"],
        substance=form.cleaned_data["substance"],
        mg=form.cleaned_data["mg"],
        lot_number=form.cleaned_data["lot_number"],
        given_by=selectors.therapist_present(session, form.cleaned_data["given_by"] or None),
        given_at=_dt(form.cleaned_data["given_at"]),
        reason=form.cleaned_data["reason"],
    )


def _withhold(by: Actor, session: MedicineSession, data: Data) -> Action:
    form = WithholdForm(data)
    return form, lambda: services.dose_withhold(
        by=by, session=session, reason=form.cleaned_data["reason"]
    )


def _acknowledge(by: Actor, session: MedicineSession, data: Data) -> Action:
    form = AcknowledgeForm(data)

    def acknowledge() -> Any:
        alert = selectors.alert_of_session(session, form.cleaned_data["alert"])
        return services.alert_acknowledge(
            by=by, alert=alert, action_taken=form.cleaned_data["action_taken"]
        )

    return form, acknowledge


def _note(by: Actor, session: MedicineSession, data: Data) -> Action:
    form = NoteForm(data)
    return form, lambda: services.event_note(
        by=by,
        session=session,
        kind=form.cleaned_data["kind"] or "note",
        text=form.cleaned_data["text"],
        at=_dt(form.cleaned_data["at"]),
    )


def _adverse_event(by: Actor, session: MedicineSession, data: Data) -> Action:
    form = AdverseEventForm(data)
    return form, lambda: services.adverse_event_report(
        by=by,
        session=session,
        term=form.cleaned_data["term"],
        onset_at=_dt(form.cleaned_data["onset_at"]),
        severity=form.cleaned_data["severity"],
        valence=form.cleaned_data["valence"],
        relatedness=form.cleaned_data["relatedness"],
        outcome=form.cleaned_data["outcome"],
        serious_criteria=form.cleaned_data["serious_criteria"],
        special_interest=form.cleaned_data["special_interest"],
        action=form.cleaned_data["action"],
    )


def _end(by: Actor, session: MedicineSession, data: Data) -> Action:
    form = EndForm(data)
    return form, lambda: services.session_end(
        by=by,
        session=session,
        oriented_stable=form.cleaned_data["oriented_stable"],
        therapists_agree=form.cleaned_data["therapists_agree"],
        disposition=form.cleaned_data["disposition"],
        companion_name=form.cleaned_data["companion_name"],
    )


def _note_write(by: Actor, session: MedicineSession, data: Data) -> Action:
    form = NoteWriteForm(data)
    return form, lambda: services.note_write(
        by=by, session=session, text=form.cleaned_data["note_text"]
    )


def _note_sign(by: Actor, session: MedicineSession, data: Data) -> Action:
    form = NoteWriteForm({"note_text": session.note_text})
    return form, lambda: services.note_sign(by=by, session=session)


ACTIONS: dict[str, Callable[[Actor, MedicineSession, Data], Action]] = {
    "attest": _attest,
    "checklist": _checklist,
    "override": _override,
    "start": _start,
    "vitals": _vitals,
    "dose": _dose,
    "withhold": _withhold,
    "ack": _acknowledge,
    "note": _note,
    "ae": _adverse_event,
    "end": _end,
    "note_write": _note_write,
    "note_sign": _note_sign,
}


def _run_action(request: StaffRequest, session: MedicineSession, action: str) -> Action:
    """The bound form of an action, and the call of its service once the form is valid."""
    build = ACTIONS.get(action)
    if build is None:
        raise Http404("No such action.")
    return build(Actor.from_request(request), session, request.POST)


FORM_KEY = {"attest": "", "start": "", "note_sign": "note_write"}


def _errors_of(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
    return {"__all__": [str(m) for m in exc.messages]}


@require_POST
def act(request: StaffRequest, code: str, pk: int, action: str) -> HttpResponse:
    session = selectors.session_for_user(request.membership, code, pk)
    form, call = _run_action(request, session, action)
    wants_json = request.headers.get("X-Holdspace-Fetch") == "1"

    def run() -> tuple[int, dict[str, Any]]:
        if not form.is_valid():
            raise ValidationError(
                {k: [e["message"] for e in v] for k, v in form.errors.get_json_data().items()}
            )
        result = call()
        return 201, {"ok": True, "id": getattr(result, "pk", None), "action": action}

    try:
        status, body, replayed = idempotent(
            request=request, user=request.user, session=session, action=action, run=run
        )
    except ValidationError as exc:
        errors = _errors_of(exc)
        if wants_json:
            return JsonResponse({"ok": False, "errors": errors}, status=422)
        key = FORM_KEY.get(action, action)
        if form.is_valid():  # the service refused: its messages go beside the fields
            for field, texts in errors.items():
                if key and field in form.fields:
                    form.add_error(field, texts)
                elif key:
                    form.add_error(None, texts)
                else:
                    for text in texts:
                        messages.error(request, text)
        session.refresh_from_db()
        context = _monitor_context(request, session, {key: form} if key else {})
        context["failed_action"] = action
        return render(request, "sessions/monitor.html", context, status=422)
    if wants_json:
        return JsonResponse({**body, "replayed": replayed}, status=status)
    return redirect(reverse("sessions:monitor", args=[session.client.code, session.pk]))
