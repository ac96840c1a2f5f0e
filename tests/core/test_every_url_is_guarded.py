"""Deny by default: walk every URL pattern and API route, as an anonymous visitor and as staff
of another clinic. A new view that forgets its guard makes this test fail."""

from __future__ import annotations

import re

import pytest
from django.test import Client as HttpClient
from django.urls import URLPattern, URLResolver, get_resolver

from holdspace.api.api import api

from ..conftest import signed_in

# The only pages an anonymous visitor may open, each on purpose.
# ical_feed: a calendar app cannot sign in; the secret token in its URL is the credential.
# respond: a client's one-time measures link (no account); the signed, expiring, single-use
# token in its URL is the credential and opens one questionnaire only.
PUBLIC_URL_NAMES = {
    "healthz",
    "favicon",
    "set_language",
    "ical_feed",
    "respond",
    "invitation_accept",
}
# django-allauth's sign-in, password-reset and second-factor pages are public by design and
# guard themselves; the platform admin has its own sign-in page for superusers.
SELF_GUARDED_PREFIXES = ("accounts/", "platform-admin/")


def _walk(patterns, prefix=""):  # type: ignore[no-untyped-def]
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern


def _fill(route: str, values: dict[str, str]) -> str:
    route = route.lstrip("^").rstrip("$").replace("\\Z", "")
    route = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values.get(m.group(1), "1"), route)
    return "/" + route


def _site_routes():  # type: ignore[no-untyped-def]
    for route, pattern in _walk(get_resolver().url_patterns):
        if route.startswith(SELF_GUARDED_PREFIXES) or route.startswith("api/v1/"):
            continue
        if "(?P<" in route:  # regex routes (static files in development)
            continue
        yield route, pattern


def test_the_walk_finds_the_pages():
    names = {pattern.name for _route, pattern in _site_routes()}
    assert {"client_list", "client_detail", "staff_list", "audit_log", "token_list"} <= names


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_visitors_are_refused_everywhere_but_the_public_pages(method, clinics):
    anonymous = HttpClient()
    for route, pattern in _site_routes():
        if pattern.name in PUBLIC_URL_NAMES:
            continue
        url = _fill(route, {"code": clinics.client.code})
        response = getattr(anonymous, method)(url)
        assert response.status_code in (302, 401, 403, 404, 405), url
        if response.status_code == 302:
            assert response["Location"].startswith("/accounts/login/"), url


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "post"])
def test_staff_of_another_clinic_get_404_for_every_client_page(method, clinics, outsider):
    browser = signed_in(outsider)
    client_routes = [(r, p) for r, p in _site_routes() if "<str:code>" in r]
    assert client_routes
    for route, _pattern in client_routes:
        url = _fill(route, {"code": clinics.client.code})
        response = getattr(browser, method)(url)
        assert response.status_code in (404, 405), url
        if method == "post":
            assert response.status_code == 404, url


def _api_routes():  # type: ignore[no-untyped-def]
    for route, pattern in _walk(api.urls[0], "api/v1/"):
        if pattern.name == "api-root":  # ninja's bare /api/v1/ names no resource: 404 for all
            continue
        yield route, pattern


@pytest.mark.django_db
def test_every_api_route_answers_401_without_credentials(clinics):
    anonymous = HttpClient()
    routes = list(_api_routes())
    assert len(routes) >= 3
    for route, _pattern in routes:
        url = _fill(route, {"code": clinics.client.code})
        answers = []
        for method in ("get", "post", "put", "patch", "delete"):
            response = getattr(anonymous, method)(url)
            assert response.status_code in (401, 405), f"{method.upper()} {url}"
            answers.append(response.status_code)
        assert 401 in answers, url


@pytest.mark.django_db
def test_every_client_api_route_answers_404_to_another_clinic(clinics, outsider):
    browser = signed_in(outsider)
    client_routes = [route for route, _p in _api_routes() if "{code}" in route or "<code>" in route]
    assert client_routes
    for route in client_routes:
        url = _fill(route, {"code": clinics.client.code})
        assert browser.get(url).status_code == 404, url


@pytest.mark.django_db
def test_public_pages_show_nothing_clinical(clinics):
    response = HttpClient().get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"
