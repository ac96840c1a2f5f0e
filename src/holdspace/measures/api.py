"""/api/v1/instruments and a client's assignments and responses, scoped like the pages.

No `from __future__ import annotations` here: it breaks ninja's body and query resolution.
"""

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Router, Schema, Status

from holdspace.audit.services import audit_record
from holdspace.people import selectors as people_selectors
from holdspace.people.models import Client

from . import fhir, library, policies, scoring, selectors, services
from .definitions import Definition, DefinitionError
from .models import Assignment, EnteredBy, InstrumentDefinition, Response, Score, summary

router = Router(tags=["measures"])


class ErrorOut(Schema):
    detail: str
    item: str | None = None


class InstrumentOut(Schema):
    code: str
    name: str
    version: str
    licence_verdict: str
    rated_by: str
    usable: bool
    loinc_panel: str
    loinc_total: str
    items: int


class ScoreIn(Schema):
    answers: dict[str, Any]
    sex: str | None = None


class ScoreOut(Schema):
    instrument: str
    version: str
    total: float | None
    subscales: dict[str, float]
    band: str | None
    flags: list[str]


class AssignmentIn(Schema):
    instrument_code: str
    due_on: dt.date
    timepoint: str = ""


class AssignmentOut(Schema):
    id: int
    instrument_code: str
    due_on: dt.date
    timepoint: str
    state: str


class ResponseIn(Schema):
    instrument_code: str
    answers: dict[str, Any]
    sex: str | None = None
    observed_on: dt.date | None = None


class ResponseOut(Schema):
    id: int
    instrument_code: str
    definition_version: str
    answers: dict[str, Any]
    entered_by: str
    submitted_at: dt.datetime | None
    score: ScoreOut | None


class ImportIn(Schema):
    code: str
    licence: str = ""
    questionnaire: dict[str, Any]


def _clinic_id(request: HttpRequest) -> int:
    return request.membership.clinic_id  # type: ignore[attr-defined]


def _audit_client(request: HttpRequest, action: str, client: Client, fields: list[str]) -> None:
    actor = request.actor  # type: ignore[attr-defined]
    audit_record(
        action=action,
        actor=actor.user,
        clinic_id=actor.clinic_id,
        target=client,
        client_code=client.code,
        fields=fields,
        channel=actor.channel,
        ip=actor.ip,
    )


def _error(exc: scoring.AnswerError) -> ErrorOut:
    return ErrorOut(detail=str(exc), item=exc.link_id)


@router.get("/instruments", response=list[InstrumentOut], summary="Instruments your clinic uses")
def instrument_list(request: HttpRequest) -> list[InstrumentOut]:
    return [_instrument_out(d) for d in library.definitions_for(_clinic_id(request)).values()]


def _instrument_out(d: Definition) -> InstrumentOut:
    return InstrumentOut(
        code=d.code,
        name=d.name,
        version=d.version,
        licence_verdict=d.licence_verdict,
        rated_by=d.rated_by,
        usable=d.usable,
        loinc_panel=d.loinc_panel,
        loinc_total=d.loinc_total,
        items=len(d.items),
    )


@router.get(
    "/clinic-instruments",
    response=list[InstrumentOut],
    summary="Instruments your clinic added (admin or FHIR import)",
)
def clinic_instrument_list(request: HttpRequest) -> list[InstrumentOut]:
    rows = InstrumentDefinition.objects.filter(clinic_id=_clinic_id(request), is_active=True)
    return [_instrument_out(row.definition()) for row in rows.order_by("code")]


@router.post(
    "/clinic-instruments",
    response={201: dict[str, Any], 403: ErrorOut, 422: dict[str, Any]},
    summary="Add a FHIR Questionnaire as your clinic's own instrument",
)
def instrument_import(request: HttpRequest, body: ImportIn) -> Status[dict[str, Any]]:
    try:
        row = services.instrument_import_fhir(
            by=request.actor,  # type: ignore[attr-defined]
            questionnaire=body.questionnaire,
            code=body.code,
            licence=body.licence,
        )
    except DefinitionError as exc:
        return Status(422, {"detail": str(exc)})
    return Status(201, {"code": row.code, "version": row.version})


@router.get(
    "/instruments/{instrument_code}",
    response={200: dict[str, Any], 404: ErrorOut},
    summary="One instrument's definition",
)
def instrument_detail(request: HttpRequest, instrument_code: str) -> dict[str, Any]:
    definition = library.definition_for(_clinic_id(request), instrument_code)
    return definition.model_dump(mode="json", by_alias=True)


@router.get(
    "/instruments/{instrument_code}/fhir",
    response={200: dict[str, Any], 404: ErrorOut},
    summary="The instrument as a FHIR R4 Questionnaire",
)
def instrument_fhir(request: HttpRequest, instrument_code: str) -> dict[str, Any]:
    return fhir.questionnaire(library.definition_for(_clinic_id(request), instrument_code))


@router.get(
    "/instruments/{instrument_code}/score",
    response={200: dict[str, Any], 404: ErrorOut},
    summary="How the instrument is scored: method, bands, cut-offs, change and safety rules",
)
def instrument_scoring_rules(request: HttpRequest, instrument_code: str) -> dict[str, Any]:
    definition = library.definition_for(_clinic_id(request), instrument_code)
    return definition.model_dump(
        mode="json",
        include={"code", "version", "scoring", "bands", "cut_offs", "change", "safety"},
    )


