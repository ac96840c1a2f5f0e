"""The preparation page: set and setting, consents, and whether the client is ready."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from holdspace.core.forms import posted, submit
from holdspace.core.http import StaffRequest
from holdspace.courses.selectors import course_settings, current_course, rooms_of_clinic
from holdspace.people.actors import Actor
from holdspace.people.auditing import audit_read
from holdspace.people.selectors import client_for_user

from . import policies, selectors, services
from .forms import OverrideForm, PreparationForm


@require_http_methods(["GET", "POST"])
def preparation(request: StaffRequest, code: str) -> HttpResponse:
    membership = request.membership
    client = selectors.preparation_client_for_user(membership, code)
    course = current_course(client)
    if course is None or membership is None:
        raise Http404("No course yet.")
    record = selectors.preparation_for(course, client)
    can_edit = policies.can_change_preparation(membership, client)
    settings = course_settings(client.clinic_id)
    form = PreparationForm(
        posted(request),
        instance=record,
        rooms=rooms_of_clinic(membership).filter(is_active=True),
        records_sessions=settings.records_sessions,
    )
    status = 200
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        status = 422
        if form.is_valid():
            values = {name: form.cleaned_data[name] for name in form.fields}
            done = submit(
                form,
                lambda: services.preparation_update(
                    by=Actor.from_request(request), course=course, client=client, **values
                ),
            )
            if done is not None:
                messages.success(request, _("Preparation saved."))
                return redirect("preparation:preparation", code=client.code)
    else:
        audit_read(
            Actor.from_request(request),
            "preparation.view",
            client=client,
            target=record if record.pk else None,
        )
    return render(
        request,
        "preparation/preparation.html",
        {
            "client": client,
            "course": course,
            "form": form,
            "can_edit": can_edit,
            "readiness": selectors.preparation_readiness(client),
            "due_measures": selectors.due_measures(client, before_sessions_only=True),
            "override_form": OverrideForm()
            if policies.can_override_readiness(membership, client)
            else None,
        },
        status=status,
    )


@require_POST
def override(request: StaffRequest, code: str) -> HttpResponse:
    client = client_for_user(request.membership, code)
    course = current_course(client)
    if course is None:
        raise Http404
    form = OverrideForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write why the session may go ahead."))
        return redirect("preparation:preparation", code=client.code)
    try:
        services.readiness_override(
            by=Actor.from_request(request),
            course=course,
            client=client,
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Override recorded."))
    return redirect("preparation:preparation", code=client.code)
