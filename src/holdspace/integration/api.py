"""/api/v1/clients/{code}/integration/notes: integration notes and their addenda, through the
integration selectors (researchers: 403) and the shared read audit."""

import datetime as dt

from ninja import Router, Schema, Status

from holdspace.core.http import ApiRequest
from holdspace.core.schemas import ClientCode, Id, LongText
from holdspace.courses.selectors import current_course, visit_of_course
from holdspace.people.auditing import audit_read

from . import selectors, services
from .models import IntegrationNote

router = Router(tags=["integration"])


class IntegrationNoteOut(Schema):
    id: int
    created_at: dt.datetime
    signed_at: dt.datetime | None
    text: str
    addenda: list[str]


class IntegrationNoteIn(Schema):
    text: LongText
    visit_id: Id | None = None


class IntegrationNotePatch(Schema):
    """Only the fields sent change: `text` (a draft only), `sign` (locks the note)."""

    text: LongText | None = None
    sign: bool = False


class AddendumIn(Schema):
    text: LongText


def _out(note: IntegrationNote) -> IntegrationNoteOut:
    return IntegrationNoteOut(
        id=note.pk,
        created_at=note.created_at,
        signed_at=note.signed_at,
        text=note.text,
        addenda=[a.text for a in note.addenda.all()],
    )


def _read(request: ApiRequest, code: str, note_id: int) -> IntegrationNote:
    note = selectors.note_for_user(request.membership, code, note_id)
    audit_read(request.actor, "integration_note.view", client=note.client, target=note)
    return note


@router.get("/{code}/integration/notes", response=list[IntegrationNoteOut], summary="Notes")
def note_list(request: ApiRequest, code: ClientCode) -> list[IntegrationNoteOut]:
    client = selectors.integration_client_for_user(request.membership, code)
    audit_read(request.actor, "integration.view", client=client, fields=["notes"])
    return [_out(n) for n in selectors.notes_of_client(client)]


@router.post(
    "/{code}/integration/notes",
    response={201: IntegrationNoteOut},
    summary="Write an integration note (a draft until signed)",
)
def note_create(
    request: ApiRequest, code: ClientCode, payload: IntegrationNoteIn
) -> Status[IntegrationNoteOut]:
    client = selectors.integration_client_for_user(request.membership, code)
    course = current_course(client)
    if course is None:
        from django.http import Http404

        raise Http404("No course.")
    visit = visit_of_course(course, payload.visit_id) if payload.visit_id else None
    note = services.note_create(
        by=request.actor, course=course, client=client, text=payload.text, visit=visit
    )
    return Status(201, _out(note))


@router.get("/{code}/integration/notes/{note_id}", response=IntegrationNoteOut, summary="One note")
def note_detail(request: ApiRequest, code: ClientCode, note_id: Id) -> IntegrationNoteOut:
    return _out(_read(request, code, note_id))


@router.patch(
    "/{code}/integration/notes/{note_id}",
    response=IntegrationNoteOut,
    summary="Edit a draft note and/or sign it (a signed note is locked: 422)",
)
def note_patch(
    request: ApiRequest, code: ClientCode, note_id: Id, payload: IntegrationNotePatch
) -> IntegrationNoteOut:
    note = _read(request, code, note_id)
    if payload.text is not None:
        note = services.note_update(by=request.actor, note=note, text=payload.text)
    if payload.sign:
        note = services.note_sign(by=request.actor, note=note)
    return _out(note)


@router.get(
    "/{code}/integration/notes/{note_id}/addenda", response=list[str], summary="A note's addenda"
)
def addendum_list(request: ApiRequest, code: ClientCode, note_id: Id) -> list[str]:
    return [a.text for a in _read(request, code, note_id).addenda.all()]


@router.post(
    "/{code}/integration/notes/{note_id}/addenda",
    response={201: IntegrationNoteOut},
    summary="Add an addendum to a signed note",
)
def addendum_add(
    request: ApiRequest, code: ClientCode, note_id: Id, payload: AddendumIn
) -> Status[IntegrationNoteOut]:
    note = _read(request, code, note_id)
    services.note_addendum_add(by=request.actor, note=note, text=payload.text)
    return Status(201, _out(selectors.note_for_user(request.membership, code, note_id)))
