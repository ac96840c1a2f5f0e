"""/api/v1: personal tokens, the same scoping as the pages, every refusal."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client as HttpClient
from django.urls import reverse

from holdspace.api.models import ApiToken
from holdspace.api.services import api_token_create, api_token_revoke
from holdspace.audit.models import AuditEvent, Channel
from holdspace.people.actors import Actor

from ..conftest import signed_in
from ..factories import MembershipFactory


def _token(member) -> str:  # type: ignore[no-untyped-def]
    _row, raw = api_token_create(by=Actor.command_line(member), user=member.user, name="test")
    return raw


def _get(path: str, token: str | None = None):  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return HttpClient().get(path, headers=headers)


def test_no_token_is_401(clinics):
    assert _get("/api/v1/clients").status_code == 401
    assert _get(f"/api/v1/clients/{clinics.client.code}").status_code == 401


def test_a_made_up_token_is_401(clinics):
    assert _get("/api/v1/clients", "hs_not-a-real-token").status_code == 401


def test_a_revoked_token_is_401(clinics, therapist):
    raw = _token(therapist)
    assert _get("/api/v1/clients", raw).status_code == 200
    api_token_revoke(
        by=Actor.command_line(therapist), token=ApiToken.objects.get(user=therapist.user)
    )
    assert _get("/api/v1/clients", raw).status_code == 401


def test_tokens_are_stored_only_as_a_hash(clinics, therapist):
    raw = _token(therapist)
    stored = ApiToken.objects.get(user=therapist.user)
    assert raw not in (stored.token_hash, stored.hint, stored.name)
    assert raw.startswith(stored.hint)


def test_the_list_is_scoped_like_the_pages(clinics, therapist, lead):
    codes = {c["code"] for c in _get("/api/v1/clients", _token(therapist)).json()["items"]}
    assert codes == {clinics.client.code}
    codes = {c["code"] for c in _get("/api/v1/clients", _token(lead)).json()["items"]}
    assert codes == {clinics.client.code, clinics.other_client.code}


def test_one_client_with_identity_for_the_care_team(clinics, therapist):
    body = _get(f"/api/v1/clients/{clinics.client.code}", _token(therapist)).json()
    assert body["code"] == clinics.client.code
    assert body["identity"]["family_name"] == clinics.client.identity.family_name
    assert body["care_team"][0]["email"] == therapist.user.email
    event = AuditEvent.objects.filter(action="client.view").latest("id")
    assert event.channel == Channel.API and event.client_code == clinics.client.code


@pytest.mark.requirement("REQ-PRV-002")
def test_researchers_get_no_identity(clinics, researcher):
    body = _get(f"/api/v1/clients/{clinics.client.code}", _token(researcher)).json()
    assert body["identity"] is None


@pytest.mark.parametrize("who", ["outsider", "therapist_off_team"])
@pytest.mark.requirement("REQ-PRV-001")
def test_outside_the_scope_is_404(clinics, who, request):
    member = request.getfixturevalue(who)
    response = _get(f"/api/v1/clients/{clinics.client.code}", _token(member))
    assert response.status_code == 404
    assert clinics.client.identity.family_name not in response.content.decode()


def test_an_unknown_code_is_404(clinics, lead):
    assert _get("/api/v1/clients/HS-ZZZZZZ", _token(lead)).status_code == 404


def test_a_bad_filter_is_422(clinics, lead):
    assert _get("/api/v1/clients?phase=dancing", _token(lead)).status_code == 422


def test_openapi_and_docs_are_for_staff_only(clinics, therapist):
    assert _get("/api/v1/openapi.json").status_code == 401
    schema = _get("/api/v1/openapi.json", _token(therapist)).json()
    assert "/api/v1/clients" in schema["paths"] and "/api/v1/clients/{code}" in schema["paths"]
    assert signed_in(therapist).get("/api/v1/docs").status_code == 200


def test_a_signed_in_session_works_too(clinics, therapist):
    response = signed_in(therapist).get("/api/v1/clients")
    assert response.status_code == 200


def test_staff_without_a_clinic_get_401(clinics, therapist):
    therapist.is_active = False
    therapist.save()
    assert _get("/api/v1/clients", _token(therapist)).status_code == 401


def test_apitoken_command_prints_the_token_as_its_last_word(clinics, therapist, capsys):
    call_command("apitoken", "create", therapist.user.email)
    raw = capsys.readouterr().out.split()[-1]
    assert _get("/api/v1/clients", raw).status_code == 200
    call_command("apitoken", "revoke", therapist.user.email, raw[:10])
    assert _get("/api/v1/clients", raw).status_code == 401


def test_a_member_creates_and_revokes_a_token_in_the_ui(clinics, therapist):
    browser = signed_in(therapist)
    page = browser.post(reverse("api_tokens:token_list"), {"name": "REDCap sync"})
    raw = page.context["new_token"]
    assert raw in page.content.decode()
    assert _get("/api/v1/clients", raw).status_code == 200
    # Shown once: the list never shows it again.
    assert raw not in browser.get(reverse("api_tokens:token_list")).content.decode()
    token = ApiToken.objects.get(user=therapist.user)
    browser.post(reverse("api_tokens:token_revoke", args=[token.pk]))
    assert _get("/api/v1/clients", raw).status_code == 401


def test_nobody_revokes_another_persons_token(clinics, therapist, lead):
    _token(therapist)
    token = ApiToken.objects.get(user=therapist.user)
    response = signed_in(lead).post(reverse("api_tokens:token_revoke", args=[token.pk]))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_a_token_of_someone_without_mfa_still_scopes_to_their_clinic(clinics):
    member = MembershipFactory(clinic=clinics.south, role="medical_lead", user__with_totp=False)
    codes = {c["code"] for c in _get("/api/v1/clients", _token(member)).json()["items"]}
    assert codes == {clinics.south_client.code}
