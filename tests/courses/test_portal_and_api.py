"""The client's portal, and the courses API."""

from __future__ import annotations

import datetime as dt

from django.test import Client as HttpClient
from django.urls import reverse

from holdspace.courses.models import CourseSettings, VisitKind
from holdspace.integration.models import JournalEntry
from holdspace.people.actors import Actor
from holdspace.portal import services as portal
from holdspace.preparation.selectors import preparation_for

from ..conftest import sign_in, signed_in


def _client_browser(course, clinics, therapist):  # type: ignore[no-untyped-def]
    from allauth.mfa.totp.internal.auth import TOTP

    account = portal.portal_invite(
        by=Actor.command_line(therapist), client=clinics.client, email="me@example.org"
    )
    TOTP.activate(account.user, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    browser = HttpClient()
    sign_in(browser, account.user)
    return browser


def test_a_client_sees_their_portal_and_no_staff_page(course, clinics, therapist):
    CourseSettings.objects.create(clinic=clinics.north, emergency_number="113")
    browser = _client_browser(course, clinics, therapist)
    home = browser.get(reverse("portal:home"))
    assert home.status_code == 200
    body = home.content.decode()
    assert "Your therapists read this before each visit" in body and "call 113" in body
    assert "Questionnaires to fill in" in body and "PCL-5" in body
    for url in (
        reverse("people:client_list"),
        reverse("people:client_detail", args=[clinics.client.code]),
        reverse("courses:course_list", args=[clinics.client.code]),
        reverse("courses:home"),
        reverse("integration:integration", args=[clinics.client.code]),
    ):
        assert browser.get(url).status_code in (403, 404), url
    assert browser.get(f"/api/v1/clients/{clinics.client.code}/courses").status_code == 401


def test_the_client_writes_intentions_journal_and_check_ins(course, clinics, therapist):
    browser = _client_browser(course, clinics, therapist)
    browser.post(reverse("portal:intentions"), {"intentions": "To sleep through the night"})
    assert preparation_for(course, clinics.client).intentions == "To sleep through the night"
    browser.post(reverse("portal:journal"), {"text": "A calm day"})
    assert JournalEntry.objects.get(client=clinics.client).text == "A calm day"
    browser.post(
        reverse("portal:check_in"),
        {"mood": 6, "sleep": 7, "distress": 2, "self_harm_thoughts": "no", "comment": ""},
    )
    assert clinics.client.check_ins.count() == 1
    staff_view = signed_in(therapist).get(
        reverse("integration:integration", args=[clinics.client.code])
    )
    assert "A calm day" in staff_view.content.decode()


def test_a_client_lands_on_their_portal_without_staff_links(course, clinics, therapist):
    browser = _client_browser(course, clinics, therapist)
    response = browser.get(reverse("home"))
    assert response.status_code == 302 and response["Location"] == reverse("portal:home")
    page = browser.get(reverse("portal:home")).content.decode()
    assert reverse("api_tokens:token_list") not in page
    assert reverse("people:client_list") not in page


def test_staff_cannot_open_the_portal(course, therapist):
    assert signed_in(therapist).get(reverse("portal:home")).status_code == 403


def test_the_api_lists_courses_with_their_visits(course, clinics, therapist, outsider):
    response = signed_in(therapist).get(f"/api/v1/clients/{clinics.client.code}/courses")
    assert response.status_code == 200
    data = response.json()
    assert data[0]["template_key"] == "mdma-at-ptsd-phase3"
    assert len(data[0]["visits"]) == 37
    sessions = [v for v in data[0]["visits"] if v["kind"] == "medicine_session"]
    assert sessions[0]["planned_dose"] == {"initial_mg": 80, "supplemental_mg": 40}
    assert (
        signed_in(outsider).get(f"/api/v1/clients/{clinics.client.code}/courses").status_code == 404
    )
    readiness = (
        signed_in(therapist).get(f"/api/v1/clients/{clinics.client.code}/preparation").json()
    )
    assert readiness["ready"] is False and "intentions" in readiness["missing"]
    assert (
        signed_in(therapist).get(f"/api/v1/clients/{clinics.client.code}/integration/notes").json()
        == []
    )


def test_the_api_moves_a_session_and_refuses_bad_moves(course, clinics, therapist, researcher):
    session = course.visits.get(kind=VisitKind.MEDICINE_SESSION, number=1)
    url = f"/api/v1/courses/{course.pk}/visits/{session.pk}"
    later = (session.starts_at + dt.timedelta(days=2)).isoformat()
    ok = signed_in(therapist).patch(
        url, {"starts_at": later, "reason": "fever"}, content_type="application/json"
    )
    assert ok.status_code == 200 and len(ok.json()) == 11
    past = signed_in(therapist).patch(
        url,
        {"starts_at": "2001-01-01T09:00:00+01:00", "reason": "x"},
        content_type="application/json",
    )
    assert past.status_code == 422
    denied = signed_in(researcher).patch(
        url, {"starts_at": later, "reason": "x"}, content_type="application/json"
    )
    assert denied.status_code == 403
    missing = signed_in(therapist).get(f"/api/v1/courses/{course.pk}/visits/999999")
    assert missing.status_code == 404


def test_reminders_are_queued_once_for_visits_in_the_next_day(
    course, clinics, therapist, mailoutbox=None
):
    from django.core import mail
    from django.core.management import call_command
    from django.utils import timezone

    from holdspace.courses.models import CourseStatus
    from holdspace.courses.tasks import reminders_enqueue

    course.status = CourseStatus.ACTIVE
    course.save()
    first = course.visits.order_by("starts_at").first()
    # The course starts tomorrow: its first visit is within 24 hours from a moment before it.
    moment = first.starts_at - dt.timedelta(hours=2)
    assert reminders_enqueue(moment) == 1  # tasks run at once in tests
    first.refresh_from_db()
    assert first.reminded_at is not None
    assert any(clinics.client.code in m.body for m in mail.outbox)
    assert not any(clinics.client.identity.family_name in m.body for m in mail.outbox)
    assert reminders_enqueue(moment) == 0
    call_command("courses", "remind")
    assert timezone.now()


def test_inviting_a_staff_email_or_a_second_time_is_refused(course, clinics, therapist, lead):
    import pytest
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="already in use"):
        portal.portal_invite(
            by=Actor.command_line(therapist), client=clinics.client, email=lead.user.email
        )
    portal.portal_invite(
        by=Actor.command_line(therapist), client=clinics.client, email="c@example.org"
    )
    with pytest.raises(ValidationError, match="already has"):
        portal.portal_invite(
            by=Actor.command_line(therapist), client=clinics.client, email="d@example.org"
        )


