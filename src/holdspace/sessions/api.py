"""/api/v1/sessions: find a session (a vitals device asks for the running one) and write to it
with the same services, scoping and read audit as the monitor. POSTs honour an
`Idempotency-Key` header (sessions/idempotency.py): a repeat with the same key and request
answers the first result with `Idempotent-Replayed: true` and stores nothing new."""

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.db.models import Model
from django.http import JsonResponse
from ninja import Query, Router, Schema
from ninja.pagination import paginate
from pydantic import Field

from holdspace.core.http import ApiRequest
from holdspace.core.pagination import BoundedPagination
from holdspace.core.schemas import ClientCode, EventTime, Id, LongText, ShortText
from holdspace.people.auditing import audit_read

from . import fhir, selectors, services
from .idempotency import idempotent
from .models import (
    MedicineSession,
    Outcome,
    Relatedness,
    SessionStatus,
    Valence,
)
from .timeline import timeline

router = Router(tags=["sessions"])

# Edge bounds: wide enough for any reading a device sends, narrow enough for the columns. The
# plausible ranges of a human reading are checked by the service (data/session/).
Reading = Annotated[int, Field(ge=0, le=1000)]
Percent = Annotated[int, Field(ge=0, le=100)]
Celsius = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)]
Milligrams = Annotated[Decimal, Field(ge=0, le=10_000, max_digits=6, decimal_places=1)]


class SessionOut(Schema):
    id: int
    client: str
    visit_id: int
    course_id: int
    status: str
    scheduled_at: dt.datetime
    started_at: dt.datetime | None
    ended_at: dt.datetime | None
    next_reading_due_at: dt.datetime | None
    blockers: list[str]
    note_locked: bool


class SessionFilter(Schema):
    status: SessionStatus | None = None
    date: dt.date | None = Field(None, description="Scheduled on this day, or running on it")
    client: ClientCode | None = None


class TimelineItemOut(Schema):
    at: dt.datetime
    kind: str
    text: str
    tier: str
    by: str


class AlertOut(Schema):
    id: int
    tier: str
    reasons: list[str]
    raised_at: dt.datetime
    reading_id: int
    acknowledged_at: dt.datetime | None
    action_taken: str


class VitalOut(Schema):
    id: int
    taken_at: dt.datetime
    systolic: int
    diastolic: int
    heart_rate: int
    temperature: Decimal
    spo2: int | None
    suds: int | None
    is_baseline: bool
    tier: str


class DoseOut(Schema):
    id: int
    kind: str
    given: bool
    substance: str
    mg: Decimal | None
    given_at: dt.datetime | None
    lot_number: str
    reason: str


class SessionEntryOut(Schema):
    id: int
    at: dt.datetime
    kind: str
    text: str


class EventOut(Schema):
    id: int
    term: str
    onset_at: dt.datetime
    severity: str
    valence: str
    serious_criteria: list[str]
    relatedness: str
    outcome: str
    special_interest: list[str]
    report_due_at: dt.datetime | None


class SessionNoteOut(Schema):
    text: str
    locked_at: dt.datetime | None
    signed_by: list[str]


class WrittenOut(Schema):
    id: int | None
    action: str
    replayed: bool


class VitalIn(Schema):
    systolic: Reading
    diastolic: Reading
    heart_rate: Reading
    temperature: Celsius
    spo2: Percent | None = None
    suds: Percent | None = None
    taken_at: EventTime | None = None


class DoseIn(Schema):
    kind: Literal["initial", "supplemental"]
    given: bool = True  # False: withhold the supplemental dose (with a reason)
    substance: ShortText = ""
    mg: Milligrams | None = None
    lot_number: ShortText = ""
    given_at: EventTime | None = None
    given_by_id: Id | None = None  # a therapist present (membership id); default: the caller
    reason: LongText = ""


class SessionEntryIn(Schema):
    kind: ShortText = "note"  # or a one-tap code: music_changed, crying, ...
    text: LongText = ""
    at: EventTime | None = None


# The adverse-event grades (models.Severity), under a name of their own in the OpenAPI schema:
# screening has a Severity of use disorders with "none" among its values.
AdverseEventSeverity = Literal["mild", "moderate", "severe"]


