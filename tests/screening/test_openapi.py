"""The screening routes are documented in the OpenAPI document, under their own tag."""

from __future__ import annotations

from ..conftest import signed_in


def test_the_openapi_document_lists_the_screening_routes(clinics, lead):
    response = signed_in(lead).get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for route in ("intake", "medications", "screening"):
        assert f"/api/v1/clients/{{code}}/{route}" in paths
    assert paths["/api/v1/clients/{code}/screening"]["get"]["tags"] == ["screening"]
