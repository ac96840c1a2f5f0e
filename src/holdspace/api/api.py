"""The REST API, version 1: /api/v1/ with its OpenAPI document at /api/v1/openapi.json."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError

from holdspace.courses.api import router as courses_router
from holdspace.measures.api import router as measures_router
from holdspace.outcomes.api import clients_router as outcomes_clients_router
from holdspace.outcomes.api import router as outcomes_router
from holdspace.screening.api import router as screening_router
from holdspace.sessions.api import router as sessions_router

from .auth import API_AUTH, staff_only
from .clients import router as clients_router

api = NinjaAPI(
    title="Holdspace API",
    version="1",
    description=(
        "Every endpoint acts as one staff member (personal token as `Authorization: Bearer "
        "TOKEN`, or a signed-in session), sees only what that member may see in the web "
        "pages, and is audited."
    ),
    auth=API_AUTH,
    urls_namespace="api",
    docs_decorator=staff_only,
)
api.add_router("/clients", clients_router)
api.add_router("/clients", screening_router)
api.add_router("/", measures_router)
api.add_router("/courses", courses_router)
api.add_router("/sessions", sessions_router)
api.add_router("/outcomes", outcomes_router)
api.add_router("/clients", outcomes_clients_router)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": "Not found."}, status=404)


@api.exception_handler(AuthenticationError)
def unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request,
        {"detail": "Authentication required: a valid API token or a signed-in session."},
        status=401,
    )


@api.exception_handler(PermissionDenied)
def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc) or "Forbidden."}, status=403)


@api.exception_handler(ValidationError)
def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return api.create_response(request, {"detail": "Invalid input.", "errors": errors}, status=422)