class EventIn(Schema):
    term: ShortText
    onset_at: EventTime
    severity: AdverseEventSeverity
    valence: Valence
    relatedness: Relatedness
    outcome: Outcome
    serious_criteria: list[ShortText] = Field(default_factory=list, max_length=20)
    special_interest: list[ShortText] = Field(default_factory=list, max_length=20)
    action: LongText = ""


class AckIn(Schema):
    alert_id: Id
    action_taken: LongText


class SessionNoteIn(Schema):
    text: LongText


WRITTEN = {201: WrittenOut}


def _session(request: ApiRequest, session_id: int, action: str = "") -> MedicineSession:
    """The session if the caller may see it (404 otherwise); a read is audited."""
    session = selectors.session_by_id(request.membership, session_id)
    if action:
        audit_read(request.actor, action, client=session.client, target=session)
    return session


def _write(
    request: ApiRequest, session: MedicineSession, action: str, call: Callable[[], Model]
) -> JsonResponse:
    def run() -> tuple[int, dict[str, Any]]:
        return 201, {"id": call().pk, "action": action}

    status, body, replayed = idempotent(
        request=request, user=request.user, session=session, action=action, run=run
    )
    response = JsonResponse({**body, "replayed": replayed}, status=status)
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return response


def _session_out(session: MedicineSession) -> SessionOut:
    blockers = selectors.start_blockers(session) if session.status == "preparing" else []
    return SessionOut(
        id=session.pk,
        client=session.client.code,
        visit_id=session.visit_id,
        course_id=session.visit.course_id,
        status=session.status,
        scheduled_at=session.visit.starts_at,
        started_at=session.started_at,
        ended_at=session.ended_at,
        next_reading_due_at=session.next_reading_due_at,
        blockers=[b.message for b in blockers],
        note_locked=session.note_locked_at is not None,
    )


@router.get("", response=list[SessionOut], summary="Sessions you may see (running first)")
@paginate(BoundedPagination)
def session_list(request: ApiRequest, filters: Query[SessionFilter]) -> Any:
    sessions = selectors.session_search(
        request.membership,
        status=filters.status.value if filters.status else "",
        day=filters.date,
        client_code=filters.client or "",
    )
    audit_read(request.actor, "session.list")
    return [_session_out(s) for s in sessions]


@router.get("/{session_id}", response=SessionOut, summary="A session and what blocks its start")
def session_detail(request: ApiRequest, session_id: Id) -> SessionOut:
    return _session_out(_session(request, session_id, "session.api.detail"))


@router.get("/{session_id}/timeline", response=list[TimelineItemOut], summary="The timeline")
def timeline_list(request: ApiRequest, session_id: Id) -> list[TimelineItemOut]:
    session = _session(request, session_id, "session.api.timeline")
    loaded = selectors.session_loaded(session)
    return [TimelineItemOut(**item.__dict__) for item in timeline(loaded)]


@router.get("/{session_id}/alerts", response=list[AlertOut], summary="Alerts, open first")
def alert_list(request: ApiRequest, session_id: Id) -> list[Any]:
    session = _session(request, session_id, "session.api.alerts")
    return selectors.alerts_open_first(session)


@router.get("/{session_id}/vitals", response=list[VitalOut], summary="Readings")
def vitals_list(request: ApiRequest, session_id: Id) -> list[Any]:
    return list(_session(request, session_id, "session.api.vitals").vitals.all())


@router.post("/{session_id}/vitals", response=WRITTEN, summary="Record a reading")
def vitals_create(request: ApiRequest, session_id: Id, body: VitalIn) -> JsonResponse:
    session = _session(request, session_id)
    return _write(
        request,
        session,
        "vitals",
        lambda: services.vital_record(by=request.actor, session=session, **body.dict()),
    )


@router.get("/{session_id}/vitals/{reading_id}/fhir", summary="A reading as FHIR R4 Observations")
def vitals_fhir(request: ApiRequest, session_id: Id, reading_id: Id) -> dict[str, Any]:
    session = _session(request, session_id)
    reading = selectors.reading_of_session(session, reading_id)
    audit_read(request.actor, "session.api.vitals_fhir", client=session.client, target=reading)
    return fhir.reading_bundle(reading)


@router.get("/{session_id}/doses", response=list[DoseOut], summary="Doses")
def dose_list(request: ApiRequest, session_id: Id) -> list[Any]:
    return list(_session(request, session_id, "session.api.doses").doses.all())


