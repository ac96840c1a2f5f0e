"""Integration pages: notes (sign, then addenda), check-ins and the client's journal."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from holdspace.core.forms import posted, submit
from holdspace.core.http import StaffRequest
from holdspace.courses.models import VisitKind
from holdspace.courses.selectors import current_course
from holdspace.people.actors import Actor
from holdspace.people.auditing import audit_read
from holdspace.people.models import Client
from holdspace.people.selectors import client_for_user

from . import policies, selectors, services
from .forms import AddendumForm, CheckInForm, NoteForm
from .models import IntegrationNote


def _context(request: StaffRequest, client: Client) -> dict[str, object]:
    course = current_course(client)
    if course is None:
        raise Http404("No course yet.")
    return {
        "client": client,
        "course": course,
        "notes": selectors.notes_of_client(client),
        "check_ins": selectors.check_ins_of_client(client)[:30],
        "journal": selectors.journal_of_client(client)[:30],
        "can_write": policies.can_write_integration(request.membership, client),
    }


def _visits(client: Client):  # type: ignore[no-untyped-def]
    course = current_course(client)
    return course.visits.filter(kind=VisitKind.INTEGRATION) if course else None


@require_http_methods(["GET", "POST"])
def integration(request: StaffRequest, code: str) -> HttpResponse:
    client = selectors.integration_client_for_user(request.membership, code)
    context = _context(request, client)
    form = NoteForm(posted(request), visits=_visits(client))
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            note = submit(
                form,
                lambda: services.note_create(
                    by=Actor.from_request(request),
                    course=context["course"],  # type: ignore[arg-type]
                    client=client,
                    text=form.cleaned_data["text"],
                    visit=form.cleaned_data.get("visit"),
                ),
            )
            if note is not None:
                messages.success(request, _("The note was saved. Sign it when it is final."))
                return redirect("integration:note", code=client.code, pk=note.pk)
    else:
        audit_read(
            Actor.from_request(request),
            "integration.view",
            client=client,
            fields=["notes", "check_ins", "journal"],
        )
    context.update({"form": form, "check_in_form": CheckInForm()})
    return render(request, "integration/integration.html", context, status=status)


def _note(request: StaffRequest, code: str, pk: int) -> tuple[Client, IntegrationNote]:
    note = selectors.note_for_user(request.membership, code, pk)
    return note.client, note


@require_http_methods(["GET", "POST"])
def note(request: StaffRequest, code: str, pk: int) -> HttpResponse:
    client, found = _note(request, code, pk)
    form = NoteForm(posted(request), initial={"text": found.text})
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            done = submit(
                form,
                lambda: services.note_update(
                    by=Actor.from_request(request), note=found, text=form.cleaned_data["text"]
                ),
            )
            if done is not None:
                messages.success(request, _("Saved."))
                return redirect("integration:note", code=client.code, pk=found.pk)
    else:
        audit_read(
            Actor.from_request(request), "integration_note.view", client=client, target=found
        )
    return render(
        request,
        "integration/note.html",
        {
            "client": client,
            "note": found,
            "form": form,
            "addendum_form": AddendumForm(),
            "can_write": policies.can_write_integration(request.membership, client),
        },
        status=status,
    )


@require_POST
def note_sign(request: StaffRequest, code: str, pk: int) -> HttpResponse:
    client, found = _note(request, code, pk)
    try:
        services.note_sign(by=Actor.from_request(request), note=found)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The note is signed and locked."))
    return redirect("integration:note", code=client.code, pk=found.pk)


@require_POST
def note_addendum(request: StaffRequest, code: str, pk: int) -> HttpResponse:
    client, found = _note(request, code, pk)
    form = AddendumForm(request.POST)
    if form.is_valid():
        done = submit(
            form,
            lambda: services.note_addendum_add(
                by=Actor.from_request(request), note=found, text=form.cleaned_data["text"]
            ),
        )
        if done is not None:
            messages.success(request, _("The addendum was added."))
            return redirect("integration:note", code=client.code, pk=found.pk)
    return render(
        request,
        "integration/note.html",
        {
            "client": client,
            "note": found,
            "form": NoteForm(initial={"text": found.text}),
            "addendum_form": form,
            "can_write": True,
        },
        status=422,
    )


@require_POST
def check_in(request: StaffRequest, code: str) -> HttpResponse:
    client = client_for_user(request.membership, code)
    course = current_course(client)
    if course is None:
        raise Http404
    if not policies.can_write_integration(request.membership, client):
        raise PermissionDenied
    form = CheckInForm(request.POST)
    if form.is_valid():
        services.check_in_record(
            by=Actor.from_request(request), course=course, client=client, **form.cleaned_data
        )
        messages.success(request, _("The check-in was recorded."))
        return redirect("integration:integration", code=client.code)
    context = _context(request, client)
    context.update({"form": NoteForm(visits=_visits(client)), "check_in_form": form})
    return render(request, "integration/integration.html", context, status=422)
