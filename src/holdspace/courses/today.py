"""The Today page's course panels: a therapist's visits and check-ins today; a coordinator's
schedules with conflicts and clients ready for a course (portal invitations not yet accepted
are the portal's own panel)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from holdspace.people.models import Client, Membership, Phase, Role

from .models import Course, CourseStatus, Visit, VisitKind
from .services import clients_eligible, courses_conflicts

# How many screening clients the coordinator's panel checks for eligibility at most.
LOOK_AT_MOST = 200


def _today_bounds() -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(
        timezone.localdate(), dt.time.min, tzinfo=timezone.get_current_timezone()
    )
    return start, start + dt.timedelta(days=1)


def therapist_panel(request: HttpRequest, membership: Membership) -> dict[str, Any] | None:
    if membership.role != Role.THERAPIST:
        return None
    start, end = _today_bounds()
    # The member's visits of the day, found from the day index alone (its ids, kinds and
    # cancellations), then read by id: not the wide rows of every visit of the day.
    theirs = (
        Visit.objects.filter(
            therapists=membership, cancelled=False, starts_at__gte=start, starts_at__lt=end
        )
        .exclude(kind=VisitKind.MEDICINE_SESSION)  # the sessions panel shows those
        .order_by()
        .values("pk")
    )
    visits = (
        Visit.objects.filter(pk__in=theirs, course__status=CourseStatus.ACTIVE)
        # The course with the visit, without its protocol and planned doses (JSON the panel
        # never shows, which decoding for every course of the day cost most of the panel).
        .select_related("room", "course")
        .defer("planned_dose", "course__protocol", "course__planned_doses")
        .prefetch_related("course__clients")
        .order_by("starts_at")
    )
    rows = [(visit, list(visit.course.clients.all())) for visit in visits]
    visit_rows = [row for row in rows if row[0].kind != VisitKind.CHECK_IN]
    check_ins = [row for row in rows if row[0].kind == VisitKind.CHECK_IN]
    return {
        "visits": visit_rows,
        "check_ins": check_ins,
        "visit_rows": visit_list_items(visit_rows, check_ins=False),
        "check_in_rows": visit_list_items(check_ins, check_ins=True),
    }


def visit_list_items(rows: list[tuple[Visit, list[Client]]], *, check_ins: bool) -> SafeString:
    """The therapist panel's list items, as its template loops made them (a day can hold a
    hundred visits, and the loops cost more than the rest of the page): every value escaped.
    A visit links each client to its course; a check-in to the client's integration page."""
    items = []
    for visit, clients in rows:
        when = formats.time_format(timezone.localtime(visit.starts_at), "H:i")
        room = format_html(" · {}", visit.room) if visit.room and not check_ins else ""
        links = mark_safe(  # noqa: S308  (each link made by format_html)
            ", ".join(
                format_html(
                    '<a class="client-code" href="{}">{}</a>',
                    reverse("integration:integration", args=[client.code])
                    if check_ins
                    else reverse("courses:course_detail", args=[client.code, visit.course_id]),
                    client.code,
                )
                for client in clients
            )
        )
        items.append(
            format_html(
                "\n    <li>\n      <span>{} · {}{}</span>\n      <span>{}</span>\n    </li>\n    ",
                when,
                visit.label,
                room,
                links,
            )
        )
    return mark_safe("".join(items))  # noqa: S308  (each item made by format_html)


def coordinator_panel(request: HttpRequest, membership: Membership) -> dict[str, Any] | None:
    if membership.role != Role.COORDINATOR:
        return None
    proposed = Course.objects.filter(
        clinic_id=membership.clinic_id, status=CourseStatus.PROPOSED
    ).prefetch_related("clients")
    courses = list(proposed.order_by("start_date"))
    conflicts = courses_conflicts(courses)  # every course's check in one set of queries
    schedules = [(c, list(c.clients.all()), conflicts[c.pk]) for c in courses]
    in_course = Course.objects.filter(
        clinic_id=membership.clinic_id, status__in=[CourseStatus.PROPOSED, CourseStatus.ACTIVE]
    ).values("clients")
    ready = clients_eligible(
        list(
            Client.objects.filter(clinic_id=membership.clinic_id, phase=Phase.SCREENING)
            .exclude(pk__in=in_course)
            .order_by("code")[:LOOK_AT_MOST]
        )
    )
    return {"schedules": schedules, "ready": ready}
