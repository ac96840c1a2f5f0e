"""/api/v1/courses and /api/v1/clients/{code}/courses: courses and their visits, through the
same scoped selectors and read audit as the course pages."""

import datetime as dt
from typing import Any

from ninja import Query, Router, Schema
from ninja.pagination import paginate

from holdspace.core.http import ApiRequest
from holdspace.core.pagination import BoundedPagination
from holdspace.core.schemas import ClientCode, Id, LongText, PlannedTime, ShortText
from holdspace.people.auditing import audit_read
from holdspace.people.models import Client
from holdspace.people.selectors import client_for_user

from . import selectors, services
from .models import Course, CourseStatus, Visit

router = Router(tags=["courses"])
client_router = Router(tags=["courses"])


class VisitSessionOut(Schema):
    client: str
    session_id: int
    status: str


class VisitOut(Schema):
    id: int
    course_id: int
    kind: str
    label: str
    starts_at: dt.datetime
    duration_minutes: int
    why: str
    room: str | None
    therapists: list[str]
    planned_dose: dict[str, float | None] | None = None
    sessions: list[VisitSessionOut] = []


class CourseSummaryOut(Schema):
    id: int
    template_key: str
    template_name: str
    status: str
    start_date: dt.date
    clients: list[str]


class CourseListItemOut(CourseSummaryOut):
    @staticmethod
    def resolve_clients(course: Course, context: dict[str, Any]) -> list[str]:
        request = context["request"]
        return [c.code for c in selectors.visible_clients_of_course(request.membership, course)]


class CourseOut(CourseSummaryOut):
    visits: list[VisitOut]


class CourseFilter(Schema):
    status: CourseStatus | None = None
    client: ClientCode | None = None
    template: ShortText = ""
    starts_from: dt.date | None = None
    starts_to: dt.date | None = None


class MoveIn(Schema):
    starts_at: PlannedTime
    reason: LongText


def _visit_out(visit: Visit, clients: list[Client]) -> VisitOut:
    codes = {c.pk: c.code for c in clients}
    dose = services.dose_for_client(visit, clients[0]) if clients else None
    return VisitOut(
        id=visit.pk,
        course_id=visit.course_id,
        kind=visit.kind,
        label=visit.label,
        starts_at=visit.starts_at,
        duration_minutes=visit.duration_minutes,
        why=visit.why,
        room=visit.room.name if visit.room else None,
        therapists=[t.user.email for t in visit.therapists.all()],
        planned_dose={k: dose.get(k) for k in ("initial_mg", "supplemental_mg")} if dose else None,
        sessions=[
            VisitSessionOut(client=codes[s.client_id], session_id=s.pk, status=s.status)
            for s in visit.medicine_sessions.all()
            if s.client_id in codes
        ],
    )


def _course_out(request: ApiRequest, course: Course) -> CourseOut:
    clients = selectors.visible_clients_of_course(request.membership, course)
    visits = selectors.visits_of_course(course).prefetch_related("medicine_sessions")
    return CourseOut(
        **_summary(course, clients).dict(), visits=[_visit_out(v, clients) for v in visits]
    )


def _summary(course: Course, clients: list[Client]) -> CourseSummaryOut:
    return CourseSummaryOut(
        id=course.pk,
        template_key=course.template_key,
        template_name=course.template_name,
        status=course.status,
        start_date=course.start_date,
        clients=[c.code for c in clients],
    )


def _audit_course(request: ApiRequest, course: Course, action: str) -> None:
    for client in selectors.visible_clients_of_course(request.membership, course):
        audit_read(request.actor, action, client=client, target=course)


@router.get("", response=list[CourseListItemOut], summary="Courses you may see, clinic-wide")
@paginate(BoundedPagination)
def course_list(request: ApiRequest, filters: Query[CourseFilter]) -> Any:
    courses = selectors.course_search(
        request.membership,
        status=filters.status.value if filters.status else "",
        client_code=filters.client or "",
        template_key=filters.template,
        starts_from=filters.starts_from,
        starts_to=filters.starts_to,
    )
    audit_read(request.actor, "course.list")
    return courses


@router.get("/{course_id}", response=CourseOut, summary="One course with its visits")
def course_detail(request: ApiRequest, course_id: Id) -> CourseOut:
    course = selectors.course_for_user(request.membership, course_id)
    _audit_course(request, course, "course.view")
    return _course_out(request, course)


@router.get("/{course_id}/visits/{visit_id}", response=VisitOut, summary="One visit")
def visit_detail(request: ApiRequest, course_id: Id, visit_id: Id) -> VisitOut:
    course = selectors.course_for_user(request.membership, course_id)
    visit = selectors.visit_of_course(course, visit_id)
    _audit_course(request, course, "course.view")
    return _visit_out(visit, selectors.visible_clients_of_course(request.membership, course))


@router.patch(
    "/{course_id}/visits/{visit_id}",
    response=list[VisitOut],
    summary="Move a visit, with a reason (a medicine session takes its follow-ups along)",
)
def visit_move(request: ApiRequest, course_id: Id, visit_id: Id, payload: MoveIn) -> list[VisitOut]:
    course = selectors.course_for_user(request.membership, course_id)
    visit = selectors.visit_of_course(course, visit_id)
    clients = selectors.visible_clients_of_course(request.membership, course)
    moved = services.visit_reschedule(
        by=request.actor,
        course=course,
        client=clients[0],
        visit=visit,
        starts_at=payload.starts_at,
        reason=payload.reason,
    )
    return [_visit_out(v, clients) for v in moved]


@client_router.get(
    "/{code}/courses", response=list[CourseOut], summary="A client's courses with their visits"
)
def client_courses(request: ApiRequest, code: ClientCode) -> list[CourseOut]:
    client = client_for_user(request.membership, code)
    audit_read(request.actor, "course.list", client=client)
    return [_course_out(request, c) for c in selectors.courses_of_client(client)]
