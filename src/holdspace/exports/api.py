"""FHIR Bulk Data Access ($export, HL7 Bulk Data IG; outcomes.md E1) under /api/v1/fhir/.

Kick-off (GET, async pattern) at the system, Patient and Group levels answers 202 with the
status URL in Content-Location. The status URL answers 202 with X-Progress while the export
runs, then 200 with the manifest; DELETE cancels (afterwards the status URL is 404). Files
are NDJSON, one type per file, downloaded with the same token, until the clinic's expiry.

Server choices (the IG asks servers to document them): GET kick-off only; `_outputFormat`
application/fhir+ndjson (also application/ndjson, ndjson); `_type` and `_since` honoured;
`_elements`, `_typeFilter`, `includeAssociatedData` and POST are not supported (422 if sent);
`deleted` is always empty (nothing clinical is hard-deleted); `profile` chooses pseudonymous
(default), de-identified or identified (medical leads only). Groups: `clinic-<slug>`, and
whatever other apps register (selectors.register_group). Refusals are OperationOutcomes
(application/fhir+json, the IG's error body): the API's shared handlers answer so for every
path under /api/v1/fhir/, one issue per refused parameter with its name in `expression`.

No `from __future__ import annotations` here: it breaks ninja's parameter resolution.
"""

import datetime as dt
from typing import Literal, NoReturn

from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from ninja import Query, Router
from ninja.errors import HttpError

from holdspace.core.http import ApiRequest

from . import selectors, services
from .fhir import SOURCES
from .models import ExportFormat, ExportJob, ExportLevel, ExportStatus

router = Router(tags=["fhir bulk data"])

OUTPUT_FORMATS = {"application/fhir+ndjson", "application/ndjson", "ndjson"}
NDJSON = "application/fhir+ndjson"
RETRY_AFTER = "2"


def _refuse(field: str, message: str) -> NoReturn:
    """422 naming the parameter (an OperationOutcome, by the API's shared handler)."""
    raise ValidationError({field: [message]})


def _kick_off(
    request: ApiRequest,
    *,
    level: str,
    group: str,
    type_: str,
    since: dt.datetime | None,
    output_format: str,
    profile: str,
) -> HttpResponse:
    if output_format and output_format not in OUTPUT_FORMATS:
        return _refuse("_outputFormat", "Only application/fhir+ndjson is offered.")
    for unsupported in ("_elements", "_typeFilter", "includeAssociatedData", "patient"):
        if unsupported in request.GET:
            return _refuse(unsupported, "This server does not support this parameter.")
    if since is not None and since.tzinfo is None:
        return _refuse("_since", "Give a time zone (an instant, e.g. 2026-01-01T00:00:00Z).")
    types = [t.strip() for t in type_.split(",") if t.strip()]
    unknown = [t for t in types if t not in SOURCES]
    if unknown:
        return _refuse("_type", "Not a type this server exports: " + ", ".join(unknown[:10]))
    if (
        selectors.jobs_for_user(request.membership)
        .filter(status__in=[ExportStatus.QUEUED, ExportStatus.RUNNING])
        .exists()
    ):
        response = services.outcome_response(
            429, "An export of yours is still running: wait for it, or cancel it."
        )
        response["Retry-After"] = "10"
        return response
    job = services.export_start(
        by=request.actor,
        format=ExportFormat.FHIR,
        level=level,
        group=group,
        types=types,
        since=since,
        profile=profile,
        request_url=request.build_absolute_uri(),
    )
    accepted = HttpResponse(status=202)
    accepted["Content-Location"] = request.build_absolute_uri(
        reverse("api:fhir_export_status", kwargs={"job_id": job.pk})
    )
    return accepted


Profile = Literal["pseudonymous", "deidentified", "identified"]
# The kick-off's query parameters, as the IG names them (shared by the three levels).
TYPE = Query("", alias="_type", max_length=500)
SINCE = Query(None, alias="_since")
OUTPUT_FORMAT = Query("", alias="_outputFormat", max_length=100)
PROFILE = Query("pseudonymous")


@router.get("/$export", url_name="fhir_export_system", response={202: None})
def export_system(
    request: ApiRequest,
    type_: str = TYPE,
    since: dt.datetime | None = SINCE,
    output_format: str = OUTPUT_FORMAT,
    profile: Profile = PROFILE,
) -> HttpResponse:
    """Kick off an export of everything the caller may export."""
    return _kick_off(
        request,
        level=ExportLevel.SYSTEM,
        group="",
        type_=type_,
        since=since,
        output_format=output_format,
        profile=profile,
    )


