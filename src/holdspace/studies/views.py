"""Study pages. Views only wire forms, selectors and services together."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from holdspace.core.forms import show_refusal
from holdspace.core.http import StaffRequest
from holdspace.measures import library
from holdspace.measures.models import timepoint_label
from holdspace.people.actors import Actor
from holdspace.people.auditing import audit_read
from holdspace.people.models import Role

from . import follow_up, forms, oregon, policies, regulatory_reports, selectors, services, team
from .models import QueryStatus


def _actor(request: StaffRequest) -> Actor:
    return Actor.from_request(request)


@require_GET
def home(request: StaffRequest) -> HttpResponse:
    membership = request.membership
    if membership is not None and membership.role == Role.BLINDED_RATER:
        return redirect("studies:rater")
    studies = selectors.studies_for_user(membership)
    if membership is None or (
        membership.role not in policies.SITE_VIEW_ROLES and not studies.exists()
    ):
        raise PermissionDenied(_("Studies are for site staff and study members."))
    context = {
        "studies": studies,
        "can_create": policies.can_create_study(membership),
        "invitations": team.invitations_received(membership),
        "oregon": membership.role in oregon.REPORT_ROLES
        and oregon.reports_under_sb303(membership.clinic_id),
    }
    return render(request, "studies/home.html", context)


def _detail_context(request: StaffRequest, study: Any, **extra: Any) -> dict[str, Any]:
    membership = request.membership
    arms = [(str(a.pk), a.name) for a in study.arms.all()]
    sites = [(s.pk, s.clinic.name) for s in study.sites.select_related("clinic")]
    rows = selectors.enrolment_rows(membership, study)
    return {
        "study": study,
        "summary": selectors.study_summary(membership, study),
        "rows": rows,
        "can_reports": policies.can_view_reports(membership, study),
        "retention": follow_up.retention(membership, study)
        if policies.can_view_reports(membership, study)
        else None,
        "can_deviation": policies.can_report_deviation(membership, study),
        "can_set_up": policies.can_set_up(membership, study),
        "can_enrol": membership is not None
        and membership.role in policies.ENROL_ROLES
        and policies.is_site(membership, study),
        "can_sign": membership is not None
        and membership.role == Role.MEDICAL_LEAD
        and policies.is_site(membership, study),
        "can_guess": membership is not None
        and membership.role in {Role.THERAPIST, Role.COORDINATOR},
        "enrol_form": extra.pop("enrol_form", None) or forms.EnrolForm(strata=study.strata),
        "guess_form": extra.pop("guess_form", None) or forms.GuessForm(arms=arms),
        "deviation_form": extra.pop("deviation_form", None) or forms.DeviationForm(sites=sites),
        "sign_form": extra.pop("sign_form", None) or forms.SignForm(),
        "unblind_form": extra.pop("unblind_form", None) or forms.UnblindForm(),
        "assessment_form": extra.pop("assessment_form", None)
        or forms.AssessmentForm(raters=_raters(study)),
        **extra,
    }


def _raters(study: Any) -> list[tuple[int, str]]:
    """The blinded raters of the study's sites (a central rater may rate every site)."""
    return [
        (m.user_id, m.user.get_full_name() or m.user.email) for m in selectors.study_raters(study)
    ]


def _study(request: StaffRequest, pk: int) -> Any:
    return selectors.study_for_user(request.membership, pk)


@require_GET
def detail(request: StaffRequest, pk: int) -> HttpResponse:
    study = _study(request, pk)
    context = _detail_context(request, study)
    audit_read(_actor(request), "studies.study.view", target=study)
    return render(request, "studies/detail.html", context)


def _refused(
    request: StaffRequest, study: Any, error: ValidationError, **forms_: Any
) -> HttpResponse:
    for form in forms_.values():
        show_refusal(form, error)
    context = _detail_context(request, study, **forms_)
    return render(request, "studies/detail.html", context, status=422)


