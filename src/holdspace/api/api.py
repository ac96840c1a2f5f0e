"""The REST API, version 1: /api/v1/ with its OpenAPI document at /api/v1/openapi.json.

One error shape for every refusal: `{"detail": sentence, "errors": {field: [reasons]}}`, with
the field named as it was sent (`medical.qtc_unit`, `page`). A 500 is JSON too, never a
traceback. Under /api/v1/fhir/ (FHIR Bulk Data) the same refusals answer as FHIR speaks: an
OperationOutcome (application/fhir+json), one issue per refused field. Every operation
documents the refusals any operation can give (401, 403, 404, 422, 429, 500; 400 and 413
where it takes a body), so a client generated from the schema handles them.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError

from holdspace.core.schemas import ErrorOut
from holdspace.courses.api import client_router as client_courses_router
from holdspace.courses.api import router as courses_router
from holdspace.exports.api import router as exports_router
from holdspace.exports.services import outcome_response
from holdspace.integration.api import router as integration_router
from holdspace.measures.api import router as measures_router
from holdspace.outcomes.api import clients_router as outcomes_clients_router
from holdspace.outcomes.api import router as outcomes_router
from holdspace.preparation.api import router as preparation_router
from holdspace.screening.api import router as screening_router
from holdspace.sessions.api import router as sessions_router
from holdspace.studies.api import router as studies_router

from .auth import API_AUTH, staff_only
from .clients import router as clients_router
from .throttles import API_THROTTLES

log = logging.getLogger(__name__)

# The refusals any operation may answer, documented on every operation.
COMMON_ERRORS = {
    "401": "Authentication required",
    "403": "Your role may not do this",
    "404": "Not found, or outside what you may see",
    "422": "Invalid input: `errors` names each refused field",
    "429": "Too many requests",
    "500": "Server error (no details are given)",
}
# And those of an operation that takes a body.
BODY_ERRORS = {
    "400": "The body is not JSON",
    "413": "Request body too large",
}


# The refusal body under /api/v1/fhir/ (FHIR R4 OperationOutcome, the elements we send).
OPERATION_OUTCOME = {
    "type": "object",
    "required": ["resourceType", "issue"],
    "properties": {
        "resourceType": {"const": "OperationOutcome"},
        "issue": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["severity", "code"],
                "properties": {
                    "severity": {"type": "string"},
                    "code": {"type": "string"},
                    "diagnostics": {"type": "string"},
                    "expression": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
    },
}


class HoldspaceApi(NinjaAPI):
    def get_openapi_schema(self, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(**kwargs)
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        schemas.setdefault("ErrorOut", ErrorOut.model_json_schema())
        schemas.setdefault("OperationOutcome", OPERATION_OUTCOME)
        error_ref = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
        outcome_ref = {
            "application/fhir+json": {"schema": {"$ref": "#/components/schemas/OperationOutcome"}}
        }
        fhir = _fhir_prefix()
        for path, methods in schema.get("paths", {}).items():
            for operation in methods.values():
                responses = operation.setdefault("responses", {})
                errors = COMMON_ERRORS | (BODY_ERRORS if "requestBody" in operation else {})
                for status, description in errors.items():
                    responses.setdefault(status, {"description": description})
                    responses[status]["content"] = (
                        outcome_ref if path.startswith(fhir) else error_ref
                    )
                    responses[status].setdefault("description", description)
        return schema


api = HoldspaceApi(
    title="Holdspace API",
    version="1",
    description=(
        "Every endpoint acts as one staff member (personal token as `Authorization: Bearer "
        "TOKEN`, or a signed-in session), sees only what that member may see in the web "
        "pages, and is audited. Every refusal answers `{detail, errors}`; writes to a medicine "
        "session honour an `Idempotency-Key` header."
    ),
    auth=API_AUTH,
    urls_namespace="api",
    docs_decorator=staff_only,
    throttle=API_THROTTLES,
)
api.add_router("/clients", clients_router)
api.add_router("/clients", screening_router)
api.add_router("/", measures_router)
api.add_router("/clients", client_courses_router)
api.add_router("/clients", preparation_router)
api.add_router("/clients", integration_router)
api.add_router("/courses", courses_router)
api.add_router("/sessions", sessions_router)
api.add_router("/outcomes", outcomes_router)
api.add_router("/clients", outcomes_clients_router)
api.add_router("/fhir", exports_router)
api.add_router("/studies", studies_router)


def _fhir_prefix() -> str:
    """/api/v1/fhir/: where FHIR clients call, so where refusals are OperationOutcomes."""
    return reverse("api:fhir_export_system").rsplit("/", 1)[0] + "/"


def refusal(
    request: HttpRequest, status: int, detail: str, errors: dict[str, list[str]] | None = None
) -> HttpResponse:
    if request.path.startswith(_fhir_prefix()):
        response: JsonResponse = outcome_response(status, detail, errors or {})
        return response
    return api.create_response(request, {"detail": detail, "errors": errors or {}}, status=status)


def _field_name(location: tuple[Any, ...] | list[Any]) -> str:
    """ninja's location ("body", "payload", "medical", "qtc_unit") as the field sent."""
    parts = [str(p) for p in location]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie", "form"}:
        parts = parts[1:]
        if len(parts) > 1 and parts[0] in {"payload", "body", "filters", "data"}:
            parts = parts[1:]
    return ".".join(parts) or "__all__"


@api.exception_handler(NinjaValidationError)
def invalid_input(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        message = str(error.get("msg", "Invalid value.")).removeprefix("Value error, ")
        errors.setdefault(_field_name(error.get("loc", ())), []).append(message)
    return refusal(request, 422, "Invalid input.", errors)


@api.exception_handler(ValidationError)
def refused_by_service(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return refusal(
        request, 422, "Invalid input.", {k: [str(m) for m in v] for k, v in errors.items()}
    )


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return refusal(request, 404, "Not found.")


@api.exception_handler(AuthenticationError)
def unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return refusal(
        request, 401, "Authentication required: a valid API token or a signed-in session."
    )


@api.exception_handler(Throttled)
def throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    response = refusal(request, 429, "Too many requests: wait, then try again.")
    if exc.wait is not None:
        response["Retry-After"] = str(math.ceil(exc.wait))
    return response


@api.exception_handler(PermissionDenied)
def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return refusal(request, 403, str(exc) or "Forbidden.")


@api.exception_handler(RequestDataTooBig)
def too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return refusal(request, 413, "The request body is too large.")


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return refusal(request, exc.status_code, str(exc))


@api.exception_handler(Exception)
def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    # Logged with its traceback for the operator; the caller learns nothing of the inside.
    log.error("API error on %s %s", request.method, request.path, exc_info=exc)
    return refusal(request, 500, "Server error.")