@router.get("/Patient/$export", url_name="fhir_export_patient", response={202: None})
def export_patients(
    request: ApiRequest,
    type_: str = TYPE,
    since: dt.datetime | None = SINCE,
    output_format: str = OUTPUT_FORMAT,
    profile: Profile = PROFILE,
) -> HttpResponse:
    """Kick off an export of every client the caller may export."""
    return _kick_off(
        request,
        level=ExportLevel.PATIENT,
        group="",
        type_=type_,
        since=since,
        output_format=output_format,
        profile=profile,
    )


@router.get("/Group/{group_id}/$export", url_name="fhir_export_group", response={202: None})
def export_group(
    request: ApiRequest,
    group_id: str,
    type_: str = TYPE,
    since: dt.datetime | None = SINCE,
    output_format: str = OUTPUT_FORMAT,
    profile: Profile = PROFILE,
) -> HttpResponse:
    """Kick off an export of one group: `clinic-<slug>` (or a study cohort, `study-<id>`)."""
    if len(group_id) > 64:
        raise Http404
    return _kick_off(
        request,
        level=ExportLevel.GROUP,
        group=group_id,
        type_=type_,
        since=since,
        output_format=output_format,
        profile=profile,
    )


def _file_url(request: HttpRequest, job: ExportJob, file: dict[str, object]) -> str:
    return request.build_absolute_uri(
        reverse("api:fhir_export_file", kwargs={"job_id": job.pk, "name": file["name"]})
    )


def manifest(request: HttpRequest, job: ExportJob) -> dict[str, object]:
    return {
        "transactionTime": job.transaction_time.isoformat() if job.transaction_time else None,
        "request": job.request_url,
        "requiresAccessToken": True,
        "output": [
            {"type": f["type"], "url": _file_url(request, job, f), "count": f["count"]}
            for f in job.files
            if not f.get("error")
        ],
        "deleted": [],
        # NDJSON files of OperationOutcomes: resources that did not validate were left out.
        "error": [
            {"type": "OperationOutcome", "url": _file_url(request, job, f)}
            for f in job.files
            if f.get("error")
        ],
    }


def _live_job(request: ApiRequest, job_id: int) -> ExportJob:
    job = selectors.job_for_user(request.membership, job_id)
    if job.status == ExportStatus.CANCELLED or job.format != ExportFormat.FHIR:
        raise Http404
    return job


@router.get("/bulkstatus/{job_id}", url_name="fhir_export_status", response={200: dict, 202: None})
def export_status(request: ApiRequest, job_id: int) -> HttpResponse:
    """202 with X-Progress while the export runs; 200 with the manifest when done."""
    job = _live_job(request, job_id)
    if job.status in (ExportStatus.QUEUED, ExportStatus.RUNNING):
        response = HttpResponse(status=202)
        response["X-Progress"] = f"{job.progress}% ({job.get_status_display()})"
        response["Retry-After"] = RETRY_AFTER
        return response
    if job.status == ExportStatus.FAILED:
        raise HttpError(500, "; ".join(job.errors) or "The export failed.")
    if job.expires_at is not None and job.expires_at <= dt.datetime.now(tz=dt.UTC):
        raise Http404
    response = JsonResponse(manifest(request, job))
    if job.expires_at is not None:
        response["Expires"] = job.expires_at.strftime("%a, %d %b %Y %H:%M:%S GMT")
    return response


@router.delete("/bulkstatus/{job_id}", url_name="fhir_export_cancel", response={202: None})
def export_delete(request: ApiRequest, job_id: int) -> HttpResponse:
    """Cancel the export, or say the client is done with its files."""
    job = _live_job(request, job_id)
    services.export_cancel(by=request.actor, job=job)
    return HttpResponse(status=202)


@router.get("/bulkfiles/{job_id}/{name}", url_name="fhir_export_file", response={200: None})
def export_file(request: ApiRequest, job_id: int, name: str) -> FileResponse:
    """One NDJSON file of a finished export."""
    job = _live_job(request, job_id)
    try:
        path = services.export_file_read(by=request.actor, job=job, name=name)
    except FileNotFoundError as exc:
        raise Http404 from exc
    return FileResponse(path.open("rb"), content_type=NDJSON)
