"""/api/v1/courses: courses, visits, preparation readiness and integration notes of a client,
with the same scoping and audit as the pages."""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from ninja import Router, Schema

from holdspace.audit.services import audit_record
from holdspace.people.models import Client
from holdspace.people.selectors import client_for_user

from . import policies, selectors, services

router = Router(tags=["courses"])


class VisitOut(Schema):
    id: int
    kind: str
    label: str
    starts_at: dt.datetime
    duration_minutes: int
    why: str
    room: str | None
    therapists: list[str]
    planned_dose: dict[str, float | None] | None = None


class CourseOut(Schema):
    id: int
    template_key: str
    template_name: str
    status: str
    start_date: dt.date
    clients: list[str]
    visits: list[VisitOut]


class MoveIn(Schema):
    starts_at: dt.datetime
    reason: str


class ReadinessOut(Schema):
    ready: bool
    missing: list[str]
    overridden: bool


class NoteOut(Schema):
    id: int
    created_at: dt.datetime
    signed_at: dt.datetime | None
    text: str
    addenda: list[str]


class ErrorOut(Schema):
    detail: str


def _audit(request: HttpRequest, action: str, code: str) -> None:
    actor = request.actor  # type: ignore[attr-defined]
    audit_record(
        action=action,
        actor=actor.user,
        clinic_id=actor.clinic_id,
        client_code=code,
        channel=actor.channel,
        ip=actor.ip,
    )


def _notes_client(request: HttpRequest, code: str) -> Client:
    """The client, if the caller may read its integration notes (free text: not researchers)."""
    client = client_for_user(request.membership, code)  # type: ignore[attr-defined]
    if not policies.can_read_clinical_text(request.membership, client):  # type: ignore[attr-defined]
        raise PermissionDenied
    return client


def _course_out(course, client) -> CourseOut:  # type: ignore[no-untyped-def]
    return CourseOut(
        id=course.pk,
        template_key=course.template_key,
        template_name=course.template_name,
        status=course.status,
        start_date=course.start_date,
        clients=[c.code for c in course.clients.all()],
        visits=[_visit_out(v, client) for v in selectors.visits_of_course(course)],
    )


@router.get("/{code}", response={200: list[CourseOut], 404: ErrorOut}, summary="A client's courses")
def course_list(request: HttpRequest, code: str) -> list[CourseOut]:
    client = client_for_user(request.membership, code)  # type: ignore[attr-defined]
    _audit(request, "course.list", client.code)
    return [_course_out(c, client) for c in selectors.courses_of_client(client)]


def _visit_out(v, client=None) -> VisitOut:  # type: ignore[no-untyped-def]
    dose = services.dose_for_client(v, client) if client is not None else None
    return VisitOut(
        planned_dose={k: dose.get(k) for k in ("initial_mg", "supplemental_mg")} if dose else None,
        id=v.pk,
        kind=v.kind,
        label=v.label,
        starts_at=v.starts_at,
        duration_minutes=v.duration_minutes,
        why=v.why,
        room=v.room.name if v.room else None,
        therapists=[t.user.email for t in v.therapists.all()],
    )


@router.get(
    "/{code}/{course_id}/visits/{visit_id}",
    response={200: VisitOut, 404: ErrorOut},
    summary="One visit",
)
def visit_detail(request: HttpRequest, code: str, course_id: int, visit_id: int) -> VisitOut:
    client = client_for_user(request.membership, code)  # type: ignore[attr-defined]
    course = selectors.course_for_client(client, course_id)
    _audit(request, "course.view", client.code)
    return _visit_out(selectors.visit_of_course(course, visit_id), client)


