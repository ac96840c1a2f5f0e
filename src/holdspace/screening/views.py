"""Screening pages: the index, one client's screening, the intake forms and the clinic's rules."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from holdspace.core.forms import posted, submit
from holdspace.core.http import StaffRequest
from holdspace.people import selectors as people_selectors
from holdspace.people.actors import Actor
from holdspace.people.auditing import audit_read
from holdspace.people.models import Client, Membership

from . import policies, selectors, services
from .engine import clinic_rules
from .forms import (
    DecisionForm,
    ExperienceForm,
    MedicalHistoryForm,
    MedicationForm,
    MedicationUpdateForm,
    PsychiatricHistoryForm,
    RuleOverrideForm,
    SettingOverrideForm,
    VitalsForm,
)
from .medications import medication_list
from .rules import shipped_rules

STATUS_LABELS = {
    "not_started": gettext_lazy("Not started"),
    "pending_decision": gettext_lazy("Awaiting decision"),
    "eligible": gettext_lazy("Eligible"),
    "not_eligible": gettext_lazy("Not eligible"),
    "deferred": gettext_lazy("Deferred"),
    "outdated": gettext_lazy("Decision outdated"),
}


def _audit_read(request: StaffRequest, client: Client, action: str) -> None:
    audit_read(Actor.from_request(request), action, client=client, target=client)


def _client(request: StaffRequest, code: str, *, record: bool = False) -> Client:
    if record:
        return selectors.intake_client_for_user(request.membership, code)
    return selectors.findings_client_for_user(request.membership, code)


def screening_index(request: StaffRequest) -> HttpResponse:
    membership = request.membership
    if not policies.can_list_screening(membership):
        raise PermissionDenied
    clients = people_selectors.clients_visible_to(membership).order_by("code")
    page = Paginator(clients, 50).get_page(request.GET.get("page"))
    eligibility = selectors.screening_eligibility_many(page)
    rows = [
        (client, eligibility[client.pk], STATUS_LABELS.get(eligibility[client.pk].status, ""))
        for client in page
    ]
    audit_read(Actor.from_request(request), "screening.list")
    return render(request, "screening/index.html", {"page": page, "rows": rows})


def _rule_messages(rule_ids: list[str]) -> list[str]:
    rules = shipped_rules()
    return [rule.text if (rule := rules.rule(rid)) else rid for rid in rule_ids]


def _screening_context(
    request: StaffRequest, client: Client, decision_form: DecisionForm | None = None
) -> dict[str, Any]:
    membership = request.membership
    evaluation = selectors.screening_evaluate(client)
    eligibility = selectors.screening_eligibility(client)
    can_sign = policies.can_sign_decision(membership, client)
    read_intake = policies.can_read_intake(membership, client)
    decisions = list(selectors.decisions_for(client)[:10])
    return {
        "client": client,
        "findings": evaluation.findings,
        "ruleset_version": evaluation.version,
        "plans": selectors.washout_plans_for(client, names=read_intake),
        "eligibility": eligibility,
        "status_label": STATUS_LABELS.get(eligibility.status, ""),
        "latest": decisions[0] if decisions else None,
        # The rules a decision overrode, by their message rather than their id.
        "overridden": _rule_messages(decisions[0].overridden_rule_ids if decisions else []),
        "decisions": decisions,
        "can_sign": can_sign,
        "can_record": policies.can_record_intake(membership, client),
        "show_text": read_intake,  # researchers never see reasons or intake text
        "medical": selectors.medical_history_current(client) if read_intake else None,
        "psychiatric": selectors.psychiatric_history_current(client) if read_intake else None,
        "vitals": list(selectors.vitals_for(client)[:3]) if read_intake else [],
        "medications": list(selectors.medications_for(client)) if read_intake else [],
        "experiences": list(selectors.experiences_for(client)) if read_intake else [],
        "decision_form": decision_form or (DecisionForm() if can_sign else None),
    }


def screening_detail(request: StaffRequest, code: str) -> HttpResponse:
    client = _client(request, code)
    _audit_read(request, client, "screening.view")
    return render(request, "screening/detail.html", _screening_context(request, client))


@require_POST
def decision_sign(request: StaffRequest, code: str) -> HttpResponse:
    client = _client(request, code)
    if not policies.can_sign_decision(request.membership, client):
        raise PermissionDenied
    form = DecisionForm(request.POST)
    if form.is_valid():
        done = submit(
            form,
            lambda: services.decision_sign(
                by=Actor.from_request(request),
                client=client,
                decision=form.cleaned_data["decision"],
                reason=form.cleaned_data["reason"],
                secret=form.cleaned_data["secret"],
            ),
        )
        if done is not None:
            messages.success(request, _("The decision was signed and locked."))
            return redirect("screening:detail", code=client.code)
    return render(
        request, "screening/detail.html", _screening_context(request, client, form), status=422
    )


def _history_form(
    request: StaffRequest,
    code: str,
    *,
    form_class: Any,
    current: Any,
    service: Any,
    title: str,
    action: str,
) -> HttpResponse:
    client = _client(request, code, record=True)
    if request.method == "POST":
        form = form_class(request.POST)
        if form.is_valid():
            done = submit(
                form,
                lambda: service(by=Actor.from_request(request), client=client, **form.cleaned_data),
            )
            if done is not None:
                messages.success(request, _("Saved. The screening was evaluated again."))
                return redirect("screening:detail", code=client.code)
        status = 422
    else:
        _audit_read(request, client, action)
        form = form_class(instance=current(client)) if current else form_class()
        status = 200
    return render(
        request,
        "screening/intake_form.html",
        {"client": client, "form": form, "title": title},
        status=status,
    )


@require_http_methods(["GET", "POST"])
def medical_history(request: StaffRequest, code: str) -> HttpResponse:
    return _history_form(
        request,
        code,
        form_class=MedicalHistoryForm,
        current=selectors.medical_history_current,
        service=services.medical_history_record,
        title=_("Medical history"),
        action="screening.medical_history.view",
    )


@require_http_methods(["GET", "POST"])
def psychiatric_history(request: StaffRequest, code: str) -> HttpResponse:
    return _history_form(
        request,
        code,
        form_class=PsychiatricHistoryForm,
        current=selectors.psychiatric_history_current,
        service=services.psychiatric_history_record,
        title=_("Psychiatric history"),
        action="screening.psychiatric_history.view",
    )


@require_http_methods(["GET", "POST"])
def vitals(request: StaffRequest, code: str) -> HttpResponse:
    return _history_form(
        request,
        code,
        form_class=VitalsForm,
        current=None,
        service=services.vitals_record,
        title=_("Baseline vitals"),
        action="screening.vitals.view",
    )


@require_http_methods(["GET", "POST"])
def medications(request: StaffRequest, code: str) -> HttpResponse:
    client = _client(request, code, record=True)
    form = MedicationForm(posted(request))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            done = submit(
                form,
                lambda: services.medication_add(
                    by=Actor.from_request(request), client=client, **form.cleaned_data
                ),
            )
            if done is not None:
                messages.success(request, _("The medication was added."))
                return redirect("screening:medications", code=client.code)
        status = 422
    else:
        _audit_read(request, client, "screening.medication.list")
    drugs = medication_list()
    rows = []
    for m in selectors.medications_for(client):
        drug = drugs.drugs.get(m.list_key)
        classes = [drugs.class_text(c) for c in drug.classes] if drug else []
        update = MedicationUpdateForm(
            initial={"dose": m.dose, "stop_date": m.stop_date}, prefix=str(m.pk)
        )
        rows.append((m, update, ", ".join(classes), drug.atc if drug else ""))
    return render(
        request,
        "screening/medications.html",
        {
            "client": client,
            "form": form,
            "rows": rows,
            "names": MedicationForm.names(),
            "drugs": drugs,
        },
        status=status,
    )


@require_POST
def medication_update(request: StaffRequest, code: str, pk: int) -> HttpResponse:
    medication = selectors.medication_for_user(request.membership, code, pk)
    client = medication.client
    form = MedicationUpdateForm(request.POST, prefix=str(pk))
    if form.is_valid():
        try:
            services.medication_update(
                by=Actor.from_request(request), medication=medication, **form.cleaned_data
            )
        except ValidationError as error:
            for texts in error.message_dict.values():
                for text in texts:
                    messages.error(request, f"{medication.name}: {text}")
        else:
            messages.success(request, _("The medication was updated."))
    else:
        messages.error(request, _("Check the date of the last dose."))
    return redirect("screening:medications", code=client.code)


@require_http_methods(["GET", "POST"])
def experiences(request: StaffRequest, code: str) -> HttpResponse:
    client = _client(request, code, record=True)
    form = ExperienceForm(posted(request))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            done = submit(
                form,
                lambda: services.experience_add(
                    by=Actor.from_request(request), client=client, **form.cleaned_data
                ),
            )
            if done is not None:
                messages.success(request, _("The experience was added."))
                return redirect("screening:experiences", code=client.code)
        status = 422
    else:
        _audit_read(request, client, "screening.experience.list")
    return render(
        request,
        "screening/experiences.html",
        {"client": client, "form": form, "experiences": selectors.experiences_for(client)},
        status=status,
    )


# The clinic's rules (medical leads) ---------------------------------------------------------


def _lead(request: StaffRequest) -> Membership:
    membership = request.membership
    if membership is None or not policies.can_manage_rules(membership):
        raise PermissionDenied
    return membership


def _rules_context(
    membership: Membership, bound: Form | None = None, bound_key: str = ""
) -> dict[str, Any]:
    effective = clinic_rules(membership.clinic_id)
    ruleset = shipped_rules()
    rows = []
    for item in effective.rules:
        form: Form = RuleOverrideForm(
            initial={"rule_id": item.rule.id, "enabled": item.enabled, "outcome": item.outcome},
            prefix=item.rule.id,
        )
        if bound is not None and bound_key == item.rule.id:
            form = bound
        rows.append((item, form))
    settings_rows = []
    for key, setting in ruleset.settings.items():
        sform: Form = SettingOverrideForm(
            initial={"key": key, "value": effective.values[key]}, prefix=key
        )
        if bound is not None and bound_key == key:
            sform = bound
        settings_rows.append((setting, effective.values[key], sform))
    history = selectors.rule_history_for_user(membership)
    return {
        "rows": rows,
        "settings_rows": settings_rows,
        "version": effective.version,
        "history": history.rules,
        "setting_history": history.settings,
    }


def rules_list(request: StaffRequest) -> HttpResponse:
    membership = _lead(request)
    return render(request, "screening/rules.html", _rules_context(membership))


@require_POST
def rule_override(request: StaffRequest) -> HttpResponse:
    membership = _lead(request)
    rule_id = request.POST.get("rule", "")
    form = RuleOverrideForm(request.POST, prefix=rule_id)
    if form.is_valid():
        done = submit(
            form,
            lambda: services.rule_override_set(by=Actor.from_request(request), **form.cleaned_data),
        )
        if done is not None:
            messages.success(request, _("The rule was changed for this clinic."))
            return redirect("screening:rules")
    return render(
        request, "screening/rules.html", _rules_context(membership, form, rule_id), status=422
    )


@require_POST
def setting_override(request: StaffRequest) -> HttpResponse:
    membership = _lead(request)
    key = request.POST.get("setting", "")
    form = SettingOverrideForm(request.POST, prefix=key)
    if form.is_valid():
        done = submit(
            form,
            lambda: services.setting_override_set(
                by=Actor.from_request(request), **form.cleaned_data
            ),
        )
        if done is not None:
            messages.success(request, _("The setting was changed for this clinic."))
            return redirect("screening:rules")
    return render(
        request, "screening/rules.html", _rules_context(membership, form, key), status=422
    )


def client_panel_context(request: HttpRequest, client: Client) -> dict[str, Any] | None:
    membership = getattr(request, "membership", None)
    if not policies.can_read_findings(membership, client):
        return None
    eligibility = selectors.screening_eligibility(client)
    return {
        "eligibility": eligibility,
        "status_label": STATUS_LABELS.get(eligibility.status, ""),
        "earliest": selectors.earliest_medicine_session_date(client),
        "code": client.code,
    }
