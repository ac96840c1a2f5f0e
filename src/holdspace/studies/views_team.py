"""The study team page (roles and sites), the invited clinic's answer, and the follow-up job
run from the study page. Views only wire forms, selectors and services together."""

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
from holdspace.people.actors import Actor
from holdspace.people.auditing import audit_read

from . import follow_up, forms, policies, selectors, team
from .models import Study


def _actor(request: StaffRequest) -> Actor:
    return Actor.from_request(request)


def _team_study(request: StaffRequest, pk: int) -> Study:
    """404 outside the study; 403 for a role of a site that does not keep the team."""
    study = selectors.study_for_user(request.membership, pk)
    if not team.can_see_team(request.membership, study):
        raise PermissionDenied(_("The study team is kept by the medical leads of its sites."))
    return study


def _people(request: StaffRequest, study: Study) -> list[tuple[int, str]]:
    return [
        (m.pk, f"{m.user.get_full_name() or '-'} · {m.user.email} ({m.get_role_display()})")
        for m in team.team_candidates(request.membership, study)
    ]


def _page(request: StaffRequest, study: Study, status: int = 200, **extra: Any) -> HttpResponse:
    membership = request.membership
    sponsor = policies.can_set_up(membership, study)
    rows = team.team_rows(membership, study)
    change_forms = extra.pop("change_forms", {})
    for row in rows:
        member = row["member"]
        if row["can_manage"]:
            row["form"] = change_forms.get(member.pk) or forms.MemberRoleForm(
                prefix=f"m{member.pk}", initial={"role": member.role}
            )
    context = {
        "study": study,
        "rows": rows,
        "history": team.role_history(membership, study),
        "sites": study.sites.select_related("clinic"),
        "is_sponsor": sponsor,
        "invitations": team.invitations_sent(membership, study) if sponsor else [],
        "add_form": extra.pop("add_form", None)
        or forms.MemberAddForm(people=_people(request, study)),
        "invite_form": extra.pop("invite_form", None) or forms.InviteForm(),
        **extra,
    }
    return render(request, "studies/team.html", context, status=status)


@require_GET
def team_page(request: StaffRequest, pk: int) -> HttpResponse:
    study = _team_study(request, pk)
    audit_read(_actor(request), "studies.team.view", target=study)
    return _page(request, study)


@require_POST
def member_add(request: StaffRequest, pk: int) -> HttpResponse:
    study = _team_study(request, pk)
    form = forms.MemberAddForm(request.POST, people=_people(request, study))
    if form.is_valid():
        data = form.cleaned_data
        try:
            team.study_member_add(
                by=_actor(request),
                study=study,
                user=team.candidate_user(request.membership, study, data["person"]),
                role=data["role"],
                reason=data["reason"],
                confirm_unblinding=data["confirm_unblinding"],
            )
        except ValidationError as error:
            show_refusal(form, error)
        else:
            messages.success(request, _("Study role given."))
            return redirect("studies:team", pk=study.pk)
    return _page(request, study, status=422, add_form=form)


@require_POST
def member_change(request: StaffRequest, pk: int, member_pk: int) -> HttpResponse:
    study = _team_study(request, pk)
    member = team.member_for_user(request.membership, study, member_pk)
    form = forms.MemberRoleForm(request.POST, prefix=f"m{member.pk}")
    if form.is_valid():
        data = form.cleaned_data
        try:
            team.study_member_change(
                by=_actor(request),
                member=member,
                role=data["role"],
                reason=data["reason"],
                confirm_unblinding=data["confirm_unblinding"],
            )
        except ValidationError as error:
            show_refusal(form, error)
        else:
            messages.success(request, _("Study role changed."))
            return redirect("studies:team", pk=study.pk)
    return _page(request, study, status=422, change_forms={member.pk: form})


@require_POST
def member_remove(request: StaffRequest, pk: int, member_pk: int) -> HttpResponse:
    study = _team_study(request, pk)
    member = team.member_for_user(request.membership, study, member_pk)
    form = forms.MemberRemoveForm(request.POST)
    if not form.is_valid():
        return _page(request, study, status=422)
    team.study_member_remove(by=_actor(request), member=member, reason=form.cleaned_data["reason"])
    messages.success(request, _("Study role taken away."))
    return redirect("studies:team", pk=study.pk)


@require_POST
def site_invite(request: StaffRequest, pk: int) -> HttpResponse:
    study = _team_study(request, pk)
    form = forms.InviteForm(request.POST)
    if form.is_valid():
        try:
            invitation = team.site_invite(
                by=_actor(request), study=study, clinic_slug=form.cleaned_data["clinic"]
            )
        except ValidationError as error:
            show_refusal(form, error)
        else:
            messages.success(
                request,
                _("%(clinic)s is invited; it becomes a site when its medical lead accepts.")
                % {"clinic": invitation.clinic.name},
            )
            return redirect("studies:team", pk=study.pk)
    return _page(request, study, status=422, invite_form=form)


@require_POST
def invitation_answer(request: StaffRequest, invitation_pk: int, answer: str) -> HttpResponse:
    invitation = team.invitation_for_user(request.membership, invitation_pk)
    try:
        site = team.site_invitation_answer(
            by=_actor(request), invitation=invitation, accept=answer == "accept"
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("studies:home")
    if site is not None:
        messages.success(
            request, _("Your clinic is now a site of %(code)s.") % {"code": site.study.code}
        )
        return redirect("studies:detail", pk=site.study_id)
    messages.success(request, _("Invitation declined."))
    return redirect("studies:home")


@require_POST
def follow_ups_schedule(request: StaffRequest, pk: int) -> HttpResponse:
    """Run the follow-up job now for the reader's own site (it also runs daily)."""
    study = selectors.study_for_user(request.membership, pk)
    done = follow_up.follow_ups_schedule(by=_actor(request), study=study)
    messages.success(
        request,
        _("Follow-ups checked for %(n)s clients: %(made)s asked, %(moved)s moved.")
        % {"n": done.clients, "made": done.made, "moved": done.moved},
    )
    return redirect("studies:detail", pk=study.pk)
