"""One-time links: signed, expiring, single use; half-finished forms kept; nothing leaked."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import signing
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from holdspace.measures import services
from holdspace.measures.models import Assignment, AssignmentState, SafetyAlert

from .helpers import actor, assign

pytestmark = pytest.mark.django_db


def _link(member, client, code="PCL-5"):  # type: ignore[no-untyped-def]
    assignment = assign(member, client, code=code)
    token = services.link_issue(by=actor(member), assignment=assignment)
    return assignment, reverse("measures:respond", args=[token])


def _form(answers: dict[str, int], action: str = "save") -> dict[str, object]:
    return {f"item-{k}": v for k, v in answers.items()} | {"action": action}


def test_the_link_opens_the_form_without_an_account(clinics, therapist):
    _assignment, url = _link(therapist, clinics.client)
    page = HttpClient().get(url)
    assert page.status_code == 200
    assert "Repeated, disturbing, and unwanted memories" in page.content.decode()
    assert clinics.client.code not in page.content.decode()  # nothing identifying


def test_answers_are_kept_between_visits(clinics, therapist):
    assignment, url = _link(therapist, clinics.client)
    anyone = HttpClient()
    anyone.post(url, _form({"1": 3, "2": 1}))
    page = anyone.get(url).content.decode()
    assert 'name="item-1" value="3" checked' in page
    assert Assignment.objects.get(pk=assignment.pk).state == AssignmentState.IN_PROGRESS


def test_autosave_answers_json(clinics, therapist):
    _assignment, url = _link(therapist, clinics.client)
    reply = HttpClient().post(url, _form({"4": 2}), headers={"X-Autosave": "1"})
    assert reply.json() == {"saved": True, "errors": {}}


def test_submit_with_items_missing_is_refused_beside_the_items_and_keeps_answers(
    clinics, therapist
):
    assignment, url = _link(therapist, clinics.client)
    reply = HttpClient().post(url, _form({str(i): 1 for i in range(1, 11)}, "submit"))
    assert reply.status_code == 422
    page = reply.content.decode()
    assert 'id="err-11"' in page and 'id="err-20"' in page and 'id="err-1"' not in page
    assignment.refresh_from_db()
    assert assignment.state == AssignmentState.IN_PROGRESS
    assert assignment.response.answers["10"] == 1


def test_out_of_range_answer_is_named_and_nothing_is_saved(clinics, therapist):
    assignment, url = _link(therapist, clinics.client)
    reply = HttpClient().post(url, _form({"1": 2, "2": 9}))
    assert reply.status_code == 422
    assert 'id="err-2"' in reply.content.decode()
    assert not hasattr(Assignment.objects.get(pk=assignment.pk), "response")


def test_submit_scores_and_then_the_link_refuses_reuse(clinics, therapist):
    assignment, url = _link(therapist, clinics.client)
    anyone = HttpClient()
    done = anyone.post(url, _form({str(i): 2 for i in range(1, 21)}, "submit"))
    assert done.status_code == 200 and "Thank you" in done.content.decode()
    assignment.refresh_from_db()
    assert assignment.state == AssignmentState.COMPLETED
    assert assignment.response.score.total == 40
    again = anyone.get(url)
    assert again.status_code == 410
    assert "already been submitted" in again.content.decode()
    assert anyone.post(url, _form({"1": 0}, "submit")).status_code == 410


def test_an_expired_link_says_so(clinics, therapist):
    assignment, url = _link(therapist, clinics.client)
    Assignment.objects.filter(pk=assignment.pk).update(
        link_expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    reply = HttpClient().get(url)
    assert reply.status_code == 410 and "expired" in reply.content.decode()


def test_a_tampered_link_is_refused(clinics, therapist):
    _assignment, url = _link(therapist, clinics.client)
    reply = HttpClient().get(url[:-3] + "AAA/")
    assert reply.status_code == 404 and "not valid" in reply.content.decode()


def test_another_clients_link_cannot_be_forged_from_ones_own(clinics, therapist, lead):
    _mine, _url = _link(therapist, clinics.client)
    other = assign(lead, clinics.other_client, code="PCL-5")
    forged = signing.dumps({"a": other.pk, "n": "guess"}, salt="wrong-salt")
    reply = HttpClient().get(reverse("measures:respond", args=[forged]))
    assert reply.status_code == 404
    also = signing.dumps({"a": other.pk, "n": "guess"}, salt=services.LINK_SALT)
    assert HttpClient().get(reverse("measures:respond", args=[also])).status_code == 404


def test_a_new_link_replaces_the_old_one(clinics, therapist):
    assignment, old_url = _link(therapist, clinics.client)
    services.link_issue(by=actor(therapist), assignment=assignment)
    assert HttpClient().get(old_url).status_code == 404


def test_structure_only_instruments_cannot_be_sent(clinics, therapist):
    from django.core.exceptions import ValidationError

    assignment = assign(therapist, clinics.client, code="CSI-4")  # still structure only
    with pytest.raises(ValidationError):
        services.link_issue(by=actor(therapist), assignment=assignment)


@pytest.mark.requirement("REQ-MEA-001")
def test_phq9_item9_through_a_link_raises_an_alert(clinics, therapist):
    _assignment, url = _link(therapist, clinics.client, code="PHQ-9")
    HttpClient().post(url, _form({str(i): 0 for i in range(1, 9)} | {"9": 1}, "submit"))
    assert SafetyAlert.objects.get().reason_code == "phq9.item9"
