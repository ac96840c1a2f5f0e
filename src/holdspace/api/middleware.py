"""FHIR clients read every error under /api/v1/fhir/ as an OperationOutcome (Bulk Data IG).

The API's handlers already answer refusals so (api.py, `refusal`); this catches the answers
made before a handler runs: a method the route does not take (405, e.g. a POST kick-off,
which this server does not offer) and a path that matches no route (Django's 404 page).
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus

from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from holdspace.exports.services import outcome_response

FHIR_JSON = "application/fhir+json"
KEPT_HEADERS = ("Allow", "Retry-After")


class FhirErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.prefix = ""

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code < 400:
            return response
        if not self.prefix:
            self.prefix = reverse("api:fhir_export_system").rsplit("/", 1)[0] + "/"
        if not request.path.startswith(self.prefix):
            return response
        if response.get("Content-Type", "").startswith(FHIR_JSON):
            return response
        phrase = HTTPStatus(response.status_code).phrase if response.status_code < 600 else ""
        outcome = outcome_response(response.status_code, f"{phrase}.")
        for header in KEPT_HEADERS:
            if header in response:
                outcome[header] = response[header]
        return outcome
