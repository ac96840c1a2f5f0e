"""/api/v1/instruments and a client's assignments and responses, scoped like the pages.

No `from __future__ import annotations` here: it breaks ninja's body and query resolution.
"""

import datetime as dt
import json
from typing import Annotated, Any, Literal

from ninja import Router, Schema, Status
from pydantic import ConfigDict, Field, StringConstraints

from holdspace.core.http import ApiRequest
from holdspace.core.schemas import (
    ClientCode,
    ErrorOut,
    Id,
    LifeDate,
    PlannedDate,
    ShortText,
)
from holdspace.people.auditing import audit_read
from holdspace.screening import selectors as screening_selectors

from . import fhir, library, scoring, selectors, services
from .definitions import Definition, DefinitionError
from .models import Assignment, EnteredBy, Response, Score, summary

router = Router(tags=["measures"])


# An instrument code or an item's link id, as the data files spell them.
Code = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:/-]{1,60}$")]
# An answer: a number, a choice's code or a yes/no; the instrument's definition says which.
Answer = int | float | bool | ShortText | None
Answers = Annotated[dict[Code, Answer], Field(max_length=500)]
Sex = Literal["female", "male"]


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
    answers: Answers
    sex: Sex | None = None


class ScoreOut(Schema):
    instrument: str
    version: str
    total: float | None
    subscales: dict[str, float]
    band: str | None
    flags: list[str]


class AssignmentIn(Schema):
    instrument_code: Code
    due_on: PlannedDate
    timepoint: ShortText = ""


class AssignmentOut(Schema):
    id: int
    instrument_code: str
    due_on: dt.date
    timepoint: str
    state: str


class ResponseIn(Schema):
    instrument_code: Code
    answers: Answers
    sex: Sex | None = None
    observed_on: LifeDate | None = None
    # An earlier experience recorded at intake (screening): the response is about it, filled
    # in retrospectively (EBI, MEQ30 or CEQ only).
    prior_experience: Id | None = None


class QuestionnaireResponseIn(Schema):
    """A FHIR R4 QuestionnaireResponse for a shipped or imported instrument (its canonical in
    `questionnaire`); validated in full by fhir.resources before it is read."""

    model_config = ConfigDict(extra="allow")
    resourceType: Literal["QuestionnaireResponse"]
    questionnaire: Annotated[str, StringConstraints(min_length=1, max_length=500)]


class ResponseOut(Schema):
    # What the import noticed, e.g. the form's own total differs from ours.
    notes: list[str] = []
    id: int
    instrument_code: str
    definition_version: str
    answers: dict[str, Any]
    entered_by: str
    submitted_at: dt.datetime | None
    retrospective: bool
    prior_experience: int | None
    score: ScoreOut | None


class ImportIn(Schema):
    code: Code
    licence: ShortText = ""
    questionnaire: dict[str, Any]


def _clinic_id(request: ApiRequest) -> int:
    return request.membership.clinic_id


def _error(exc: scoring.AnswerError) -> ErrorOut:
    return ErrorOut(detail=str(exc), errors={f"answers.{exc.link_id}": [exc.message]})


@router.get("/instruments", response=list[InstrumentOut], summary="Instruments your clinic uses")
def instrument_list(request: ApiRequest) -> list[InstrumentOut]:
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
def clinic_instrument_list(request: ApiRequest) -> list[InstrumentOut]:
    rows = selectors.clinic_instruments_for_user(request.membership)
    return [_instrument_out(row.definition()) for row in rows]


@router.post(
    "/clinic-instruments",
    response={201: dict[str, Any], 422: ErrorOut},
    summary="Add a FHIR Questionnaire as your clinic's own instrument",
)
def instrument_import(request: ApiRequest, body: ImportIn) -> Status[Any]:
    try:
        row = services.instrument_import_fhir(
            by=request.actor,
            questionnaire=body.questionnaire,
            code=body.code,
            licence=body.licence,
        )
    except DefinitionError as exc:
        return Status(422, ErrorOut(detail=str(exc), errors={"questionnaire": [str(exc)]}))
    # What was done with each item of the form (scored, kept unscored, left out, group).
    _definition, report = fhir.questionnaire_import(body.questionnaire, code=row.code)
    return Status(201, {"code": row.code, "version": row.version, "items": report})


@router.get(
    "/instruments/{instrument_code}",
    response=dict[str, Any],
    summary="One instrument's definition",
)
def instrument_detail(request: ApiRequest, instrument_code: Code) -> dict[str, Any]:
    definition = library.definition_for(_clinic_id(request), instrument_code)
    return definition.model_dump(mode="json", by_alias=True)


@router.get(
    "/instruments/{instrument_code}/fhir",
    response=dict[str, Any],
    summary="The instrument as a FHIR R4 Questionnaire",
)
def instrument_fhir(request: ApiRequest, instrument_code: Code) -> dict[str, Any]:
    return fhir.questionnaire(library.definition_for(_clinic_id(request), instrument_code))


@router.get(
    "/instruments/{instrument_code}/score",
    response=dict[str, Any],
    summary="How the instrument is scored: method, bands, cut-offs, change and safety rules",
)
def instrument_scoring_rules(request: ApiRequest, instrument_code: Code) -> dict[str, Any]:
    definition = library.definition_for(_clinic_id(request), instrument_code)
    return definition.model_dump(
        mode="json",
        include={"code", "version", "scoring", "bands", "cut_offs", "change", "safety"},
    )


