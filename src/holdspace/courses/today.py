"""The Today page's course panels: a therapist's visits and check-ins today; a coordinator's
schedules with conflicts and clients ready for a course (portal invitations not yet accepted
are the portal's own panel)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import F, QuerySet
from django.http import HttpRequest
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from holdspace.core.compiled import CompiledQueries, member_day_key
from holdspace.core.links import RowLinks
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
    # The query is the member's and the day's alone (building it took longer than running
    # it): compiled once per member, day and time zone; its rows are read on every visit.
    compiled = _visits_today.get(
        member_day_key(membership), lambda: _therapist_visits_query(membership)
    )
    rows: list[tuple[Visit, list[str]]] = []
    if compiled.sql:
        # A row per visit and client (ordered by visit, then code): each visit once, with
        # its clients' codes. Each carries the query's annotations (room_name, code).
        for visit in compiled.objects():
            code: str | None = getattr(visit, "code")  # noqa: B009  (an annotation)
            if rows and rows[-1][0].pk == visit.pk:
                rows[-1][1].append(str(code))
            else:
                rows.append((visit, [code] if code is not None else []))
    visit_rows = [row for row in rows if row[0].kind != VisitKind.CHECK_IN]
    check_ins = [row for row in rows if row[0].kind == VisitKind.CHECK_IN]
    return {
        "visits": visit_rows,
        "check_ins": check_ins,
        "visit_rows": visit_list_items(visit_rows, check_ins=False),
        "check_in_rows": visit_list_items(check_ins, check_ins=True),
    }


_visits_today = CompiledQueries()


def _therapist_visits_query(membership: Membership) -> QuerySet[Visit]:
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
    # Of each visit only what the panel shows, with its room's name and its course's
    # clients' codes in the same query (one row per client; a visit whose course has no
    # client yet comes once, with none).
    return (
        Visit.objects.filter(pk__in=theirs, course__status=CourseStatus.ACTIVE)
        .only("pk", "kind", "starts_at", "label_stored", "phrases", "course_id")
        .annotate(room_name=F("room__name"), code=F("course__clients__code"))
        .order_by("starts_at", "pk", "code")
    )


def visit_list_items(rows: list[tuple[Visit, list[str]]], *, check_ins: bool) -> SafeString:
    """The therapist panel's list items, as its template loops made them (a day can hold a
    hundred visits, and the loops cost more than the rest of the page): every value escaped.
    A visit links each client (by code) to its course; a check-in to the client's
    integration page. A visit's room is its `room_name`."""
    course_link = RowLinks("courses:course_detail", 2)
    integration_link = RowLinks("integration:integration")
    items = []
    for visit, codes in rows:
        when = formats.time_format(timezone.localtime(visit.starts_at), "H:i")
        room_name = getattr(visit, "room_name", None)  # the panel query's annotation
        room = format_html(" · {}", room_name) if room_name and not check_ins else ""
        links = mark_safe(  # noqa: S308  (each link made by format_html)
            ", ".join(
                format_html(
                    '<a class="client-code" href="{}">{}</a>',
                    integration_link(code) if check_ins else course_link(code, visit.course_id),
                    code,
                )
                for code in codes
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
