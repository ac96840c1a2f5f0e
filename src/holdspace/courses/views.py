"""Course pages: start a course, its proposed schedule, moves, calendars, rooms, templates."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from holdspace.audit.models import Channel
from holdspace.core.compiled import CompiledQueries
from holdspace.core.forms import posted, show_refusal, status_of, submit
from holdspace.core.http import StaffRequest
from holdspace.people import policies as people_policies
from holdspace.people.actors import Actor, client_ip
from holdspace.people.auditing import audit_read
from holdspace.people.models import Client, Membership
from holdspace.people.selectors import client_for_user

from . import policies, selectors, services
from .forms import (
    WEEKDAYS,
    CourseAcceptForm,
    CourseCloseForm,
    CourseCreateForm,
    CourseSettingsForm,
    DosePlanForm,
    RoomForm,
    TemplateEditForm,
    VisitAssignForm,
    VisitMoveForm,
)
from .models import Course, VisitKind


def home(request: StaffRequest) -> HttpResponse:
    """The nav's Courses: my coming visits and the calendars."""
    membership = request.membership
    if membership is None or not (
        people_policies.can_list_clients(membership) or policies.can_set_up_clinic(membership)
    ):
        raise PermissionDenied
    visits = selectors.calendar_visits(
        clinic_id=membership.clinic_id, start=timezone.localdate(), days=14, therapist=membership
    )
    return render(
        request,
        "courses/home.html",
        {
            "visits": visits,
            "can_set_up": policies.can_set_up_clinic(membership),
            "can_calendar": policies.can_see_calendars(membership),
        },
    )


# A client's courses --------------------------------------------------------------------------


def course_list(request: StaffRequest, code: str) -> HttpResponse:
    client = client_for_user(request.membership, code)
    audit_read(Actor.from_request(request), "course.list", client=client)
    return render(
        request,
        "courses/course_list.html",
        {
            "client": client,
            "courses": selectors.courses_of_client(client),
            "can_manage": policies.can_manage_course(request.membership, client),
        },
    )


@require_http_methods(["GET", "POST"])
def course_create(request: StaffRequest, code: str) -> HttpResponse:
    membership = request.membership
    client = client_for_user(membership, code)
    if membership is None or not policies.can_manage_course(membership, client):
        raise PermissionDenied
    templates = selectors.templates_available(membership)
    form = CourseCreateForm(
        posted(request),
        templates=templates,
        therapists=selectors.therapists_of_clinic(membership),
        leads=selectors.medical_leads_of_clinic(membership),
        rooms=selectors.rooms_of_clinic(membership).filter(is_active=True),
        initial={"therapists": [membership.pk] if membership.role == "therapist" else []},
    )
    screening_links: list[str] = []
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            clients = [client]
            partner_code = (data["partner"] or "").strip()
            try:
                if partner_code:
                    partner = client_for_user(membership, partner_code)
                    if partner.pk == client.pk:
                        raise ValidationError({"partner": _("The partner is another client.")})
                    clients.append(partner)
                course = services.course_create(
                    by=Actor.from_request(request),
                    clients=clients,
                    template_key=data["template"],
                    protocol=templates[data["template"]],
                    start_date=data["start_date"],
                    therapists=list(data["therapists"]),
                    medical_lead=data["medical_lead"],
                    room=data["room"],
                )
            except Http404:
                form.add_error("partner", _("No client with this code that you may see."))
            except ValidationError as error:
                show_refusal(form, error)
                if hasattr(error, "error_dict") and "client" in error.error_dict:
                    screening_links = [c.code for c in clients]
            else:
                messages.success(request, _("The schedule is proposed. Check it, then accept it."))
                return redirect("courses:course_detail", code=client.code, pk=course.pk)
    return render(
        request,
        "courses/course_create.html",
        {
            "client": client,
            "form": form,
            "templates": templates,
            "screening_links": screening_links,
        },
        status=status,
    )