@router.post(
    "/instruments/{instrument_code}/score",
    response={200: ScoreOut, 422: ErrorOut},
    summary="Score answers without storing them",
)
def instrument_score(
    request: ApiRequest, instrument_code: Code, body: ScoreIn
) -> Status[ScoreOut | ErrorOut]:
    definition = library.definition_for(_clinic_id(request), instrument_code)
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
    response=list[AssignmentOut],
    summary="A client's assigned measures",
)
def assignment_list(request: ApiRequest, code: ClientCode) -> list[AssignmentOut]:
    client = selectors.measures_client_for_user(request.membership, code)
    audit_read(request.actor, "measures.assignment.list", client=client)
    return [_assignment_out(a) for a in selectors.assignments_for_client(client)]


@router.post(
    "/clients/{code}/assignments",
    response={201: AssignmentOut},
    summary="Assign a measure to a client",
)
def assignment_add(
    request: ApiRequest, code: ClientCode, body: AssignmentIn
) -> Status[AssignmentOut]:
    client = selectors.measures_client_for_user(request.membership, code)
    assignment = services.assignment_create(
        by=request.actor,
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
        retrospective=response.retrospective,
        prior_experience=response.prior_experience_id,
        score=ScoreOut(**summary(score)) if score is not None else None,
    )


@router.get(
    "/clients/{code}/responses",
    response=list[ResponseOut],
    summary="A client's responses with their scores",
)
def response_list(request: ApiRequest, code: ClientCode) -> list[ResponseOut]:
    client = selectors.measures_client_for_user(request.membership, code)
    audit_read(request.actor, "measures.response.list", client=client, fields=["answers"])
    rows = selectors.responses_for_client(client)
    return [_response_out(r) for r in rows]


@router.post(
    "/clients/{code}/responses",
    response={201: ResponseOut, 422: ErrorOut},
    summary="Record a complete response for a client (scored at once)",
)
def response_add(
    request: ApiRequest, code: ClientCode, body: ResponseIn | QuestionnaireResponseIn
) -> Status[ResponseOut | ErrorOut]:
    """Either Holdspace's own shape (instrument_code and answers by link id), or a FHIR
    QuestionnaireResponse, scored the same way."""
    client = selectors.measures_client_for_user(request.membership, code)
    if isinstance(body, QuestionnaireResponseIn):
        return _response_add_fhir(request, client, body)
    definition = library.definition_for(client.clinic_id, body.instrument_code)
    prior = None
    if body.prior_experience is not None:
        prior = screening_selectors.experiences_for(client).filter(pk=body.prior_experience).first()
        if prior is None:
            return Status(
                422,
                ErrorOut(
                    detail="No such earlier experience for this client.",
                    errors={"prior_experience": ["No such earlier experience."]},
                ),
            )
    try:
        if definition.score_entry_only:
            score = services.score_record_total(
                by=request.actor,
                client=client,
                instrument_code=definition.code,
                total=body.answers.get("total"),
                observed_on=body.observed_on,
                prior_experience=prior,
            )
        else:
            score = services.response_record(
                by=request.actor,
                client=client,
                instrument_code=definition.code,
                answers=body.answers,
                sex=body.sex,
                observed_on=body.observed_on,
                entered_by=EnteredBy.API,
                prior_experience=prior,
            )
    except scoring.AnswerError as exc:
        return Status(422, _error(exc))
    return Status(201, _response_out(score.response))


def _response_add_fhir(
    request: ApiRequest, client: Any, body: QuestionnaireResponseIn
) -> Status[ResponseOut | ErrorOut]:
    # The whole resource as sent (the schema above checks only what picks the instrument).
    data = json.loads(request.body)
    definition = fhir.definition_for_canonical(client.clinic_id, body.questionnaire)
    if definition is None:
        detail = "Not an instrument of your clinic (shipped or imported)."
        return Status(422, ErrorOut(detail=detail, errors={"questionnaire": [detail]}))
    try:
        answers, their_total = fhir.answers_from_response(data, definition)
        score = services.response_record(
            by=request.actor,
            client=client,
            instrument_code=definition.code,
            answers=answers,
            entered_by=EnteredBy.API,
        )
    except fhir.ResponseError as exc:
        return Status(422, ErrorOut(detail=str(exc), errors={exc.field: [str(exc)]}))
    except scoring.AnswerError as exc:
        return Status(422, _error(exc))
    out = _response_out(score.response)
    if their_total is not None and score.total is not None and their_total != score.total:
        out.notes = [
            f"The form's own total ({their_total:g}) differs from the total scored by "
            f"Holdspace ({score.total:g}); Holdspace's is kept."
        ]
    return Status(201, out)


@router.get(
    "/clients/{code}/responses/{response_id}/fhir",
    response=dict[str, Any],
    summary="One response as a FHIR R4 QuestionnaireResponse",
)
def response_fhir(request: ApiRequest, code: ClientCode, response_id: Id) -> dict[str, Any]:
    response = selectors.response_for_user(request.membership, code, response_id)
    audit_read(
        request.actor,
        "measures.response.view",
        client=response.client,
        target=response,
        fields=["answers"],
    )
    definition = library.definition_for(response.client.clinic_id, response.instrument_code)
    return fhir.questionnaire_response(response, definition)
