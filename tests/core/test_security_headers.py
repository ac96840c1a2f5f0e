"""Headers on every answer: no caching of patient pages, a CSP without inline script, no framing."""

from __future__ import annotations

import re
from pathlib import Path

from django.test import Client as HttpClient
from django.urls import reverse

from holdspace.api.services import api_token_create
from holdspace.people.actors import Actor

from ..conftest import signed_in

SRC = Path(__file__).resolve().parents[2] / "src" / "holdspace"


def _assert_private(response) -> None:  # type: ignore[no-untyped-def]
    assert "no-store" in response["Cache-Control"], response["Cache-Control"]


def test_signed_in_pages_and_the_api_are_never_cached(clinics, lead):
    browser = signed_in(lead)
    for url in (
        reverse("people:client_list"),
        reverse("people:client_detail", args=[clinics.client.code]),
        "/api/v1/clients",
        f"/api/v1/clients/{clinics.client.code}",
    ):
        response = browser.get(url)
        assert response.status_code == 200, url
        _assert_private(response)
    _row, raw = api_token_create(by=Actor.command_line(lead), user=lead.user, name="t")
    api = HttpClient().get("/api/v1/clients", headers={"Authorization": f"Bearer {raw}"})
    assert api.status_code == 200
    _assert_private(api)
    refused = HttpClient().get("/api/v1/clients")
    assert refused.status_code == 401
    _assert_private(refused)


def test_every_page_has_a_policy_without_inline_script_and_no_framing(clinics, lead):
    for response in (
        signed_in(lead).get(reverse("people:client_list")),
        HttpClient().get(reverse("account_login")),
        HttpClient().get("/api/v1/clients"),
    ):
        policy = response["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
        assert directives["frame-ancestors"] == "'none'"
        assert directives["script-src"] == "'self'"
        assert "unsafe-inline" not in directives["script-src"]
        assert "unsafe-eval" not in policy
        permissions = response["Permissions-Policy"]
        assert "camera=()" in permissions and "geolocation=()" in permissions


# A <script> that runs code without a src, or an on...= handler: both are inline script.
_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
_HANDLER = re.compile(r"""\son[a-z]+\s*=\s*["']""", re.I)


def test_no_template_has_inline_script():
    offenders = []
    for template in SRC.rglob("*.html"):
        text = template.read_text()
        if _INLINE_SCRIPT.search(text) or _HANDLER.search(text):
            offenders.append(str(template.relative_to(SRC)))
    assert offenders == []


def test_rendered_pages_have_no_inline_script(clinics, lead):
    for url in (
        reverse("people:client_list"),
        reverse("people:client_detail", args=[clinics.client.code]),
    ):
        page = signed_in(lead).get(url).content.decode()
        assert not _INLINE_SCRIPT.search(page), url
        assert not _HANDLER.search(page), url
