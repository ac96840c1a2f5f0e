"""Scoped reads of courses, visits, rooms and templates. Outsiders get 404."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db.models import Case, Exists, OuterRef, Prefetch, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone

from holdspace.people.models import Client, Membership, Role
from holdspace.people.selectors import clients_visible_to

from . import policies
from .models import (
    CalendarFeed,
    ClinicProtocolTemplate,
    Course,
    CourseSettings,
    CourseStatus,
    Room,
    Visit,
    feed_token_hash,
)
from .protocols import ProtocolError, ProtocolTemplate, builtin_protocols, protocol_parse_yaml


def courses_visible_to(membership: Membership | None) -> QuerySet[Course]:
    """Courses with at least one client the member may see (clinic-wide roles: the clinic's)."""
    if membership is None:
        return Course.objects.none()
    clients = clients_visible_to(membership)
    enrolled = Course.clients.through.objects.filter(course_id=OuterRef("pk"), client__in=clients)
    return (
        Course.objects.filter(clinic_id=membership.clinic_id)
        .filter(Exists(enrolled))  # EXISTS, not a join: no DISTINCT over the clinic's courses
        .prefetch_related("clients", Prefetch("clients", clients, to_attr="visible_clients"))
        .order_by("-start_date", "-pk")
    )


def course_search(
    membership: Membership | None,
    *,
    status: str = "",
    client_code: str = "",
    template_key: str = "",
    starts_from: dt.date | None = None,
    starts_to: dt.date | None = None,
) -> QuerySet[Course]:
    courses = courses_visible_to(membership)
    if status:
        courses = courses.filter(status=status)
    if client_code:
        courses = courses.filter(clients__code=client_code.strip().upper())
    if template_key:
        courses = courses.filter(template_key=template_key)
    if starts_from is not None:
        courses = courses.filter(start_date__gte=starts_from)
    if starts_to is not None:
        courses = courses.filter(start_date__lte=starts_to)
    return courses


def course_for_user(membership: Membership | None, pk: int) -> Course:
    """A course the member may see (one of its clients is in their scope); 404 otherwise."""
    course = courses_visible_to(membership).filter(pk=pk).first()
    if course is None:
        raise Http404("No such course.")
    return course


def visible_clients_of_course(membership: Membership | None, course: Course) -> list[Client]:
    """The course's clients the member may see (both partners of a couple, usually)."""
    if hasattr(course, "visible_clients"):  # loaded with the course (courses_visible_to)
        return list(course.visible_clients)
    visible = clients_visible_to(membership).filter(courses=course)
    return list(visible.order_by("code"))


def courses_of_client(client: Client) -> QuerySet[Course]:
    return Course.objects.filter(clients=client).prefetch_related("clients")


def current_course(client: Client, *, with_clients: bool = True) -> Course | None:
    """The client's running course (active before proposed; the newest first), in one query
    (and one more for its clients, unless `with_clients=False`)."""
    courses = current_course_query(client.pk)
    if with_clients:
        courses = courses.prefetch_related("clients")
    return courses.first()


def current_course_query(client_id: int) -> QuerySet[Course]:
    """The client's courses that are not closed, the running one first (`current_course`)."""
    active_first = Case(When(status=CourseStatus.ACTIVE, then=Value(0)), default=Value(1))
    return (
        Course.objects.filter(clients=client_id)
        .exclude(status=CourseStatus.CLOSED)
        .order_by(active_first, "-created_at")
    )


def course_for_client(client: Client, pk: int) -> Course:
    """A course of a client the caller already may see (use people.selectors.client_for_user)."""
    course = courses_of_client(client).filter(pk=pk).first()
    if course is None:
        raise Http404("No such course.")
    return course


def visit_of_course(course: Course, pk: int) -> Visit:
    visit = course.visits.filter(pk=pk).first()
    if visit is None:
        raise Http404("No such visit.")
    return visit


def visits_of_course(course: Course) -> QuerySet[Visit]:
    return course.visits.select_related("room").prefetch_related("therapists__user")


def rooms_of_clinic(membership: Membership) -> QuerySet[Room]:
    return Room.objects.filter(clinic_id=membership.clinic_id)


def room_for_user(membership: Membership | None, pk: int) -> Room:
    if membership is None:
        raise Http404
    room = rooms_of_clinic(membership).filter(pk=pk).first()
    if room is None:
        raise Http404("No such room.")
    return room


# By name, then id: the calendar's lists and the visit form's choices keep one order (without
# one, PostgreSQL gave them in whatever order the rows were last written).
_BY_NAME = ("user__last_name", "user__first_name", "pk")


def therapists_of_clinic(membership: Membership) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(
            clinic_id=membership.clinic_id, is_active=True, role=Role.THERAPIST
        )
        .select_related("user")
        .order_by(*_BY_NAME)
    )


