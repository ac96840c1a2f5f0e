"""/api/v1/sessions/{id}: the medicine session's writes and reads, with the same scoping and
audit as the monitor. POSTs honour an `Idempotency-Key` header: a repeat with the same key
answers the first result (with `"replayed": true`) and stores nothing new."""

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, JsonResponse
from ninja import Router, Schema

from holdspace.audit.services import audit_record

from . import fhir, selectors, services
from .models import MedicineSession

router = Router(tags=["sessions"])


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


class NoteOut(Schema):
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


class VitalIn(Schema):
    systolic: int
    diastolic: int
    heart_rate: int
    temperature: Decimal
    spo2: int | None = None
    suds: int | None = None
    taken_at: dt.datetime | None = None


class DoseIn(Schema):
    kind: str  # "initial" or "supplemental"
    given: bool = True  # False: withhold the supplemental dose (with a reason)
    substance: str = ""
    mg: Decimal | None = None
    lot_number: str = ""
    given_at: dt.datetime | None = None
    given_by_id: int | None = None  # a therapist present (membership id); default: the caller
    reason: str = ""


class NoteIn(Schema):
    kind: str = "note"  # or a one-tap code: music_changed, crying, ...
    text: str = ""
    at: dt.datetime | None = None


class EventIn(Schema):
    term: str
    onset_at: dt.datetime
    severity: str
    valence: str
    relatedness: str
    outcome: str
    serious_criteria: list[str] = []
    special_interest: list[str] = []
    action: str = ""


class AckIn(Schema):
    alert_id: int
    action_taken: str


def _session(request: HttpRequest, session_id: int) -> MedicineSession:
    return selectors.session_by_id(request.membership, session_id)  # type: ignore[attr-defined]


def _audit_read(request: HttpRequest, session: MedicineSession, action: str) -> None:
    actor = request.actor  # type: ignore[attr-defined]
    audit_record(
        action=action,
        actor=actor.user,
        clinic_id=actor.clinic_id,
        target=session,
        client_code=session.client.code,
        channel=actor.channel,
        ip=actor.ip,
    )


def _write(
    request: HttpRequest, session: MedicineSession, action: str, call: Callable[[], Any]
) -> JsonResponse:
    def run() -> tuple[int, dict[str, Any]]:
        result = call()
        return 201, {"id": result.pk, "action": action}

    status, body, replayed = services.idempotent(
        session=session, key=request.headers.get("Idempotency-Key"), action=action, run=run
    )
    response = JsonResponse({**body, "replayed": replayed}, status=status)
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return response


@router.get("/{session_id}/timeline", response=list[TimelineItemOut], summary="One timeline")
def timeline(request: HttpRequest, session_id: int) -> list[TimelineItemOut]:
    session = _session(request, session_id)
    _audit_read(request, session, "session.api.timeline")
    return [TimelineItemOut(**item.__dict__) for item in selectors.timeline(session)]


@router.get("/{session_id}/alerts", response=list[AlertOut], summary="Alerts, open first")
def alerts(request: HttpRequest, session_id: int) -> list[AlertOut]:
    session = _session(request, session_id)
    _audit_read(request, session, "session.api.alerts")
    rows = sorted(session.alerts.all(), key=lambda a: (a.acknowledged_at is not None, -a.pk))
    return [
        AlertOut(
            id=a.pk,
            tier=a.tier,
            reasons=a.reasons,
            raised_at=a.raised_at,
            reading_id=a.reading_id,
            acknowledged_at=a.acknowledged_at,
            action_taken=a.action_taken,
        )
        for a in rows
    ]


@router.get("/{session_id}/vitals", response=list[VitalOut], summary="Readings")
def vitals_list(request: HttpRequest, session_id: int) -> list[MedicineSession]:
    session = _session(request, session_id)
    _audit_read(request, session, "session.api.vitals")
    return list(session.vitals.all())  # type: ignore[arg-type]


@router.post("/{session_id}/vitals", response={201: dict[str, Any]}, summary="Record a reading")
def vitals_create(request: HttpRequest, session_id: int, body: VitalIn) -> JsonResponse:
    session = _session(request, session_id)
    return _write(
        request,
        session,
        "vitals",
        lambda: services.vital_record(by=request.actor, session=session, **body.dict()),  # type: ignore[attr-defined]
    )


@router.get("/{session_id}/vitals/{reading_id}/fhir", summary="A reading as FHIR R4 Observations")
def vitals_fhir(request: HttpRequest, session_id: int, reading_id: int) -> dict[str, Any]:
    from django.http import Http404

    session = _session(request, session_id)
    reading = session.vitals.filter(pk=reading_id).first()
    if reading is None:
        raise Http404("No such reading.")
    _audit_read(request, session, "session.api.vitals_fhir")
    return fhir.reading_bundle(reading)


def _giver(session: MedicineSession, membership_id: int | None) -> Any:
    if membership_id is None:
        return None
    presence = session.team.filter(membership_id=membership_id).select_related("membership").first()
    if presence is None:
        from django.core.exceptions import ValidationError

        raise ValidationError({"given_by_id": "Not a therapist present in this session."})
    return presence.membership


@router.get("/{session_id}/doses", response=list[DoseOut], summary="Doses")
def doses_list(request: HttpRequest, session_id: int) -> list[Any]:
    session = _session(request, session_id)
    _audit_read(request, session, "session.api.doses")
    return list(session.doses.all())