@require_POST
def enrol(request: StaffRequest, pk: int) -> HttpResponse:
    study = _study(request, pk)
    form = forms.EnrolForm(request.POST, strata=study.strata)
    if not form.is_valid():
        return render(
            request,
            "studies/detail.html",
            _detail_context(request, study, enrol_form=form),
            status=422,
        )
    from holdspace.people import selectors as people_selectors

    client = people_selectors.client_for_user(request.membership, form.cleaned_data["client_code"])
    try:
        services.enrol(
            by=_actor(request), study=study, client=client, stratum=form.cleaned_data["stratum"]
        )
    except ValidationError as error:
        return _refused(request, study, error, enrol_form=form)
    messages.success(request, _("Enrolled."))
    return redirect("studies:detail", pk=study.pk)


@require_POST
def randomise(request: StaffRequest, pk: int) -> HttpResponse:
    study = _study(request, pk)
    form = forms.ClientCodeForm(request.POST)
    if not form.is_valid():
        return render(request, "studies/detail.html", _detail_context(request, study), status=422)
    enrolment = selectors.enrolment_for_user(
        request.membership, study, form.cleaned_data["client_code"]
    )
    try:
        enrolment = services.randomise(by=_actor(request), enrolment=enrolment)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("studies:detail", pk=study.pk)
    arm = selectors.allocation_of(request.membership, enrolment)
    if arm:
        messages.success(
            request,
            _("Randomised %(code)s: %(arm)s.") % {"code": enrolment.client.code, "arm": arm},
        )
    else:
        messages.success(
            request,
            _("Randomised %(code)s. The allocation stays concealed from you.")
            % {"code": enrolment.client.code},
        )
    return redirect("studies:detail", pk=study.pk)


@require_POST
def unblind(request: StaffRequest, pk: int) -> HttpResponse:
    study = _study(request, pk)
    form = forms.UnblindForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "studies/detail.html",
            _detail_context(request, study, unblind_form=form),
            status=422,
        )
    enrolment = selectors.enrolment_for_user(
        request.membership, study, form.cleaned_data["client_code"]
    )
    try:
        arm = services.unblind(
            by=_actor(request),
            enrolment=enrolment,
            reason=form.cleaned_data["reason"],
            secret=form.cleaned_data["secret"],
        )
    except ValidationError as error:
        return _refused(request, study, error, unblind_form=form)
    messages.warning(
        request,
        _("Unblinded %(code)s: %(arm)s. This is recorded and reported.")
        % {"code": enrolment.client.code, "arm": arm.name},
    )
    return redirect("studies:detail", pk=study.pk)


@require_POST
def assessment_schedule(request: StaffRequest, pk: int) -> HttpResponse:
    study = _study(request, pk)
    form = forms.AssessmentForm(request.POST, raters=_raters(study))
    if not form.is_valid():
        context = _detail_context(request, study, assessment_form=form)
        return render(request, "studies/detail.html", context, status=422)
    data = form.cleaned_data
    enrolment = selectors.enrolment_for_user(request.membership, study, data["client_code"])
    try:
        services.assessment_schedule(
            by=_actor(request),
            enrolment=enrolment,
            timepoint=data["timepoint"],
            due_on=data["due_on"],
            rater=selectors.study_rater_user(study, data["rater"]),
        )
    except ValidationError as error:
        return _refused(request, study, error, assessment_form=form)
    messages.success(request, _("Assessment scheduled for the blinded rater."))
    return redirect("studies:detail", pk=study.pk)


@require_POST
def lock(request: StaffRequest, pk: int) -> HttpResponse:
    study = _study(request, pk)
    form = forms.SignForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "studies/detail.html",
            _detail_context(request, study, sign_form=form),
            status=422,
        )
    enrolment = selectors.enrolment_for_user(
        request.membership, study, form.cleaned_data["client_code"]
    )
    try:
        services.enrolment_lock(
            by=_actor(request), enrolment=enrolment, secret=form.cleaned_data["secret"]
        )
    except ValidationError as error:
        return _refused(request, study, error, sign_form=form)
    messages.success(request, _("Locked and signed."))
    return redirect("studies:detail", pk=study.pk)


