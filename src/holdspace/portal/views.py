"""The client portal: phone-sized pages for the client's own record only."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from holdspace.core.forms import submit
from holdspace.core.http import StaffRequest
from holdspace.courses.selectors import check_in_due_today, course_settings, current_course
from holdspace.integration import services as integration_services
from holdspace.integration.forms import CheckInForm
from holdspace.people.actors import Actor
from holdspace.people.auditing import audit_read
from holdspace.people.invitations import invitation_send
from holdspace.people.selectors import client_for_user
from holdspace.preparation import services as preparation_services
from holdspace.preparation.selectors import due_measures, preparation_for

from . import selectors, services
from .forms import IntentionsForm, InviteForm, JournalForm
from .models import PortalAccount


def _account(request: HttpRequest) -> PortalAccount:
    """The signed-in client's account. Staff (anyone with a membership) are refused."""
    return selectors.portal_account_for_user(
        request.user,  # type: ignore[arg-type]  # signed in: LoginRequiredMiddleware
        getattr(request, "membership", None),
    )


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    account = _account(request)
    client = account.client
    course = current_course(client)
    settings = course_settings(client.clinic_id)
    upcoming = []
    preparation = None
    check_in_today = None
    if course is not None:
        check_in_today = check_in_due_today(course)
        upcoming = selectors.upcoming_visits(course)
        preparation = preparation_for(course, client)
    audit_read(Actor.from_request(request), "portal.view", client=client)
    return render(
        request,
        "portal/home.html",
        {
            "client": client,
            "course": course,
            "upcoming": upcoming,
            "preparation": preparation,
            "settings": settings,
            "journal": selectors.journal_recent(client),
            # What is due in the next two weeks (or overdue), not the whole course's list.
            "due_measures": due_measures(client, within_days=14),
            "journal_form": JournalForm(),
            "intentions_form": IntentionsForm(
                initial={"intentions": preparation.intentions if preparation else ""}
            ),
            "check_in_form": CheckInForm(),
            "check_in_today": check_in_today,
            "checked_in_today": selectors.checked_in_today(client),
        },
    )


@require_GET
def access_log(request: HttpRequest) -> HttpResponse:
    """Who on the staff opened or changed the client's record, and when (pasientjournalloven
    § 18). Only the client's own record; this read is audited like any other."""
    account = _account(request)
    client = account.client
    rows = selectors.record_access_for_client(client)
    audit_read(Actor.from_request(request), "portal.access_log.view", client=client)
    return render(request, "portal/access_log.html", {"rows": rows})


@require_POST
def journal(request: HttpRequest) -> HttpResponse:
    account = _account(request)
    form = JournalForm(request.POST)
    if form.is_valid():
        integration_services.journal_write(
            by=Actor.from_request(request), client=account.client, text=form.cleaned_data["text"]
        )
        messages.success(request, _("Saved in your journal."))
    else:
        messages.error(request, _("Write something first."))
    return redirect("portal:home")


@require_POST
def intentions(request: HttpRequest) -> HttpResponse:
    account = _account(request)
    course = current_course(account.client)
    form = IntentionsForm(request.POST)
    if course is None or not form.is_valid():
        messages.error(request, _("Write your intentions first."))
        return redirect("portal:home")
    preparation_services.intentions_write(
        by=Actor.from_request(request),
        course=course,
        client=account.client,
        intentions=form.cleaned_data["intentions"],
    )
    messages.success(request, _("Your intentions were saved."))
    return redirect("portal:home")


@require_POST
def check_in(request: HttpRequest) -> HttpResponse:
    account = _account(request)
    course = current_course(account.client)
    form = CheckInForm(request.POST)
    if course is None or not form.is_valid():
        messages.error(request, _("Answer each question with a number from 0 to 10."))
        return redirect("portal:home")
    integration_services.check_in_record(
        by=Actor.from_request(request), course=course, client=account.client, **form.cleaned_data
    )
    messages.success(request, _("Thank you. Your team will see this."))
    return redirect("portal:home")


@require_POST
def invite(request: StaffRequest, code: str) -> HttpResponse:
    client = client_for_user(request.membership, code)
    form = InviteForm(request.POST)
    if form.is_valid():
        account = submit(
            form,
            lambda: services.portal_invite(
                by=Actor.from_request(request), client=client, email=form.cleaned_data["email"]
            ),
        )
        if account is not None:
            invitation_send(
                request=request, user=account.user, kind="client", invited_by=request.user
            )
            messages.success(request, _("The client was sent a link to choose a password."))
            return redirect("people:client_detail", code=client.code)
    messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("people:client_detail", code=client.code)