def medical_leads_of_clinic(membership: Membership) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(
            clinic_id=membership.clinic_id, is_active=True, role=Role.MEDICAL_LEAD
        )
        .select_related("user")
        .order_by(*_BY_NAME)
    )


def staff_for_calendar(membership: Membership | None, pk: int) -> Membership:
    if membership is None:
        raise Http404
    found = (
        Membership.objects.filter(clinic_id=membership.clinic_id, pk=pk)
        .select_related("user")
        .first()
    )
    if found is None:
        raise Http404("No such staff member.")
    return found


def calendar_feed_for_user(membership: Membership | None) -> CalendarFeed | None:
    """The member's own live calendar link, if they have one (403 for a role without
    calendars)."""
    if membership is None or not policies.can_see_calendars(membership):
        raise PermissionDenied
    return CalendarFeed.objects.filter(membership=membership, revoked_at__isnull=True).first()


def calendar_feed_by_token(token: str) -> CalendarFeed | None:
    """The live feed whose secret is `token` (the token is the credential: no signed-in
    member), or None when it was revoked, never existed or its owner left the clinic."""
    feed = (
        CalendarFeed.objects.filter(token_hash=feed_token_hash(token))
        .select_related("membership__user")
        .first()
    )
    if feed is None or feed.revoked_at is not None or not feed.membership.is_active:
        return None
    return feed


def calendar_visits(
    *,
    clinic_id: int,
    start: dt.date,
    days: int,
    therapist: Membership | None = None,
    room: Room | None = None,
) -> QuerySet[Visit]:
    tz = timezone.get_current_timezone()
    begin = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    end = begin + dt.timedelta(days=days)
    visits = Visit.objects.filter(
        course__clinic_id=clinic_id, cancelled=False, starts_at__gte=begin, starts_at__lt=end
    )
    if therapist is not None:
        visits = visits.filter(therapists=therapist)
    if room is not None:
        visits = visits.filter(room=room)
    return (
        visits.select_related("room", "course")
        .prefetch_related("course__clients")
        .order_by("starts_at")
    )


def clinic_templates(membership: Membership) -> QuerySet[ClinicProtocolTemplate]:
    return ClinicProtocolTemplate.objects.filter(clinic_id=membership.clinic_id).order_by("name")


def clinic_template_for_user(membership: Membership | None, pk: int) -> ClinicProtocolTemplate:
    if membership is None:
        raise Http404
    found = clinic_templates(membership).filter(pk=pk).first()
    if found is None:
        raise Http404("No such template.")
    return found


def templates_available(membership: Membership) -> dict[str, ProtocolTemplate]:
    """Built-in templates, then the clinic's own (a clinic copy is keyed `clinic:<pk>`)."""
    found = dict(builtin_protocols())
    for row in clinic_templates(membership):
        try:
            found[f"clinic:{row.pk}"] = protocol_parse_yaml(row.definition_yaml, origin=row.name)
        except ProtocolError:
            continue  # saved copies are validated on save; a stale one is skipped, not fatal
    return found


def course_settings(clinic_id: int) -> CourseSettings:
    found = CourseSettings.objects.filter(clinic_id=clinic_id).first()
    return found or CourseSettings(clinic_id=clinic_id)


def course_settings_many(clinic_ids: Iterable[int]) -> dict[int, CourseSettings]:
    """`course_settings` of several clinics in one query."""
    wanted = set(clinic_ids)
    found = {s.clinic_id: s for s in CourseSettings.objects.filter(clinic_id__in=wanted)}
    return {pk: found.get(pk) or CourseSettings(clinic_id=pk) for pk in wanted}


def check_in_due_today(course: Course) -> Visit | None:
    """Today's check-in visit of the course (the 7 daily contacts after a medicine session)."""
    from .models import VisitKind

    tz = timezone.get_current_timezone()
    today = timezone.localdate()
    begin = dt.datetime.combine(today, dt.time.min, tzinfo=tz)
    return (
        course.visits.filter(
            kind=VisitKind.CHECK_IN,
            cancelled=False,
            starts_at__gte=begin,
            starts_at__lt=begin + dt.timedelta(days=1),
        )
        .order_by("starts_at")
        .first()
    )