@router.patch(
    "/{code}/{course_id}/visits/{visit_id}",
    response={200: list[VisitOut], 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Move a visit, with a reason (a medicine session takes its follow-ups along)",
)
def visit_move(
    request: HttpRequest, code: str, course_id: int, visit_id: int, payload: MoveIn
) -> list[VisitOut]:
    client = client_for_user(request.membership, code)  # type: ignore[attr-defined]
    course = selectors.course_for_client(client, course_id)
    visit = selectors.visit_of_course(course, visit_id)
    moved = services.visit_reschedule(
        by=request.actor,  # type: ignore[attr-defined]
        course=course,
        client=client,
        visit=visit,
        starts_at=payload.starts_at,
        reason=payload.reason,
    )
    return [_visit_out(v, client) for v in moved]


@router.get("/{code}/preparation", response={200: ReadinessOut, 404: ErrorOut}, summary="Readiness")
def readiness(request: HttpRequest, code: str) -> ReadinessOut:
    from holdspace.preparation.selectors import preparation_readiness

    client = client_for_user(request.membership, code)  # type: ignore[attr-defined]
    _audit(request, "preparation.view", client.code)
    found = preparation_readiness(client)
    return ReadinessOut(ready=found.ready, missing=found.missing, overridden=found.overridden)


@router.get(
    "/{code}/integration/notes",
    response={200: list[NoteOut], 403: ErrorOut, 404: ErrorOut},
    summary="Notes",
)
def notes(request: HttpRequest, code: str) -> list[NoteOut]:
    from holdspace.integration.models import IntegrationNote

    client = _notes_client(request, code)
    _audit(request, "integration.view", client.code)
    return [
        NoteOut(
            id=n.pk,
            created_at=n.created_at,
            signed_at=n.signed_at,
            text=n.text,
            addenda=[a.text for a in n.addenda.all()],
        )
        for n in IntegrationNote.objects.filter(client=client).prefetch_related("addenda")
    ]


class NoteIn(Schema):
    text: str
    visit_id: int | None = None


class NotePatch(Schema):
    text: str | None = None
    sign: bool = False


class AddendumIn(Schema):
    text: str


class PreparationPatch(Schema):
    intentions: str | None = None
    music_playlist: str | None = None
    eyeshades: bool | None = None
    room_id: int | None = None
    ride_home: str | None = None
    overnight_plan: str | None = None
    overnight_attendant: str | None = None
    supportive_touch: str | None = None
    agrees_to_stay: bool | None = None
    recording_consent: str | None = None


def _note_out(note) -> NoteOut:  # type: ignore[no-untyped-def]
    return NoteOut(
        id=note.pk,
        created_at=note.created_at,
        signed_at=note.signed_at,
        text=note.text,
        addenda=[a.text for a in note.addenda.all()],
    )


def _current(client):  # type: ignore[no-untyped-def]
    course = selectors.current_course(client)
    if course is None:
        raise Http404("No course.")
    return course


@router.patch(
    "/{code}/preparation",
    response={200: ReadinessOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Update the preparation checklist; answers the new readiness",
)
def preparation_update(request: HttpRequest, code: str, payload: PreparationPatch) -> ReadinessOut:
    from holdspace.preparation import services as preparation_services
    from holdspace.preparation.selectors import preparation_readiness

    client = client_for_user(request.membership, code)  # type: ignore[attr-defined]
    course = _current(client)
    values = payload.dict(exclude_unset=True)
    if "room_id" in values:
        room_id = values.pop("room_id")
        values["room"] = (
            selectors.room_for_user(request.membership, room_id)  # type: ignore[attr-defined]
            if room_id is not None
            else None
        )
    for name in ("supportive_touch", "recording_consent"):
        if name in values and values[name] not in ("", "yes", "no"):
            raise ValidationError({name: "yes, no or empty"})
    preparation_services.preparation_update(
        by=request.actor,  # type: ignore[attr-defined]
        course=course,
        client=client,
        **values,
    )
    found = preparation_readiness(client)
    return ReadinessOut(ready=found.ready, missing=found.missing, overridden=found.overridden)


@router.post(
    "/{code}/integration/notes",
    response={201: NoteOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Write an integration note (a draft until signed)",
)
def note_create(request: HttpRequest, code: str, payload: NoteIn) -> tuple[int, NoteOut]:
    from holdspace.integration import services as integration_services

    client = client_for_user(request.membership, code)  # type: ignore[attr-defined]
    course = _current(client)
    visit = selectors.visit_of_course(course, payload.visit_id) if payload.visit_id else None
    note = integration_services.note_create(
        by=request.actor,  # type: ignore[attr-defined]
        course=course,
        client=client,
        text=payload.text,
        visit=visit,
    )
    return 201, _note_out(note)


def _note_for(client, note_id: int):  # type: ignore[no-untyped-def]
    from holdspace.integration.models import IntegrationNote

    note = IntegrationNote.objects.filter(client=client, pk=note_id).first()
    if note is None:
        raise Http404("No such note.")
    return note


@router.get(
    "/{code}/integration/notes/{note_id}",
    response={200: NoteOut, 403: ErrorOut, 404: ErrorOut},
    summary="A note",
)
def note_detail(request: HttpRequest, code: str, note_id: int) -> NoteOut:
    client = _notes_client(request, code)
    _audit(request, "integration_note.view", client.code)
    return _note_out(_note_for(client, note_id))


@router.patch(
    "/{code}/integration/notes/{note_id}",
    response={200: NoteOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Edit a draft note and/or sign it (a signed note is locked: 422)",
)
def note_patch(request: HttpRequest, code: str, note_id: int, payload: NotePatch) -> NoteOut:
    from holdspace.integration import services as integration_services

    client = client_for_user(request.membership, code)  # type: ignore[attr-defined]
    note = _note_for(client, note_id)
    actor = request.actor  # type: ignore[attr-defined]
    if payload.text is not None:
        note = integration_services.note_update(by=actor, note=note, text=payload.text)
    if payload.sign:
        note = integration_services.note_sign(by=actor, note=note)
    return _note_out(note)


@router.get(
    "/{code}/integration/notes/{note_id}/addenda",
    response={200: list[str], 403: ErrorOut, 404: ErrorOut},
    summary="A note's addenda",
)
def addenda(request: HttpRequest, code: str, note_id: int) -> list[str]:
    client = _notes_client(request, code)
    _audit(request, "integration_note.view", client.code)
    return [a.text for a in _note_for(client, note_id).addenda.all()]


@router.post(
    "/{code}/integration/notes/{note_id}/addenda",
    response={201: NoteOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Add an addendum to a signed note",
)
def addendum_add(
    request: HttpRequest, code: str, note_id: int, payload: AddendumIn
) -> tuple[int, NoteOut]:
    from holdspace.integration import services as integration_services

    client = client_for_user(request.membership, code)  # type: ignore[attr-defined]
    note = _note_for(client, note_id)
    integration_services.note_addendum_add(
        by=request.actor,  # type: ignore[attr-defined]
        note=note,
        text=payload.text,
    )
    return 201, _note_out(note)
