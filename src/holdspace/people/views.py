"""Client pages and the clinic admin's staff pages."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from holdspace.core.extensions import client_panels, settings_panels
from holdspace.core.forms import posted, status_of, submit
from holdspace.core.http import StaffRequest

from . import policies, selectors, services
from .actors import Actor
from .forms import (
    CareTeamAddForm,
    ClientCreateForm,
    ClientSearchForm,
    ClinicSettingsForm,
    StaffCreateForm,
    StaffUpdateForm,
)
from .invitations import invitation_send
from .models import Membership


def _membership(request: StaffRequest) -> Membership | None:
    return request.membership


def client_list(request: StaffRequest) -> HttpResponse:
    membership = _membership(request)
    if membership is None or not policies.can_list_clients(membership):
        raise PermissionDenied
    form = ClientSearchForm(request.GET or None)
    query = phase = ""
    if form.is_valid():
        query, phase = form.cleaned_data["q"], form.cleaned_data["phase"]
    clients = selectors.client_search(membership, query=query, phase=phase).select_related(
        "identity"
    )
    page = Paginator(clients, 50).get_page(request.GET.get("page"))
    services.client_list_record(by=Actor.from_request(request))
    context = {
        "form": form,
        "page": page,
        "show_names": membership.role in policies.IDENTITY_ROLES,
        "can_create": policies.can_create_client(membership),
        "query_string": request.GET.urlencode(),
    }
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "client-rows":
        return render(request, "people/_client_rows.html", context)
    return render(request, "people/client_list.html", context)


@require_http_methods(["GET", "POST"])
def client_create(request: StaffRequest) -> HttpResponse:
    membership = _membership(request)
    if not policies.can_create_client(membership):
        raise PermissionDenied
    form = ClientCreateForm(posted(request))
    if request.method == "POST" and form.is_valid():
        client = services.client_create(by=Actor.from_request(request), **form.cleaned_data)
        messages.success(request, _("Client %(code)s was created.") % {"code": client.code})
        return redirect("people:client_detail", code=client.code)
    return render(request, "people/client_create.html", {"form": form}, status=status_of(form))


def client_detail(request: StaffRequest, code: str) -> HttpResponse:
    membership = _membership(request)
    client = selectors.client_for_user(
        membership,
        code,
        with_identity=membership is not None and membership.role in policies.IDENTITY_ROLES,
    )
    # The care team, which the page shows, read first: the panels' policies then ask it
    # whether the reader is on it rather than the database, a dozen times for a therapist.
    care_team = selectors.care_team_loaded(client)
    policies.care_team_read(client, care_team)
    show_identity = policies.can_read_identity(membership, client)
    services.client_view_record(
        by=Actor.from_request(request), client=client, identity_shown=show_identity
    )
    can_manage_team = policies.can_manage_care_team(membership, client)
    team_form = None
    if can_manage_team and membership is not None:
        team_form = CareTeamAddForm(
            choices=selectors.care_team_candidate_choices(membership, client)
        )
    return render(
        request,
        "people/client_detail.html",
        {
            "client": client,
            "identity": getattr(client, "identity", None) if show_identity else None,
            "care_team": care_team,
            "can_manage_team": can_manage_team,
            "team_form": team_form,
            "panels": client_panels(request, client),
        },
    )


@require_POST
def care_team_add(request: StaffRequest, code: str) -> HttpResponse:
    membership = _membership(request)
    client = selectors.client_for_user(membership, code)
    if membership is None or not policies.can_manage_care_team(membership, client):
        raise PermissionDenied
    form = CareTeamAddForm(request.POST, staff=selectors.care_team_candidates(membership, client))
    if form.is_valid():
        done = submit(
            form,
            lambda: services.care_team_add(
                by=Actor.from_request(request),
                client=client,
                member=form.cleaned_data["member"],
                role=form.cleaned_data["role"],
            ),
        )
        if done is not None:
            messages.success(request, _("The care team was updated."))
            return redirect("people:client_detail", code=client.code)
    return render(
        request,
        "people/client_detail.html",
        {
            "client": client,
            "identity": getattr(client, "identity", None)
            if policies.can_read_identity(membership, client)
            else None,
            "care_team": selectors.care_team_for(client),
            "can_manage_team": True,
            "team_form": form,
        },
        status=422,
    )


@require_POST
def care_team_remove(request: StaffRequest, code: str, pk: int) -> HttpResponse:
    membership = _membership(request)
    placement = selectors.care_team_placement_for_user(membership, code, pk)
    services.care_team_remove(by=Actor.from_request(request), placement=placement)
    messages.success(request, _("The care team was updated."))
    return redirect("people:client_detail", code=placement.client.code)


# The clinic admin's pages ------------------------------------------------------------------


def _admin_membership(request: StaffRequest) -> Membership:
    membership = _membership(request)
    if membership is None or not policies.can_manage_staff(membership):
        raise PermissionDenied
    return membership


def staff_list(request: StaffRequest) -> HttpResponse:
    membership = _admin_membership(request)
    return render(
        request,
        "people/staff_list.html",
        {"staff": selectors.staff_of_clinic(membership), "clinic": membership.clinic},
    )


@require_http_methods(["GET", "POST"])
def staff_create(request: StaffRequest) -> HttpResponse:
    _admin_membership(request)
    form = StaffCreateForm(posted(request))
    if request.method == "POST" and form.is_valid():
        created = submit(
            form, lambda: services.staff_create(by=Actor.from_request(request), **form.cleaned_data)
        )
        if created is not None:
            # They choose their own password through an invitation link of their own.
            invitation_send(
                request=request, user=created.user, kind="staff", invited_by=request.user
            )
            messages.success(
                request,
                _("%(email)s was added. They were sent a link to choose a password.")
                % {"email": created.user.email},
            )
            return redirect("clinic:staff_list")
    return render(
        request, "people/staff_form.html", {"form": form, "member": None}, status=status_of(form)
    )


@require_http_methods(["GET", "POST"])
def staff_edit(request: StaffRequest, pk: int) -> HttpResponse:
    admin = _admin_membership(request)
    member = selectors.staff_member_for_admin(admin, pk)
    form = StaffUpdateForm(
        posted(request), initial={"role": member.role, "is_active": member.is_active}
    )
    if request.method == "POST" and form.is_valid():
        done = submit(
            form,
            lambda: services.staff_update(
                by=Actor.from_request(request), membership=member, **form.cleaned_data
            ),
        )
        if done is not None:
            messages.success(request, _("Saved."))
            return redirect("clinic:staff_list")
    return render(
        request, "people/staff_form.html", {"form": form, "member": member}, status=status_of(form)
    )


@require_http_methods(["GET", "POST"])
def clinic_settings(request: StaffRequest) -> HttpResponse:
    admin = _admin_membership(request)
    form = ClinicSettingsForm(
        posted(request), initial={"idle_timeout_minutes": admin.clinic.idle_timeout_minutes}
    )
    if request.method == "POST" and form.is_valid():
        services.clinic_settings_update(by=Actor.from_request(request), **form.cleaned_data)
        messages.success(request, _("Saved."))
        return redirect("clinic:clinic_settings")
    return render(
        request,
        "people/clinic_settings.html",
        {"form": form, "clinic": admin.clinic, "panels": settings_panels(request, admin)},
        status=status_of(form),
    )