@require_POST
def guess(request: StaffRequest, pk: int) -> HttpResponse:
    study = _study(request, pk)
    arms = [(str(a.pk), a.name) for a in study.arms.all()]
    form = forms.GuessForm(request.POST, arms=arms)
    if not form.is_valid():
        return render(
            request,
            "studies/detail.html",
            _detail_context(request, study, guess_form=form),
            status=422,
        )
    data = form.cleaned_data
    enrolment = selectors.enrolment_for_user(request.membership, study, data["client_code"])
    arm = selectors.study_arm(study, data["arm"]) if data["arm"] else None
    try:
        services.guess_record(
            by=_actor(request),
            enrolment=enrolment,
            guesser=data["guesser"],
            timepoint=data["timepoint"],
            arm=arm,
            confidence=data["confidence"],
        )
    except ValidationError as error:
        return _refused(request, study, error, guess_form=form)
    messages.success(request, _("Guess recorded."))
    return redirect("studies:detail", pk=study.pk)


@require_POST
def deviation(request: StaffRequest, pk: int) -> HttpResponse:
    study = _study(request, pk)
    sites = [(s.pk, s.clinic.name) for s in study.sites.select_related("clinic")]
    form = forms.DeviationForm(request.POST, sites=sites)
    if not form.is_valid():
        return render(
            request,
            "studies/detail.html",
            _detail_context(request, study, deviation_form=form),
            status=422,
        )
    data = form.cleaned_data
    enrolment = (
        selectors.enrolment_for_user(request.membership, study, data["client_code"])
        if data["client_code"]
        else None
    )
    try:
        services.deviation_report(
            by=_actor(request),
            study=study,
            site=selectors.study_site(study, data["site"]),
            severity=data["severity"],
            description=data["description"],
            action=data["action"],
            enrolment=enrolment,
        )
    except ValidationError as error:
        return _refused(request, study, error, deviation_form=form)
    messages.success(request, _("Deviation reported to the medical lead."))
    return redirect("studies:detail", pk=study.pk)


# --- queries -------------------------------------------------------------------------------


def _queries_context(request: StaffRequest, study: Any, **extra: Any) -> dict[str, Any]:
    membership = request.membership
    return {
        "study": study,
        "queries": selectors.queries_for_user(membership, study),
        "can_raise": policies.can_raise_query(membership, study),
        "can_close": policies.can_close_query(membership, study),
        "query_form": extra.pop("query_form", None) or forms.QueryForm(),
        "answer_form": forms.AnswerForm(),
        "statuses": QueryStatus,
        **extra,
    }


@require_GET
def queries(request: StaffRequest, pk: int) -> HttpResponse:
    study = _study(request, pk)
    context = _queries_context(request, study)
    audit_read(_actor(request), "studies.query.list", target=study)
    return render(request, "studies/queries.html", context)


@require_POST
def query_raise(request: StaffRequest, pk: int) -> HttpResponse:
    study = _study(request, pk)
    form = forms.QueryForm(request.POST)
    if form.is_valid():
        enrolment = selectors.enrolment_for_user(
            request.membership, study, form.cleaned_data["client_code"]
        )
        try:
            services.query_raise(
                by=_actor(request),
                enrolment=enrolment,
                item=form.cleaned_data["item"],
                question=form.cleaned_data["question"],
            )
            messages.success(request, _("Query raised."))
            return redirect("studies:queries", pk=study.pk)
        except ValidationError as error:
            show_refusal(form, error)
    return render(
        request,
        "studies/queries.html",
        _queries_context(request, study, query_form=form),
        status=422,
    )


