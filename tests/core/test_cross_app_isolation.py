"""Across the arc's apps: who may read which free text, and objects that must belong to the
client the URL names. Each test is named for what an attacker (or a curious colleague) tries."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

import holdspace.screening.selectors as screening_selectors
from holdspace.courses.models import Course
from holdspace.integration import services as integration_services
from holdspace.integration.models import IntegrationNote, JournalEntry
from holdspace.measures import services as measures_services
from holdspace.measures.models import SafetyAlert
from holdspace.people.actors import Actor
from holdspace.people.models import Membership
from holdspace.preparation import services as preparation_services

from ..conftest import Clinics, sign_in, signed_in
from ..courses.conftest import FakeEligibility, on_team, start_course
from ..screening.helpers import record

pytestmark = pytest.mark.django_db

NOTE_TEXT = "Spoke about the father again; grief came up strongly"
JOURNAL_TEXT = "I could not sleep after the call with my sister"
INTENTIONS = "Forgive myself for the accident"


@pytest.fixture
def eligible(monkeypatch: pytest.MonkeyPatch) -> None:
    """Screening says yes (screening is its own feature; its rules are tested there)."""
    monkeypatch.setattr(
        screening_selectors,
        "screening_eligibility",
        lambda client: FakeEligibility(True, "eligible", "Signed eligible."),
    )
    monkeypatch.setattr(screening_selectors, "earliest_medicine_session_date", lambda c: None)


@pytest.fixture
def course(
    clinics: Clinics, eligible: None, therapist: Membership, therapist_off_team: Membership,
    lead: Membership,
) -> Course:  # fmt: skip
    on_team(clinics.client, therapist_off_team)
    return start_course(
        by=therapist,
        clients=[clinics.client],
        therapists=[therapist, therapist_off_team],
        lead=lead,
    )


@pytest.fixture
def note(course: Course, clinics: Clinics, therapist: Membership) -> IntegrationNote:
    JournalEntry.objects.create(client=clinics.client, text=JOURNAL_TEXT)
    return integration_services.note_create(
        by=Actor.command_line(therapist), course=course, client=clinics.client, text=NOTE_TEXT
    )


# Researchers work by code on numbers and statuses: never free-text notes or the journal ------


@pytest.mark.requirement("REQ-PRV-002")
def test_researcher_gets_403_on_integration_pages_with_notes_and_journal(
    note: IntegrationNote, clinics: Clinics, researcher: Membership, therapist: Membership
) -> None:
    code = clinics.client.code
    page = reverse("integration:integration", args=[code])
    note_page = reverse("integration:note", args=[code, note.pk])
    assert JOURNAL_TEXT in signed_in(therapist).get(page).content.decode()
    assert NOTE_TEXT in signed_in(therapist).get(note_page).content.decode()
    browser = signed_in(researcher)
    for url in (page, note_page):
        reply = browser.get(url)
        assert reply.status_code == 403
        assert NOTE_TEXT not in reply.content.decode()
        assert JOURNAL_TEXT not in reply.content.decode()


@pytest.mark.requirement("REQ-PRV-002")
def test_researcher_gets_403_on_integration_notes_in_the_api(
    note: IntegrationNote, clinics: Clinics, researcher: Membership, therapist: Membership
) -> None:
    base = f"/api/v1/clients/{clinics.client.code}/integration/notes"
    urls = (base, f"{base}/{note.pk}", f"{base}/{note.pk}/addenda")
    assert signed_in(therapist).get(f"{base}/{note.pk}").json()["text"] == NOTE_TEXT
    browser = signed_in(researcher)
    for url in urls:
        reply = browser.get(url)
        assert reply.status_code == 403, url
        assert NOTE_TEXT not in reply.content.decode()


@pytest.mark.requirement("REQ-PRV-002")
def test_researcher_gets_403_on_the_preparation_page_with_intentions(
    course: Course, clinics: Clinics, researcher: Membership, therapist: Membership
) -> None:
    preparation_services.preparation_update(
        by=Actor.command_line(therapist), course=course, client=clinics.client,
        intentions=INTENTIONS, ride_home="Her brother Tom Miller",
    )  # fmt: skip
    url = reverse("preparation:preparation", args=[clinics.client.code])
    assert INTENTIONS in signed_in(therapist).get(url).content.decode()
    reply = signed_in(researcher).get(url)
    assert reply.status_code == 403
    assert INTENTIONS not in reply.content.decode()
    assert "Tom Miller" not in reply.content.decode()


@pytest.mark.requirement("REQ-PRV-002")
def test_researcher_sees_no_medication_names_in_the_washout_plan(
    clinics: Clinics, coordinator: Membership, researcher: Membership
) -> None:
    """The client's medication list is intake (403 to researchers); the plan shows the class."""
    record(clinics.client, coordinator, {"medication": ("Cipralex", None)})  # -> escitalopram
    page = reverse("screening:detail", args=[clinics.client.code])
    assert "escitalopram" in signed_in(coordinator).get(page).content.decode()  # the plan is there
    body = signed_in(researcher).get(page).content.decode()
    assert "Washout plan" in body
    assert "escitalopram" not in body.lower()
    api = signed_in(researcher).get(f"/api/v1/clients/{clinics.client.code}/screening")
    assert api.status_code == 200 and api.json()["washout"]
    assert "escitalopram" not in json.dumps(api.json()).lower()