@router.post(
    "/instruments/{instrument_code}/score",
    response={200: ScoreOut, 404: ErrorOut, 422: ErrorOut},
    summary="Score answers without storing them",
)
def instrument_score(
    request: HttpRequest, instrument_code: str, body: ScoreIn
) -> Status[ScoreOut | ErrorOut]:
    definition = library.definition_for(_clinic_id(request), instrument_code)
    if body.sex not in (None, "female", "male"):
        return Status(422, ErrorOut(detail="sex must be 'female' or 'male'", item="sex"))
    try:
        if definition.score_entry_only:
            result = scoring.score_from_total(definition, body.answers.get("total"), sex=body.sex)
        else:
            result = scoring.score(definition, body.answers, sex=body.sex)
    except scoring.AnswerError as exc:
        return Status(422, _error(exc))
    return Status(
        200,
        ScoreOut(
            instrument=result.instrument,
            version=result.version,
            total=result.total,
            subscales=result.subscales,
            band=result.band,
            flags=result.flags,
        ),
    )


def _assignment_out(assignment: Assignment) -> AssignmentOut:
    return AssignmentOut(
        id=assignment.pk,
        instrument_code=assignment.instrument_code,
        due_on=assignment.due_on,
        timepoint=assignment.timepoint,
        state=assignment.state,
    )


@router.get(
    "/clients/{code}/assignments",
    response={200: list[AssignmentOut], 404: ErrorOut},
    summary="A client's assigned measures",
)
def assignment_list(request: HttpRequest, code: str) -> list[AssignmentOut]:
    client = people_selectors.client_for_user(request.membership, code)  # type: ignore[attr-defined]
    _audit_client(request, "measures.assignment.list", client, [])
    return [_assignment_out(a) for a in selectors.assignments_for_client(client)]


@router.post(
    "/clients/{code}/assignments",
    response={201: AssignmentOut, 403: ErrorOut, 404: ErrorOut, 422: dict[str, Any]},
    summary="Assign a measure to a client",
)
def assignment_add(request: HttpRequest, code: str, body: AssignmentIn) -> Status[AssignmentOut]:
    client = people_selectors.client_for_user(request.membership, code)  # type: ignore[attr-defined]
    assignment = services.assignment_create(
        by=request.actor,  # type: ignore[attr-defined]
        client=client,
        instrument_code=body.instrument_code,
        due_on=body.due_on,
        timepoint=body.timepoint,
    )
    return Status(201, _assignment_out(assignment))


def _response_out(response: Response) -> ResponseOut:
    score: Score | None = getattr(response, "score", None)
    return ResponseOut(
        id=response.pk,
        instrument_code=response.instrument_code,
        definition_version=response.definition_version,
        answers=response.answers,
        entered_by=response.entered_by,
        submitted_at=response.submitted_at,
        score=ScoreOut(**summary(score)) if score is not None else None,
    )


@router.get(
    "/clients/{code}/responses",
    response={200: list[ResponseOut], 404: ErrorOut},
    summary="A client's responses with their scores",
)
def response_list(request: HttpRequest, code: str) -> list[ResponseOut]:
    client = people_selectors.client_for_user(request.membership, code)  # type: ignore[attr-defined]
    _audit_client(request, "measures.response.list", client, ["answers"])
    rows = client.responses.select_related("score").order_by("-pk")[:500]
    return [_response_out(r) for r in rows]


@router.post(
    "/clients/{code}/responses",
    response={201: ResponseOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Record a complete response for a client (scored at once)",
)
def response_add(
    request: HttpRequest, code: str, body: ResponseIn
) -> Status[ResponseOut | ErrorOut]:
    client = people_selectors.client_for_user(request.membership, code)  # type: ignore[attr-defined]
    if not policies.can_write_measures(request.membership, client):  # type: ignore[attr-defined]
        raise PermissionDenied("You may not record measures for this client.")
    definition = library.definition_for(client.clinic_id, body.instrument_code)
    if body.sex not in (None, "female", "male"):
        return Status(422, ErrorOut(detail="sex must be 'female' or 'male'", item="sex"))
    try:
        if definition.score_entry_only:
            score = services.score_record_total(
                by=request.actor,  # type: ignore[attr-defined]
                client=client,
                instrument_code=definition.code,
                total=body.answers.get("total"),
                observed_on=body.observed_on,
            )
        else:
            score = services.response_record(
                by=request.actor,  # type: ignore[attr-defined]
                client=client,
                instrument_code=definition.code,
                answers=body.answers,
                sex=body.sex,
                observed_on=body.observed_on,
                entered_by=EnteredBy.API,
            )
    except scoring.AnswerError as exc:
        return Status(422, _error(exc))
    return Status(201, _response_out(score.response))


@router.get(
    "/clients/{code}/responses/{response_id}/fhir",
    response={200: dict[str, Any], 404: ErrorOut},
    summary="One response as a FHIR R4 QuestionnaireResponse",
)
def response_fhir(request: HttpRequest, code: str, response_id: int) -> dict[str, Any]:
    client = people_selectors.client_for_user(request.membership, code)  # type: ignore[attr-defined]
    response = client.responses.filter(pk=response_id).first()
    if response is None:
        from django.http import Http404

        raise Http404("No such response.")
    _audit_client(request, "measures.response.view", client, ["answers"])
    definition = library.definition_for(client.clinic_id, response.instrument_code)
    return fhir.questionnaire_response(response, definition)