@require_POST
def query_answer(request: StaffRequest, pk: int, query_pk: int) -> HttpResponse:
    study = _study(request, pk)
    query = selectors.query_for_user(request.membership, study, query_pk)
    form = forms.AnswerForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError({"answer": [_("This field is required.")]})
        services.query_answer(by=_actor(request), query=query, answer=form.cleaned_data["answer"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("studies:queries", pk=study.pk)
    messages.success(request, _("Answered."))
    return redirect("studies:queries", pk=study.pk)


@require_POST
def query_close(request: StaffRequest, pk: int, query_pk: int) -> HttpResponse:
    study = _study(request, pk)
    query = selectors.query_for_user(request.membership, study, query_pk)
    try:
        services.query_close(by=_actor(request), query=query)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("studies:queries", pk=study.pk)
    messages.success(request, _("Closed."))
    return redirect("studies:queries", pk=study.pk)


# --- reports -------------------------------------------------------------------------------


@require_GET
def blinding_report(request: StaffRequest, pk: int) -> HttpResponse:
    study = _study(request, pk)
    timepoint = request.GET.get("timepoint", "endpoint")[:40]
    report = selectors.blinding_report(request.membership, study, timepoint=timepoint)
    audit_read(_actor(request), "studies.blinding.view", target=study)
    choices = [(t, timepoint_label(t)) for t in report["timepoints"]]
    return render(
        request,
        "studies/blinding.html",
        {"study": study, "report": report, "timepoint_choices": choices},
    )


@require_GET
def reports(request: StaffRequest, pk: int) -> HttpResponse:
    study = _study(request, pk)
    membership = request.membership
    context = {
        "study": study,
        "consort": selectors.consort(membership, study),
        "per_site": selectors.deviations_per_site(membership, study),
        "deviations": selectors.deviations_for_user(membership, study),
    }
    audit_read(_actor(request), "studies.reports.view", target=study)
    return render(request, "studies/reports.html", context)


# --- the blinded rater ---------------------------------------------------------------------


@require_GET
def rater(request: StaffRequest) -> HttpResponse:
    assessments = selectors.assessments_for_rater(request.membership)
    audit_read(_actor(request), "studies.assessment.list")
    return render(request, "studies/rater.html", {"assessments": assessments})


def _items(request: StaffRequest, code: str) -> list[str]:
    membership = request.membership
    definition = library.definition_for(membership.clinic_id if membership else None, code)
    return [item.link_id for item in definition.items]


def rater_assessment(request: StaffRequest, pk: int) -> HttpResponse:
    assessment = selectors.assessment_for_rater(request.membership, pk)
    study = assessment.enrolment.study
    items = _items(request, assessment.instrument_code)
    arms = [(str(a.pk), a.name) for a in study.arms.all()]
    if request.method == "POST":
        form = forms.rating_form(items, request.POST)
        guess_form = forms.RaterGuessForm(request.POST, arms=arms)
        if form.is_valid() and guess_form.is_valid():
            answers = {key.removeprefix("item_"): value for key, value in form.cleaned_data.items()}
            try:
                services.rating_record(by=_actor(request), assessment=assessment, answers=answers)
                arm_pk = guess_form.cleaned_data["arm"]
                services.guess_record(
                    by=_actor(request),
                    enrolment=assessment.enrolment,
                    guesser="rater",
                    timepoint=assessment.timepoint,
                    arm=study.arms.get(pk=arm_pk) if arm_pk else None,
                    confidence=guess_form.cleaned_data["confidence"],
                )
            except ValidationError as error:
                show_refusal(form, error)
            else:
                messages.success(request, _("Rating saved."))
                return redirect("studies:rater")
        status = 422
    elif request.method == "GET":
        form, guess_form, status = forms.rating_form(items), forms.RaterGuessForm(arms=arms), 200
        audit_read(
            _actor(request),
            "studies.assessment.view",
            target=assessment,
            client=assessment.enrolment.client,
        )
    else:
        return HttpResponse(status=405)
    return render(
        request,
        "studies/rater_assessment.html",
        {"assessment": assessment, "form": form, "guess_form": guess_form},
        status=status,
    )


# --- regulators' periodic counts -----------------------------------------------------------


@require_GET
def tga_report(request: StaffRequest) -> HttpResponse:
    form = forms.PeriodForm(request.GET or None)
    report = None
    if form.is_valid():
        report = regulatory_reports.tga_six_monthly(
            request.membership, year=form.cleaned_data["year"], half=int(form.cleaned_data["half"])
        )
        audit_read(_actor(request), "studies.tga_report.view")
    elif request.membership is None or request.membership.role != Role.MEDICAL_LEAD:
        raise PermissionDenied(_("The authorised prescriber's report is for medical leads."))
    return render(request, "studies/tga.html", {"form": form, "report": report})


# --- setting a study up (the sponsoring clinic's medical lead) ------------------------------


def _study_form(request: StaffRequest, data: Any = None) -> forms.StudyForm:
    from holdspace.courses import selectors as courses_selectors

    membership = request.membership
    assert membership is not None  # noqa: S101  (the caller checked the policy)
    templates = [
        (key, template.name)
        for key, template in courses_selectors.templates_available(membership).items()
    ]
    others = policies.site_clinic_ids(membership) - {membership.clinic_id}
    sites = [(c.pk, c.name) for c in selectors.clinics_by_id(others)]
    return forms.StudyForm(data, templates=templates, sites=sites)


def study_new(request: StaffRequest) -> HttpResponse:
    if not policies.can_create_study(request.membership):
        raise PermissionDenied(_("Only a medical lead may set up a study."))
    if request.method == "GET":
        form = _study_form(request)
        return render(request, "studies/new.html", {"form": form})
    if request.method != "POST":
        return HttpResponse(status=405)
    form = _study_form(request, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            study = services.study_create(
                by=_actor(request),
                code=data["code"],
                title=data["title"],
                protocol_template=data["protocol_template"],
                arms=data["arms"],
                sites=selectors.clinics_by_id(int(pk) for pk in data["sites"]),
                strata=data["strata"],
            )
        except ValidationError as error:
            show_refusal(form, error)
        else:
            messages.success(request, _("Study set up. Now make its allocation list."))
            return redirect("studies:setup", pk=study.pk)
    return render(request, "studies/new.html", {"form": form}, status=422)


def _setup_study(request: StaffRequest, pk: int) -> Any:
    study = _study(request, pk)  # 404 outside the study
    if not policies.can_set_up(request.membership, study):
        raise PermissionDenied(_("Only the sponsoring clinic's medical lead sets a study up."))
    return study


def _setup_page(request: StaffRequest, study: Any, status: int = 200, **extra: Any) -> HttpResponse:
    context = {
        "study": study,
        "summary": selectors.study_summary(request.membership, study),
        "list_sizes": selectors.allocation_list_sizes(request.membership, study),
        "randomised": selectors.any_randomised(study),
        "generate_form": extra.pop("generate_form", None) or forms.GenerateForm(),
        "upload_form": extra.pop("upload_form", None) or forms.UploadForm(),
        "enrol_form": forms.EnrolForm(strata=study.strata),
    }
    return render(request, "studies/setup.html", context, status=status)


@require_GET
def setup(request: StaffRequest, pk: int) -> HttpResponse:
    study = _setup_study(request, pk)
    audit_read(_actor(request), "studies.study.setup_view", target=study)
    return _setup_page(request, study)


@require_POST
def allocation_generate(request: StaffRequest, pk: int) -> HttpResponse:
    study = _setup_study(request, pk)
    form = forms.GenerateForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            count = services.allocation_generate(
                by=_actor(request),
                study=study,
                seed=data["seed"],
                block_sizes=data["block_sizes"],
                per_stratum=data["per_stratum"],
            )
        except ValidationError as error:
            show_refusal(form, error)
        else:
            messages.success(request, _("Concealed list generated: %(n)s lines.") % {"n": count})
            return redirect("studies:setup", pk=study.pk)
    return _setup_page(request, study, status=422, generate_form=form)


@require_POST
def allocation_upload(request: StaffRequest, pk: int) -> HttpResponse:
    study = _setup_study(request, pk)
    form = forms.UploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            count = services.allocation_upload(
                by=_actor(request), study=study, text=form.cleaned_data["file"]
            )
        except ValidationError as error:
            show_refusal(form, error)
        else:
            messages.success(request, _("Concealed list uploaded: %(n)s lines.") % {"n": count})
            return redirect("studies:setup", pk=study.pk)
    return _setup_page(request, study, status=422, upload_form=form)
