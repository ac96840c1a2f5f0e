"""Preparation readiness and integration records."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from holdspace.courses.models import CourseSettings
from holdspace.integration import services as integration
from holdspace.integration.models import IntegrationNote
from holdspace.people.actors import Actor
from holdspace.preparation import services as preparation
from holdspace.preparation.selectors import preparation_readiness

from ..conftest import signed_in

COMPLETE = {
    "intentions": "To feel safe in my own body again",
    "music_playlist": "Clinic list A",
    "eyeshades": True,
    "ride_home": "My sister",
    "overnight_plan": "Clinic overnight room",
    "overnight_attendant": "Night nurse",
    "supportive_touch": "no",
    "agrees_to_stay": True,
}


def test_a_client_is_not_ready_until_the_checklist_is_complete(course, clinics, therapist, room):
    readiness = preparation_readiness(clinics.client)
    assert not readiness.ready
    assert "intentions" in readiness.missing and "room" in readiness.missing
    preparation.preparation_update(
        by=Actor.command_line(therapist),
        course=course,
        client=clinics.client,
        room=room,
        **COMPLETE,
    )
    assert preparation_readiness(clinics.client).ready


def test_recording_consent_is_asked_only_where_the_site_records(course, clinics, therapist, room):
    CourseSettings.objects.create(clinic=clinics.north, records_sessions=True)
    preparation.preparation_update(
        by=Actor.command_line(therapist),
        course=course,
        client=clinics.client,
        room=room,
        **COMPLETE,
    )
    readiness = preparation_readiness(clinics.client)
    assert readiness.missing == ["recording consent: yes or no"]


def test_a_medical_lead_may_override_with_a_written_reason(course, clinics, therapist, lead):
    with pytest.raises(PermissionDenied):
        preparation.readiness_override(
            by=Actor.command_line(therapist), course=course, client=clinics.client, reason="x"
        )
    with pytest.raises(ValidationError):
        preparation.readiness_override(
            by=Actor.command_line(lead), course=course, client=clinics.client, reason=" "
        )
    preparation.readiness_override(
        by=Actor.command_line(lead),
        course=course,
        client=clinics.client,
        reason="Playlist to be chosen on the day; all else discussed",
    )
    readiness = preparation_readiness(clinics.client)
    assert readiness.ready and readiness.overridden and readiness.missing


def test_the_preparation_page_saves_and_shows_ready(course, clinics, therapist, room):
    browser = signed_in(therapist)
    url = reverse("preparation:preparation", args=[clinics.client.code])
    assert "Not ready" in browser.get(url).content.decode()
    data = {**COMPLETE, "room": room.pk}
    assert browser.post(url, data).status_code == 302
    assert ">Ready<" in browser.get(url).content.decode()


def test_a_signed_note_is_locked_and_corrected_by_addendum(course, clinics, therapist):
    actor = Actor.command_line(therapist)
    note = integration.note_create(
        by=actor, course=course, client=clinics.client, text="First draft"
    )
    integration.note_update(by=actor, note=note, text="Final text")
    integration.note_sign(by=actor, note=note)
    with pytest.raises(ValidationError, match="signed and locked"):
        integration.note_update(by=actor, note=note, text="Changed after signing")
    integration.note_addendum_add(by=actor, note=note, text="Correction: slept 6 h, not 4 h")
    note.refresh_from_db()
    assert note.text == "Final text"
    assert note.addenda.count() == 1


def test_editing_a_signed_note_on_the_page_is_refused_beside_the_field(course, clinics, therapist):
    actor = Actor.command_line(therapist)
    note = integration.note_create(by=actor, course=course, client=clinics.client, text="Final")
    integration.note_sign(by=actor, note=note)
    response = signed_in(therapist).post(
        reverse("integration:note", args=[clinics.client.code, note.pk]), {"text": "Edited"}
    )
    assert response.status_code == 422
    assert "signed and locked" in response.content.decode()
    assert IntegrationNote.objects.get(pk=note.pk).text == "Final"


def test_thoughts_of_self_harm_raise_a_safety_alert(course, clinics, therapist, monkeypatch):
    import holdspace.measures.services as measures_services

    raised = []
    monkeypatch.setattr(
        measures_services, "safety_alert_raise", lambda **kw: raised.append(kw), raising=False
    )
    actor = Actor.command_line(therapist)
    integration.check_in_record(
        by=actor,
        course=course,
        client=clinics.client,
        mood=5,
        sleep=6,
        distress=3,
        self_harm_thoughts=False,
    )
    assert raised == []
    integration.check_in_record(
        by=actor,
        course=course,
        client=clinics.client,
        mood=2,
        sleep=2,
        distress=8,
        self_harm_thoughts=True,
    )
    assert raised[0]["severity"] == "act"
    assert raised[0]["reason_code"] == "checkin.self_harm"
    assert raised[0]["source"] == "check-in"


def test_self_harm_raises_a_real_alert_through_measures(course, clinics, therapist):
    """The measures feature's real safety_alert_raise."""
    from holdspace.measures.models import SafetyAlert

    integration.check_in_record(
        by=Actor.command_line(therapist),
        course=course,
        client=clinics.client,
        mood=2,
        sleep=2,
        distress=9,
        self_harm_thoughts=True,
    )
    assert SafetyAlert.objects.filter(client=clinics.client).count() == 1


def test_a_check_in_out_of_range_is_refused(course, clinics, therapist):
    with pytest.raises(ValidationError) as error:
        integration.check_in_record(
            by=Actor.command_line(therapist),
            course=course,
            client=clinics.client,
            mood=11,
            sleep=5,
            distress=-1,
            self_harm_thoughts=False,
        )
    assert set(error.value.message_dict) == {"mood", "distress"}


def test_due_readiness_measures_show_on_the_preparation_page(course, clinics, therapist):
    body = (
        signed_in(therapist)
        .get(reverse("preparation:preparation", args=[clinics.client.code]))
        .content.decode()
    )
    assert "Readiness measures due" in body and "PCL-5" in body