def course_detail(request: StaffRequest, code: str, pk: int) -> HttpResponse:
    client = client_for_user(request.membership, code)
    course = selectors.course_for_client(client, pk)
    audit_read(Actor.from_request(request), "course.view", client=client, target=course)
    protocol = services.protocol_of(course)
    visits = list(selectors.visits_of_course(course))
    for visit in visits:
        visit.client_dose = services.dose_for_client(visit, client)  # type: ignore[attr-defined]
    return render(
        request,
        "courses/course_detail.html",
        {
            "client": client,
            "course": course,
            "protocol": protocol,
            "visits": visits,
            "team": course.team.select_related("membership__user"),
            "conflicts": services.course_conflicts(course),
            "can_manage": policies.can_manage_course(request.membership, client),
            "close_form": CourseCloseForm(),
            "now": timezone.now(),
        },
    )


@require_POST
def course_accept(request: StaffRequest, code: str, pk: int) -> HttpResponse:
    client = client_for_user(request.membership, code)
    course = selectors.course_for_client(client, pk)
    form = CourseAcceptForm(request.POST)
    try:
        form.is_valid()  # one optional box: always valid
        services.course_accept(
            by=Actor.from_request(request),
            course=course,
            client=client,
            accept_conflicts=form.cleaned_data.get("accept_conflicts", False),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The schedule was accepted."))
    return redirect("courses:course_detail", code=client.code, pk=course.pk)


@require_POST
def course_close(request: StaffRequest, code: str, pk: int) -> HttpResponse:
    client = client_for_user(request.membership, code)
    course = selectors.course_for_client(client, pk)
    form = CourseCloseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose why the course ended."))
        return redirect("courses:course_detail", code=client.code, pk=course.pk)
    try:
        services.course_close(
            by=Actor.from_request(request),
            course=course,
            client=client,
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The course was closed."))
    return redirect("courses:course_detail", code=client.code, pk=course.pk)


@require_http_methods(["GET", "POST"])
def visit_move(request: StaffRequest, code: str, pk: int, visit_pk: int) -> HttpResponse:
    client = client_for_user(request.membership, code)
    course = selectors.course_for_client(client, pk)
    visit = selectors.visit_of_course(course, visit_pk)
    if not policies.can_manage_course(request.membership, client):
        raise PermissionDenied
    form = VisitMoveForm(
        posted(request),
        initial={"starts_at": timezone.localtime(visit.starts_at).strftime("%Y-%m-%dT%H:%M")},
    )
    dose = services.dose_for_client(visit, client) or {}
    dose_form = DosePlanForm(
        initial={
            "initial_mg": dose.get("initial_mg"),
            "supplemental_mg": dose.get("supplemental_mg"),
        }
    )
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            moved = submit(
                form,
                lambda: services.visit_reschedule(
                    by=Actor.from_request(request),
                    course=course,
                    client=client,
                    visit=visit,
                    starts_at=form.cleaned_data["starts_at"],
                    reason=form.cleaned_data["reason"],
                ),
            )
            if moved is not None:
                messages.success(
                    request,
                    ngettext(
                        "%(label)s was moved, with %(n)d visit that follows it.",
                        "%(label)s was moved, with %(n)d visits that follow it.",
                        len(moved) - 1,
                    )
                    % {"label": visit.label, "n": len(moved) - 1},
                )
                return redirect("courses:course_detail", code=client.code, pk=course.pk)
    return render(
        request,
        "courses/visit_move.html",
        {
            "client": client,
            "course": course,
            "visit": visit,
            "form": form,
            "dose_form": dose_form if visit.kind == VisitKind.MEDICINE_SESSION else None,
            "followers": visit.followers.filter(cancelled=False).count(),
            "assign_form": _assign_form(request, visit),
            "moves": visit.moves.select_related("by__user").order_by("-at"),
        },
        status=status,
    )


def _assign_form(request: StaffRequest, visit: Any, data: Any = None) -> VisitAssignForm:
    membership = request.membership
    if membership is None:
        raise PermissionDenied
    return VisitAssignForm(
        data,
        therapists=selectors.therapists_of_clinic(membership),
        rooms=selectors.rooms_of_clinic(membership).filter(is_active=True),
        initial={"therapists": list(visit.therapists.all()), "room": visit.room},
    )


@require_POST
def visit_assign(request: StaffRequest, code: str, pk: int, visit_pk: int) -> HttpResponse:
    client = client_for_user(request.membership, code)
    course = selectors.course_for_client(client, pk)
    visit = selectors.visit_of_course(course, visit_pk)
    form = _assign_form(request, visit, request.POST)
    if form.is_valid():
        done = submit(
            form,
            lambda: services.visit_assign(
                by=Actor.from_request(request),
                course=course,
                client=client,
                visit=visit,
                therapists=list(form.cleaned_data["therapists"]),
                room=form.cleaned_data["room"],
            ),
        )
        if done is not None:
            messages.success(request, _("The visit's team and room were saved."))
            return redirect("courses:course_detail", code=client.code, pk=course.pk)
    return render(
        request,
        "courses/visit_move.html",
        {
            "client": client,
            "course": course,
            "visit": visit,
            "form": VisitMoveForm(
                initial={
                    "starts_at": timezone.localtime(visit.starts_at).strftime("%Y-%m-%dT%H:%M")
                }
            ),
            "assign_form": form,
            "followers": visit.followers.filter(cancelled=False).count(),
            "moves": visit.moves.select_related("by__user").order_by("-at"),
        },
        status=422,
    )


@require_POST
def visit_dose(request: StaffRequest, code: str, pk: int, visit_pk: int) -> HttpResponse:
    client = client_for_user(request.membership, code)
    course = selectors.course_for_client(client, pk)
    visit = selectors.visit_of_course(course, visit_pk)
    form = DosePlanForm(request.POST)
    if form.is_valid():
        supplemental = form.cleaned_data["supplemental_mg"]
        try:
            services.visit_dose_plan(
                by=Actor.from_request(request),
                course=course,
                client=client,
                visit=visit,
                initial_mg=float(form.cleaned_data["initial_mg"]),
                supplemental_mg=float(supplemental) if supplemental is not None else None,
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The planned dose was saved."))
    else:
        messages.error(request, _("Check the dose: a number of mg above 0."))
    return redirect("courses:course_detail", code=client.code, pk=course.pk)


# Calendars -----------------------------------------------------------------------------------


def _calendar_window(request: HttpRequest) -> tuple[str, dt.date, int]:
    view = "day" if request.GET.get("view") == "day" else "week"
    try:
        day = dt.date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        day = timezone.localdate()
    if view == "week":
        day -= dt.timedelta(days=day.weekday())
        return view, day, 7
    return view, day, 1


def _calendar(
    request: StaffRequest, *, title: str, therapist: Membership | None = None, room: Any = None
) -> HttpResponse:
    membership = request.membership
    if not policies.can_see_calendars(membership):
        raise PermissionDenied
    if membership is None:
        raise PermissionDenied
    view, start, days = _calendar_window(request)
    visits = list(
        selectors.calendar_visits(
            clinic_id=membership.clinic_id, start=start, days=days, therapist=therapist, room=room
        )
    )
    # Overlapping visits in one therapist's or one room's calendar are a conflict: mark them.
    clashes: set[int] = set()
    for i, visit in enumerate(visits):
        for other in visits[i + 1 :]:
            if other.starts_at >= visit.ends_at:
                break
            clashes.update({visit.pk, other.pk})
    audit_read(Actor.from_request(request), "calendar.view", target=therapist or room)
    by_day = []
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        by_day.append((day, [v for v in visits if timezone.localdate(v.starts_at) == day]))
    step = dt.timedelta(days=days)
    return render(
        request,
        "courses/calendar.html",
        {
            "title": title,
            "view": view,
            "start": start,
            "by_day": by_day,
            "previous": (start - step).isoformat(),
            "next": (start + step).isoformat(),
            "clashes": clashes,
        },
    )


def calendar_therapist(request: StaffRequest, pk: int) -> HttpResponse:
    therapist = selectors.staff_for_calendar(request.membership, pk)
    name = therapist.user.get_full_name() or therapist.user.email
    return _calendar(request, title=_("Calendar of %(name)s") % {"name": name}, therapist=therapist)


def calendar_room(request: StaffRequest, pk: int) -> HttpResponse:
    room = selectors.room_for_user(request.membership, pk)
    return _calendar(request, title=_("Calendar of room %(name)s") % {"name": room.name}, room=room)


def calendars(request: StaffRequest) -> HttpResponse:
    feed = selectors.calendar_feed_for_user(request.membership)
    membership = request.membership
    assert membership is not None  # noqa: S101  (checked by the selector)
    return render(
        request,
        "courses/calendars.html",
        {
            "therapists": selectors.therapists_of_clinic(membership),
            "rooms": selectors.rooms_of_clinic(membership),
            "feed": feed,
            "new_token_url": request.session.pop("courses_new_feed_url", None),
        },
    )


@require_POST
def feed_create(request: StaffRequest) -> HttpResponse:
    token = services.calendar_feed_create(by=Actor.from_request(request))
    from django.urls import reverse

    request.session["courses_new_feed_url"] = request.build_absolute_uri(
        reverse("courses:ical_feed", args=[token])
    )
    messages.success(
        request, _("Your private calendar link is ready. Copy it now: it is shown once.")
    )
    return redirect("courses:calendars")


@require_POST
def feed_revoke(request: StaffRequest) -> HttpResponse:
    count = services.calendar_feed_revoke(by=Actor.from_request(request))
    messages.success(
        request,
        _("Your calendar link was revoked.") if count else _("You had no calendar link."),
    )
    return redirect("courses:calendars")


@login_not_required  # the token in the URL is the credential; calendar apps cannot sign in
@require_GET
def ical_feed(request: HttpRequest, token: str) -> HttpResponse:
    from icalendar import Calendar, Event

    feed = selectors.calendar_feed_by_token(token)
    if feed is None:
        return HttpResponse(
            _("This calendar link is not valid: it was revoked or never existed."),
            status=404,
            content_type="text/plain; charset=utf-8",
        )
    today = timezone.localdate()
    visits = selectors.calendar_visits(
        clinic_id=feed.membership.clinic_id,
        start=today - dt.timedelta(days=30),
        days=400,
        therapist=feed.membership,
    )
    calendar = Calendar()
    calendar.add("prodid", "-//Holdspace//courses//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Holdspace")
    now = timezone.now()
    for visit in visits:
        codes = ", ".join(c.code for c in visit.course.clients.all())
        event = Event()
        event.add("uid", f"visit-{visit.pk}@holdspace")
        event.add("dtstamp", now)
        event.add("dtstart", visit.starts_at)
        event.add("dtend", visit.ends_at)
        event.add("summary", f"{visit.label} · {codes}")
        if visit.room is not None:
            event.add("location", visit.room.name)
        calendar.add_component(event)
    # The feed's token stands for its owner: the read is theirs, through the API door.
    owner = Actor(
        user=feed.membership.user,
        membership=feed.membership,
        channel=Channel.API,
        ip=client_ip(request),
    )
    audit_read(owner, "calendar_feed.read", target=feed)
    return HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")


# Clinic set-up: rooms, templates, settings -------------------------------------------------------


def _setup_member(request: StaffRequest) -> Membership:
    membership = request.membership
    if membership is None or not policies.can_set_up_clinic(membership):
        raise PermissionDenied
    return membership


@require_http_methods(["GET", "POST"])
def rooms(request: StaffRequest) -> HttpResponse:
    membership = _setup_member(request)
    form = RoomForm(posted(request))
    if request.method == "POST" and form.is_valid():
        done = submit(
            form,
            lambda: services.room_create(
                by=Actor.from_request(request), name=form.cleaned_data["name"]
            ),
        )
        if done is not None:
            messages.success(request, _("The room was added."))
            return redirect("courses:rooms")
    return render(
        request,
        "courses/rooms.html",
        {"rooms": selectors.rooms_of_clinic(membership), "form": form},
        status=status_of(form),
    )


def templates(request: StaffRequest) -> HttpResponse:
    membership = _setup_member(request)
    from .protocols import builtin_protocols

    return render(
        request,
        "courses/templates.html",
        {
            "builtins": builtin_protocols(),
            "clinic_templates": selectors.clinic_templates(membership),
        },
    )


@require_POST
def template_clone(request: StaffRequest) -> HttpResponse:
    _setup_member(request)
    try:
        row = services.template_clone(
            by=Actor.from_request(request), template_key=request.POST.get("template", "")
        )
    except ValidationError:
        raise Http404 from None
    messages.success(request, _("A copy was made. Edit it below."))
    return redirect("courses:template_edit", pk=row.pk)


@require_http_methods(["GET", "POST"])
def template_edit(request: StaffRequest, pk: int) -> HttpResponse:
    membership = _setup_member(request)
    row = selectors.clinic_template_for_user(membership, pk)
    form = TemplateEditForm(posted(request), initial={"definition_yaml": row.definition_yaml})
    if request.method == "POST" and form.is_valid():
        done = submit(
            form,
            lambda: services.template_update(
                by=Actor.from_request(request),
                template=row,
                definition_yaml=form.cleaned_data["definition_yaml"],
            ),
        )
        if done is not None:
            messages.success(request, _("Saved."))
            return redirect("courses:templates")
    return render(
        request,
        "courses/template_edit.html",
        {"row": row, "form": form},
        status=status_of(form),
    )


@require_http_methods(["GET", "POST"])
def course_settings(request: StaffRequest) -> HttpResponse:
    membership = _setup_member(request)
    current = selectors.course_settings(membership.clinic_id)
    form = CourseSettingsForm(posted(request), instance=current)
    if request.method == "POST" and form.is_valid():
        services.course_settings_update(
            by=Actor.from_request(request),
            **{name: form.cleaned_data[name] for name in CourseSettingsForm.Meta.fields},
        )
        messages.success(request, _("Saved."))
        return redirect("courses:course_settings")
    return render(request, "courses/settings.html", {"form": form}, status=status_of(form))


def settings_panel(request: HttpRequest, membership: Membership) -> dict[str, Any] | None:
    """The clinic settings page's summary of opening hours and course settings."""
    if not policies.can_set_up_clinic(membership):
        return None
    current = selectors.course_settings(membership.clinic_id)
    names = dict(WEEKDAYS)
    return {
        "settings": current,
        "open_days": [names[str(d)] for d in sorted(current.open_weekdays)],
    }


_current_course_sql = CompiledQueries()


def client_panel(request: HttpRequest, client: Client) -> dict[str, Any] | None:
    """The client overview's Course panel."""
    # `selectors.current_course(client, with_clients=False)`, its SQL compiled once per process.
    current: list[Course] = _current_course_sql.bound(
        "current",
        lambda client_id: selectors.current_course_query(client_id)[:1],
        client_id=client.pk,
    ).objects()
    course = current[0] if current else None
    upcoming = []
    if course is not None:
        upcoming = list(
            course.visits.filter(cancelled=False, starts_at__gte=timezone.now())
            .exclude(kind=VisitKind.CHECK_IN)
            .order_by("starts_at")[:3]
        )
    membership = getattr(request, "membership", None)
    return {
        "course": course,
        "upcoming": upcoming,
        "can_invite": policies.can_manage_course(membership, client)
        and not _has_portal_account(client),
        # The address on file, prefilled (only for roles that may read the identity).
        "invite_email": client.identity.email
        if people_policies.can_read_identity(membership, client) and hasattr(client, "identity")
        else "",
    }


def _has_portal_account(client: Client) -> bool:
    """Whether the client was invited to the portal already: one indexed row, its SQL
    compiled once per process."""
    return _current_course_sql.exists(
        "portal",
        lambda client_id: Client.objects.filter(pk=client_id, portal_account__isnull=False),
        client_id=client.pk,
    )
