"""/api/v1/studies: studies (arms, sites, enrolment counts), randomisation, the blinding report
and data queries, through the studies selectors and services and the shared read audit.

No `from __future__ import annotations` here: it breaks ninja's resolution of the schemas.
"""

import datetime as dt
from typing import Any

from ninja import Router, Schema, Status

from holdspace.core.http import ApiRequest
from holdspace.core.schemas import ClientCode, Id, LongText, ShortText
from holdspace.people.auditing import audit_read

from . import selectors, services
from .models import DataQuery

router = Router(tags=["studies"])


class StudyListOut(Schema):
    id: int
    code: str
    title: str
    status: str


class RandomiseIn(Schema):
    client_code: ClientCode


class RandomiseOut(Schema):
    client_code: str
    status: str
    randomised_at: dt.datetime | None
    # Only for a role that may see the allocation; null (concealed) for everyone else.
    arm: str | None


class QueryIn(Schema):
    client_code: ClientCode
    item: ShortText
    question: LongText


class QueryOut(Schema):
    id: int
    client_code: str
    item: str
    question: str
    status: str
    answer: str
    raised_at: dt.datetime
    closed_at: dt.datetime | None


def _query_out(query: DataQuery) -> QueryOut:
    return QueryOut(
        id=query.pk,
        client_code=query.enrolment.client.code,
        item=query.item,
        question=query.question,
        status=query.status,
        answer=query.answer,
        raised_at=query.raised_at,
        closed_at=query.closed_at,
    )


@router.get("", response=list[StudyListOut], summary="Studies this member may see")
def study_list(request: ApiRequest) -> list[StudyListOut]:
    studies = selectors.studies_for_user(request.membership)
    audit_read(request.actor, "studies.study.list")
    return [StudyListOut(id=s.pk, code=s.code, title=s.title, status=s.status) for s in studies]


@router.get("/{study_id}", response=dict[str, Any], summary="A study: arms, sites, enrolment")
def study_detail(request: ApiRequest, study_id: Id) -> dict[str, Any]:
    study = selectors.study_for_user(request.membership, study_id)
    audit_read(request.actor, "studies.study.view", target=study)
    return selectors.study_summary(request.membership, study)


@router.post(
    "/{study_id}/randomise",
    response={200: RandomiseOut},
    summary="Randomise an enrolled client (the arm only for roles that may see it)",
)
def study_randomise(request: ApiRequest, study_id: Id, payload: RandomiseIn) -> RandomiseOut:
    study = selectors.study_for_user(request.membership, study_id)
    enrolment = selectors.enrolment_for_user(request.membership, study, payload.client_code)
    enrolment = services.randomise(by=request.actor, enrolment=enrolment)
    return RandomiseOut(
        client_code=enrolment.client.code,
        status=enrolment.status,
        randomised_at=enrolment.randomised_at,
        arm=selectors.allocation_of(request.membership, enrolment),
    )


@router.get(
    "/{study_id}/blinding",
    response=dict[str, Any],
    summary="Treatment guesses by arm and role, with Bang's and James' indices",
)
def study_blinding(
    request: ApiRequest, study_id: Id, timepoint: str = "endpoint"
) -> dict[str, Any]:
    study = selectors.study_for_user(request.membership, study_id)
    report = selectors.blinding_report(request.membership, study, timepoint=timepoint[:40])
    audit_read(request.actor, "studies.blinding.view", target=study)
    return report


@router.get("/{study_id}/queries", response=list[QueryOut], summary="Data queries")
def query_list(request: ApiRequest, study_id: Id) -> list[QueryOut]:
    study = selectors.study_for_user(request.membership, study_id)
    queries = selectors.queries_for_user(request.membership, study)
    audit_read(request.actor, "studies.query.list", target=study)
    return [_query_out(q) for q in queries]


@router.post("/{study_id}/queries", response={201: QueryOut}, summary="Raise a data query")
def query_create(request: ApiRequest, study_id: Id, payload: QueryIn) -> Status[QueryOut]:
    study = selectors.study_for_user(request.membership, study_id)
    enrolment = selectors.enrolment_for_user(request.membership, study, payload.client_code)
    query = services.query_raise(
        by=request.actor, enrolment=enrolment, item=payload.item, question=payload.question
    )
    return Status(201, _query_out(query))