@router.post("/{session_id}/doses", response=WRITTEN, summary="Give or withhold")
def dose_create(request: ApiRequest, session_id: Id, body: DoseIn) -> JsonResponse:
    session = _session(request, session_id)
    by = request.actor
    if not body.given:
        return _write(
            request,
            session,
            "withhold",
            lambda: services.dose_withhold(by=by, session=session, reason=body.reason),
        )
    return _write(
        request,
        session,
        "dose",
        lambda: services.dose_give(
            by=by,
            session=session,
            kind=body.kind,
            substance=body.substance,
            mg=body.mg,
            lot_number=body.lot_number,
            given_by=selectors.therapist_present(session, body.given_by_id),
            given_at=body.given_at,
            reason=body.reason,
        ),
    )


@router.get("/{session_id}/notes", response=list[SessionEntryOut], summary="Timeline notes")
def entry_list(request: ApiRequest, session_id: Id) -> list[Any]:
    return list(_session(request, session_id, "session.api.notes").entries.all())


@router.post("/{session_id}/notes", response=WRITTEN, summary="A note or one tap")
def entry_create(request: ApiRequest, session_id: Id, body: SessionEntryIn) -> JsonResponse:
    session = _session(request, session_id)
    return _write(
        request,
        session,
        "note",
        lambda: services.event_note(
            by=request.actor, session=session, kind=body.kind, text=body.text, at=body.at
        ),
    )


@router.get("/{session_id}/events", response=list[EventOut], summary="Adverse events")
def event_list(request: ApiRequest, session_id: Id) -> list[Any]:
    return list(_session(request, session_id, "session.api.events").adverse_events.all())


@router.post("/{session_id}/events", response=WRITTEN, summary="Report an adverse event")
def event_create(request: ApiRequest, session_id: Id, body: EventIn) -> JsonResponse:
    session = _session(request, session_id)
    return _write(
        request,
        session,
        "ae",
        lambda: services.adverse_event_report(by=request.actor, session=session, **body.dict()),
    )


@router.get(
    "/{session_id}/acknowledgements", response=list[AlertOut], summary="Acknowledged alerts"
)
def acknowledgement_list(request: ApiRequest, session_id: Id) -> list[Any]:
    session = _session(request, session_id, "session.api.alerts")
    return [a for a in selectors.alerts_open_first(session) if a.acknowledged_at is not None]


@router.post("/{session_id}/acknowledgements", response=WRITTEN, summary="Acknowledge an alert")
def acknowledgement_create(request: ApiRequest, session_id: Id, body: AckIn) -> JsonResponse:
    session = _session(request, session_id)
    alert = selectors.alert_of_session(session, body.alert_id)
    return _write(
        request,
        session,
        "ack",
        lambda: services.alert_acknowledge(
            by=request.actor, alert=alert, action_taken=body.action_taken
        ),
    )


@router.post("/{session_id}/start", response=WRITTEN, summary="Start the session")
def start(request: ApiRequest, session_id: Id) -> JsonResponse:
    session = _session(request, session_id)
    return _write(
        request, session, "start", lambda: services.session_start(by=request.actor, session=session)
    )


def _note_out(session: MedicineSession) -> SessionNoteOut:
    return SessionNoteOut(
        text=session.note_text,
        locked_at=session.note_locked_at,
        signed_by=[s.membership.user.email for s in selectors.note_signatures(session)],
    )


@router.get("/{session_id}/note", response=SessionNoteOut, summary="The session note")
def note_detail(request: ApiRequest, session_id: Id) -> SessionNoteOut:
    return _note_out(_session(request, session_id, "session.api.note"))


@router.post("/{session_id}/note", response=WRITTEN, summary="Write the draft")
def note_write(request: ApiRequest, session_id: Id, body: SessionNoteIn) -> JsonResponse:
    session = _session(request, session_id)
    return _write(
        request,
        session,
        "note_write",
        lambda: services.note_write(by=request.actor, session=session, text=body.text),
    )


@router.post("/{session_id}/note/sign", response=WRITTEN, summary="Sign the note")
def note_sign(request: ApiRequest, session_id: Id) -> JsonResponse:
    session = _session(request, session_id)
    return _write(
        request, session, "note_sign", lambda: services.note_sign(by=request.actor, session=session)
    )