# Redirects after a POST stay on this site -----------------------------------------------------


def test_acknowledging_an_alert_does_not_redirect_off_site(
    clinics: Clinics, therapist: Membership
) -> None:
    alert = measures_services.safety_alert_raise(
        by=None, client=clinics.client, severity="act", source="check-in",
        reason_code="checkin.self_harm",
    )  # fmt: skip
    url = reverse("measures:alert_acknowledge", args=[clinics.client.code, alert.pk])
    browser = signed_in(therapist)
    for target in ("/\\evil.example/", "//evil.example/", "https://evil.example/"):
        SafetyAlert.objects.filter(pk=alert.pk).update(acknowledged_at=None)
        reply = browser.post(url, {"action_taken": "Called the client.", "next": target})
        assert reply.status_code == 302
        # Django percent-encodes the backslash ("/%5Cevil.example/"): a path on this site.
        location = urlsplit(reply["Location"])
        assert not location.netloc and not location.path.startswith(("//", "/\\")), target
    reply = browser.post(url, {"action_taken": "Called.", "next": "/measures/"})
    assert reply["Location"] == "/measures/"


# An object must belong to the client the URL names ----------------------------------------


@pytest.mark.requirement("REQ-PRV-001")
def test_objects_of_another_client_are_404_through_my_clients_code(
    note: IntegrationNote, course: Course, clinics: Clinics, outsider: Membership
) -> None:
    """The outsider (lead of south) names their own client and north's ids."""
    mine = clinics.south_client.code
    visit = course.visits.first()
    assert visit is not None
    alert = measures_services.safety_alert_raise(
        by=None, client=clinics.client, severity="act", source="check-in",
        reason_code="checkin.self_harm",
    )  # fmt: skip
    browser = signed_in(outsider)
    for url in (
        reverse("courses:course_detail", args=[mine, course.pk]),
        reverse("courses:visit_move", args=[mine, course.pk, visit.pk]),
        reverse("integration:note", args=[mine, note.pk]),
        f"/api/v1/clients/{mine}/integration/notes/{note.pk}",
        f"/api/v1/courses/{course.pk}/visits/{visit.pk}",
    ):
        assert browser.get(url).status_code == 404, url
    for url in (
        reverse("courses:course_accept", args=[mine, course.pk]),
        reverse("measures:alert_acknowledge", args=[mine, alert.pk]),
        reverse("integration:note_sign", args=[mine, note.pk]),
    ):
        assert browser.post(url, {"action_taken": "x"}).status_code == 404, url
    # and north's own code is outside the outsider's scope altogether
    assert (
        browser.get(reverse("integration:integration", args=[clinics.client.code])).status_code
        == 404
    )


def test_a_portal_client_reaches_no_staff_page_or_api(
    note: IntegrationNote, clinics: Clinics, therapist: Membership
) -> None:
    from holdspace.portal.models import PortalAccount

    from ..factories import UserFactory

    other = PortalAccount.objects.create(
        user=UserFactory(), client=clinics.other_client, invited_by=therapist
    )
    browser = signed_in_user(other.user)
    code = clinics.client.code
    for url in (
        reverse("integration:integration", args=[code]),
        reverse("integration:note", args=[code, note.pk]),
        reverse("preparation:preparation", args=[code]),
        reverse("screening:detail", args=[code]),
    ):
        assert browser.get(url).status_code in (403, 404), url
        assert NOTE_TEXT not in browser.get(url).content.decode()
    assert browser.get(f"/api/v1/clients/{code}/integration/notes").status_code == 401
    home = browser.get(reverse("portal:home")).content.decode()
    assert JOURNAL_TEXT not in home


def signed_in_user(user):  # type: ignore[no-untyped-def]
    from django.test import Client as HttpClient

    browser = HttpClient()
    sign_in(browser, user)
    return browser
