"""/api/v1/outcomes/...: the cohort's per-client rows and the summary computed from them.

No `from __future__ import annotations` here: it breaks ninja's query resolution.
"""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import field_validator

from holdspace.measures import library
from holdspace.people.auditing import audit_read
from holdspace.people.models import Phase

from . import selectors, studies_hooks
from .grouping import FACTORS
from .rows import ClientRow

router = Router(tags=["outcomes"])


class ErrorOut(Schema):
    detail: str
    item: str | None = None


class CohortQuery(Schema):
    instrument: str = Field(min_length=1, max_length=40)
    # One of grouping.FACTORS (the registry), checked below so a new factor needs no edit here.
    group_by: str = Field("", max_length=40)
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    template: str = Field("", max_length=80)
    phase: Phase | None = None
    exclude_site: int | None = Field(None, ge=1)
    exclude_major_deviations: bool = False

    @field_validator("group_by")
    @classmethod
    def known_factor(cls, value: str) -> str:
        if value and value not in FACTORS:
            raise ValueError(f"group_by must be one of: {', '.join(FACTORS)}")
        return value

    def as_filter(self) -> selectors.CohortFilter:
        return selectors.CohortFilter(
            instrument=self.instrument,
            group_by=self.group_by,
            date_from=self.date_from,
            date_to=self.date_to,
            template=self.template,
            phase=self.phase.value if self.phase else "",
            exclude_site=self.exclude_site,
            exclude_major_deviations=self.exclude_major_deviations,
        )


def row_out(row: ClientRow) -> dict[str, Any]:
    return {
        "code": row.code,
        "group": row.group,
        "baseline": row.baseline,
        "endpoint": row.endpoint,
        "change": row.change,
        "baseline_source": row.baseline_source,
        "endpoint_source": row.endpoint_source,
        "baseline_on": row.baseline_on,
        "endpoint_on": row.endpoint_on,
        "reliable_change": row.reliable_change,
        "clinically_meaningful": row.clinically_meaningful,
        "response": row.response,
        "remission": row.remission,
        "diagnosis_at_baseline": row.diagnosis_at_baseline,
        "diagnosis_at_endpoint": row.diagnosis_at_endpoint,
        "prior_party_uses": row.prior_party_uses,
        "template": row.template,
        "follow_ups": row.follow_ups,
        "adverse_events": row.adverse_events,
    }


def _known_instrument(request: HttpRequest, code: str) -> bool:
    membership = getattr(request, "membership", None)
    return code in library.definitions_for(membership.clinic_id if membership else None)


def _cohort(request: HttpRequest, query: CohortQuery) -> selectors.Cohort:
    flt = query.as_filter()
    found = selectors.cohort(request.membership, flt)  # type: ignore[attr-defined]
    audit_read(
        request.actor,  # type: ignore[attr-defined]
        "outcomes.cohort.list",
        fields=[flt.instrument, flt.group_by or "all"],
    )
    return found


@router.get(
    "/clients",
    response={200: dict[str, Any], 403: ErrorOut, 422: ErrorOut},
    summary="Per-client outcome rows of the cohort (codes only)",
)
def outcome_clients(
    request: HttpRequest, query: Query[CohortQuery]
) -> Status[dict[str, Any] | ErrorOut]:
    if not _known_instrument(request, query.instrument):
        return Status(422, ErrorOut(detail="No such instrument.", item="instrument"))
    return Status(200, {"items": [row_out(row) for row in _cohort(request, query).rows]})


class SummaryQuery(CohortQuery):
    # The mixed model is the slow part: leave it out with model=false. It is fitted on at most
    # model.MAX_CLIENTS clients (a fixed hash-chosen sample, reported under model.sample).
    model: bool = True


@router.get(
    "/summary",
    response={200: dict[str, Any], 403: ErrorOut, 422: ErrorOut},
    summary="The cohort summary, computed from the same per-client rows",
)
def outcome_summary(
    request: HttpRequest, query: Query[SummaryQuery]
) -> Status[dict[str, Any] | ErrorOut]:
    if not _known_instrument(request, query.instrument):
        return Status(422, ErrorOut(detail="No such instrument.", item="instrument"))
    found = _cohort(request, query)
    summary = selectors.cohort_summary(found, with_model=query.model)
    summary["flow"] = selectors.cohort_flow(found.clients, found)
    flt = query.as_filter()
    summary["excluded"] = {
        "site": flt.exclude_site,
        "major_deviations": flt.exclude_major_deviations,
        "clients": len(
            studies_hooks.excluded(
                request.membership,  # type: ignore[attr-defined]
                flt.exclude_site,
                flt.exclude_major_deviations,
            )
        ),
    }
    return Status(200, summary)


clients_router = Router(tags=["outcomes"])


@clients_router.get(
    "/{code}/difference",
    response={200: dict[str, Any], 403: ErrorOut, 404: ErrorOut},
    summary="One client's prior experiences beside their medicine sessions",
)
def client_difference(request: HttpRequest, code: str) -> dict[str, Any]:
    found = selectors.difference_for_user(request.membership, code)  # type: ignore[attr-defined]
    client = found.pop("client")
    audit_read(request.actor, "outcomes.difference.view", client=client)  # type: ignore[attr-defined,arg-type]
    return found