def test_the_api_writes_signs_and_locks_a_note(course, clinics, therapist, researcher):
    base = f"/api/v1/clients/{clinics.client.code}/integration/notes"
    browser = signed_in(therapist)
    created = browser.post(base, {"text": "Draft"}, content_type="application/json")
    assert created.status_code == 201
    url = f"{base}/{created.json()['id']}"
    assert browser.patch(
        url, {"text": "Final", "sign": True}, content_type="application/json"
    ).json()["signed_at"]
    locked = browser.patch(url, {"text": "Changed"}, content_type="application/json")
    assert locked.status_code == 422 and "locked" in str(locked.json())
    added = browser.post(f"{url}/addenda", {"text": "Correction"}, content_type="application/json")
    assert added.status_code == 201 and added.json()["addenda"] == ["Correction"]
    assert browser.get(f"{url}/addenda").json() == ["Correction"]
    assert (
        signed_in(researcher).post(base, {"text": "x"}, content_type="application/json").status_code
        == 403
    )
    assert browser.get(f"{base}/999999").status_code == 404
    assert browser.post(base, {"text": "  "}, content_type="application/json").status_code == 422


def test_the_api_updates_preparation(course, clinics, therapist, room):
    url = f"/api/v1/clients/{clinics.client.code}/preparation"
    browser = signed_in(therapist)
    answer = browser.patch(
        url, {"intentions": "Rest", "room_id": room.pk}, content_type="application/json"
    )
    assert answer.status_code == 200
    assert "intentions" not in answer.json()["missing"] and "room" not in answer.json()["missing"]
    bad = browser.patch(url, {"supportive_touch": "maybe"}, content_type="application/json")
    assert bad.status_code == 422


def test_the_portal_asks_for_a_check_in_on_check_in_days_and_links_it(course, clinics, therapist):
    from django.utils import timezone

    browser = _client_browser(course, clinics, therapist)
    assert (
        "Today is one of your check-in days"
        not in browser.get(reverse("portal:home")).content.decode()
    )
    check = course.visits.filter(kind=VisitKind.CHECK_IN).order_by("starts_at").first()
    check.starts_at = timezone.localtime().replace(hour=12, minute=0)
    check.save()  # test set-up: today is a check-in day
    assert (
        "Today is one of your check-in days" in browser.get(reverse("portal:home")).content.decode()
    )
    browser.post(
        reverse("portal:check_in"),
        {"mood": 4, "sleep": 5, "distress": 3, "self_harm_thoughts": "no", "comment": ""},
    )
    assert clinics.client.check_ins.get().visit == check
    assert (
        "your check-in for today has been sent"
        in browser.get(reverse("portal:home")).content.decode()
    )


def test_a_clinic_admin_sets_the_emergency_number_the_portal_shows(
    course, clinics, therapist, clinic_admin
):
    admin = signed_in(clinic_admin)
    assert admin.get(reverse("courses:home")).status_code == 200
    response = admin.post(
        reverse("courses:course_settings"),
        {
            "opens_at": "08:00",
            "closes_at": "18:00",
            "open_weekdays": ["0", "1", "2", "3", "4", "5", "6"],
            "overnight_stay_required": "on",
            "emergency_number": "112",
            "preparation_material": "Rest well.",
        },
    )
    assert response.status_code == 302
    body = _client_browser(course, clinics, therapist).get(reverse("portal:home")).content.decode()
    assert "call 112" in body and "Rest well." in body
    assert signed_in(therapist).post(reverse("courses:course_settings"), {}).status_code == 403