@router.post("/{session_id}/doses", response={201: dict[str, Any]}, summary="Give or withhold")
def doses_create(request: HttpRequest, session_id: int, body: DoseIn) -> JsonResponse:
    session = _session(request, session_id)
    by = request.actor  # type: ignore[attr-defined]
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
            given_by=_giver(session, body.given_by_id),
            given_at=body.given_at,
            reason=body.reason,
        ),
    )


@router.get("/{session_id}/notes", response=list[NoteOut], summary="Timeline notes")
def notes_list(request: HttpRequest, session_id: int) -> list[Any]:
    session = _session(request, session_id)
    _audit_read(request, session, "session.api.notes")
    return list(session.entries.all())


@router.post("/{session_id}/notes", response={201: dict[str, Any]}, summary="A note or one tap")
def notes_create(request: HttpRequest, session_id: int, body: NoteIn) -> JsonResponse:
    session = _session(request, session_id)
    return _write(
        request,
        session,
        "note",
        lambda: services.event_note(
            by=request.actor,  # type: ignore[attr-defined]
            session=session,
            kind=body.kind,
            text=body.text,
            at=body.at,
        ),
    )


@router.get("/{session_id}/events", response=list[EventOut], summary="Adverse events")
def events_list(request: HttpRequest, session_id: int) -> list[Any]:
    session = _session(request, session_id)
    _audit_read(request, session, "session.api.events")
    return list(session.adverse_events.all())


@router.post("/{session_id}/events", response={201: dict[str, Any]}, summary="Report an event")
def events_create(request: HttpRequest, session_id: int, body: EventIn) -> JsonResponse:
    session = _session(request, session_id)
    return _write(
        request,
        session,
        "ae",
        lambda: services.adverse_event_report(
            by=request.actor,  # type: ignore[attr-defined]
            session=session,
            **body.dict(),
        ),
    )


@router.get("/{session_id}/acknowledgements", response=list[AlertOut], summary="Acknowledged")
def acknowledgements_list(request: HttpRequest, session_id: int) -> list[AlertOut]:
    return [a for a in alerts(request, session_id) if a.acknowledged_at is not None]


@router.post(
    "/{session_id}/acknowledgements", response={201: dict[str, Any]}, summary="Acknowledge"
)
def acknowledgements_create(request: HttpRequest, session_id: int, body: AckIn) -> JsonResponse:
    session = _session(request, session_id)
    alert = selectors.alert_of_session(session, body.alert_id)
    return _write(
        request,
        session,
        "ack",
        lambda: services.alert_acknowledge(
            by=request.actor,  # type: ignore[attr-defined]
            alert=alert,
            action_taken=body.action_taken,
        ),
    )


class SessionOut(Schema):
    id: int
    client: str
    visit_id: int
    status: str
    started_at: dt.datetime | None
    ended_at: dt.datetime | None
    next_reading_due_at: dt.datetime | None
    blockers: list[str]
    note_locked: bool


class NoteTextIn(Schema):
    text: str


def _session_out(session: MedicineSession) -> SessionOut:
    blockers = selectors.start_blockers(session) if session.status == "preparing" else []
    return SessionOut(
        id=session.pk,
        client=session.client.code,
        visit_id=session.visit_id,
        status=session.status,
        started_at=session.started_at,
        ended_at=session.ended_at,
        next_reading_due_at=session.next_reading_due_at,
        blockers=[b.message for b in blockers],
        note_locked=session.note_locked_at is not None,
    )


@router.get("/{session_id}", response=SessionOut, summary="A session and what blocks its start")
def session_detail(request: HttpRequest, session_id: int) -> SessionOut:
    session = _session(request, session_id)
    _audit_read(request, session, "session.api.detail")
    return _session_out(session)


@router.get("/{session_id}/start", response=SessionOut, summary="What blocks the start")
def start_check(request: HttpRequest, session_id: int) -> SessionOut:
    return session_detail(request, session_id)


@router.post("/{session_id}/start", response={201: dict[str, Any]}, summary="Start the session")
def start(request: HttpRequest, session_id: int) -> JsonResponse:
    session = _session(request, session_id)
    return _write(
        request,
        session,
        "start",
        lambda: services.session_start(by=request.actor, session=session),  # type: ignore[attr-defined]
    )


@router.get("/{session_id}/note", summary="The session note")
def note_detail(request: HttpRequest, session_id: int) -> dict[str, Any]:
    session = _session(request, session_id)
    _audit_read(request, session, "session.api.note")
    return {
        "text": session.note_text,
        "locked_at": session.note_locked_at,
        "signed_by": [
            s.membership.user.email for s in session.signatures.select_related("membership__user")
        ],
    }


@router.post("/{session_id}/note", response={201: dict[str, Any]}, summary="Write the draft")
def note_write(request: HttpRequest, session_id: int, body: NoteTextIn) -> JsonResponse:
    session = _session(request, session_id)
    return _write(
        request,
        session,
        "note_write",
        lambda: services.note_write(by=request.actor, session=session, text=body.text),  # type: ignore[attr-defined]
    )


@router.get("/{session_id}/note/sign", summary="Who has signed")
def note_signatures(request: HttpRequest, session_id: int) -> dict[str, Any]:
    return note_detail(request, session_id)


@router.post("/{session_id}/note/sign", response={201: dict[str, Any]}, summary="Sign the note")
def note_sign(request: HttpRequest, session_id: int) -> JsonResponse:
    session = _session(request, session_id)
    return _write(
        request,
        session,
        "note_sign",
        lambda: services.note_sign(by=request.actor, session=session),  # type: ignore[attr-defined]
    )
