"""The session API (idempotency, refusals, scoping, FHIR) and the pages (monitor, live region
with ETag → 304, the script's JSON posts, plain form posts with errors beside the field)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle

from holdspace.audit.models import AuditEvent
from holdspace.sessions.models import MedicineSession, TimelineEntry, VitalReading

from ..conftest import signed_in
from .conftest import act, give_initial, make_ready

pytestmark = pytest.mark.django_db

READING = {"systolic": 128, "diastolic": 82, "heart_rate": 76, "temperature": "37.0", "suds": 3}


def _post(browser, url, body, key=None):  # type: ignore[no-untyped-def]
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return browser.post(url, json.dumps(body), content_type="application/json", **headers)


def _api(session: MedicineSession, tail: str) -> str:
    return f"/api/v1/sessions/{session.pk}/{tail}"


# API -------------------------------------------------------------------------------------------


def test_a_repeat_with_the_same_idempotency_key_returns_the_first_result_and_stores_nothing(
    running, therapist
):
    browser = signed_in(therapist)
    first = _post(browser, _api(running, "vitals"), READING, key="k-1")
    again = _post(browser, _api(running, "vitals"), READING, key="k-1")
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert again.json()["replayed"] is True and again["Idempotent-Replayed"] == "true"
    assert VitalReading.objects.filter(is_baseline=False).count() == 1
    other = _post(browser, _api(running, "vitals"), READING, key="k-2")
    assert other.json()["id"] != first.json()["id"]


def test_refused_input_is_not_remembered_under_its_key(running, therapist):
    browser = signed_in(therapist)
    bad = _post(browser, _api(running, "vitals"), {**READING, "systolic": 400}, key="k-9")
    assert bad.status_code == 422 and "systolic" in bad.json()["errors"]
    good = _post(browser, _api(running, "vitals"), READING, key="k-9")
    assert good.status_code == 201


def test_api_supplemental_dose_outside_the_window_needs_a_reason(running, therapist):
    MedicineSession.objects.filter(pk=running.pk).update(
        started_at=timezone.now() - dt.timedelta(hours=4)
    )
    running.refresh_from_db()
    give_initial(running, therapist, minutes_ago=200)
    browser = signed_in(therapist)
    body = {"kind": "supplemental", "substance": "MDMA HCl", "mg": 40, "lot_number": "L2"}
    refused = _post(browser, _api(running, "doses"), body)
    assert refused.status_code == 422
    assert "outside its window" in refused.json()["errors"]["reason"][0]
    given = _post(browser, _api(running, "doses"), {**body, "reason": "Client was asleep"})
    assert given.status_code == 201


def test_api_withholds_the_supplemental_dose_with_a_reason(running, therapist):
    give_initial(running, therapist)
    browser = signed_in(therapist)
    refused = _post(browser, _api(running, "doses"), {"kind": "supplemental", "given": False})
    assert refused.status_code == 422
    ok = _post(
        browser,
        _api(running, "doses"),
        {"kind": "supplemental", "given": False, "reason": "Contraindicated: BP"},
    )
    assert ok.status_code == 201


def test_api_session_cannot_start_without_two_attested_therapists(session, therapist, co_therapist):
    browser = signed_in(therapist)
    from holdspace.sessions import services

    services.team_attest(by=act(therapist), session=session)
    refused = _post(browser, _api(session, "start"), {})
    assert refused.status_code == 422
    assert "1 of 2 therapists" in " ".join(refused.json()["errors"]["__all__"])
    make_ready(session, therapist, co_therapist)
    assert browser.get(f"/api/v1/sessions/{session.pk}").json()["blockers"] == []
    assert _post(browser, _api(session, "start"), {}).status_code == 201


def test_api_a_locked_note_refuses_edits(running, therapist, co_therapist):
    from holdspace.sessions import services

    ended = services.session_end(
        by=act(therapist),
        session=running,
        oriented_stable=True,
        therapists_agree=True,
        disposition="overnight_attendant",
        companion_name="Night attendant",
    )
    a, b = signed_in(therapist), signed_in(co_therapist)
    assert _post(a, _api(ended, "note"), {"text": "Calm."}).status_code == 201
    assert _post(a, _api(ended, "note/sign"), {}).status_code == 201
    assert _post(b, _api(ended, "note/sign"), {}).status_code == 201
    assert a.get(_api(ended, "note")).json()["locked_at"] is not None
    refused = _post(b, _api(ended, "note"), {"text": "Edited"})
    assert refused.status_code == 422
    assert "signed and locked" in refused.json()["errors"]["note_text"][0]


def test_api_timeline_alerts_and_acknowledgement(running, therapist, co_therapist):
    a, b = signed_in(therapist), signed_in(co_therapist)
    _post(a, _api(running, "vitals"), {**READING, "heart_rate": 135})
    _post(a, _api(running, "notes"), {"kind": "crying"})
    alerts = b.get(_api(running, "alerts")).json()
    assert alerts[0]["tier"] == "act" and alerts[0]["acknowledged_at"] is None
    ack = _post(
        b, _api(running, "acknowledgements"), {"alert_id": alerts[0]["id"], "action_taken": "Rest"}
    )
    assert ack.status_code == 201
    assert b.get(_api(running, "acknowledgements")).json()[0]["action_taken"] == "Rest"
    kinds = {item["kind"] for item in a.get(_api(running, "timeline")).json()}
    assert {"vitals", "quick", "ack", "status"} <= kinds


def test_api_reports_an_adverse_event(running, therapist):
    browser = signed_in(therapist)
    body = {
        "term": "Euphoria",
        "onset_at": timezone.now().isoformat(),
        "severity": "mild",
        "valence": "pleasant",
        "relatedness": "probable",
        "outcome": "resolved",
        "special_interest": ["abuse_potential"],
    }
    assert _post(browser, _api(running, "events"), body).status_code == 201
    assert _post(browser, _api(running, "events"), {**body, "severity": "huge"}).status_code == 422
    assert browser.get(_api(running, "events")).json()[0]["valence"] == "pleasant"


@pytest.mark.requirement("REQ-PRV-001")
def test_api_scoping_others_get_404(running, coordinator, outsider, lead):
    for member in (outsider, coordinator):
        assert signed_in(member).get(_api(running, "timeline")).status_code == 404
        assert _post(signed_in(member), _api(running, "vitals"), READING).status_code == 404
    assert signed_in(lead).get(_api(running, "timeline")).status_code == 200


def test_api_anonymous_gets_401(running):
    from django.test import Client

    assert Client().get(_api(running, "alerts")).status_code == 401


def test_every_reading_exports_as_valid_fhir_vital_signs_observations(running, therapist):
    browser = signed_in(therapist)
    reading = _post(browser, _api(running, "vitals"), {**READING, "spo2": 97}).json()
    data = browser.get(_api(running, f"vitals/{reading['id']}/fhir")).json()
    bundle = Bundle.model_validate(data)
    codes = {e.resource.code.coding[0].code for e in bundle.entry}
    assert codes == {"85354-9", "8867-4", "8310-5", "2708-6"}
    bp = next(e.resource for e in bundle.entry if e.resource.code.coding[0].code == "85354-9")
    assert {c.code.coding[0].code for c in bp.component} == {"8480-6", "8462-4"}
    assert all(e.resource.category[0].coding[0].code == "vital-signs" for e in bundle.entry)
    assert browser.get(_api(running, "vitals/999999/fhir")).status_code == 404


# Pages -----------------------------------------------------------------------------------------


def _url(session: MedicineSession, tail: str = "") -> str:
    return f"/sessions/{session.client.code}/{session.pk}/{tail}"


def test_the_monitor_shows_the_client_code_and_never_the_name(running, therapist, clinics):
    response = signed_in(therapist).get(_url(running))
    html = response.content.decode()
    assert response.status_code == 200
    assert clinics.client.code in html
    identity = clinics.client.identity
    assert f"{identity.given_name} {identity.family_name}" not in html
    assert AuditEvent.objects.filter(action="session.view").exists()


def test_the_live_region_answers_304_while_nothing_changed(running, therapist, monkeypatch):
    # The ETag also turns over every half minute; hold that still so the two polls can't
    # straddle a boundary (CI once ran them 30 ms apart across one).
    monkeypatch.setattr("holdspace.sessions.views._bucket", lambda: 1)
    browser = signed_in(therapist)
    first = browser.get(_url(running, "live/"))
    assert first.status_code == 200 and first["ETag"]
    same = browser.get(_url(running, "live/"), HTTP_IF_NONE_MATCH=first["ETag"])
    assert same.status_code == 304
    _post(browser, _api(running, "notes"), {"kind": "silence"})
    changed = browser.get(_url(running, "live/"), HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and "Silence" in changed.content.decode()


def test_the_scripts_post_is_saved_once_per_key(running, therapist):
    browser = signed_in(therapist)
    for _ in range(3):
        response = browser.post(
            _url(running, "do/note/"),
            {"kind": "note", "text": "Asked for a blanket"},
            HTTP_X_HOLDSPACE_FETCH="1",
            HTTP_IDEMPOTENCY_KEY="abc",
        )
        assert response.status_code == 201
    assert TimelineEntry.objects.count() == 1


def test_the_scripts_post_gets_errors_as_json(running, therapist):
    response = signed_in(therapist).post(
        _url(running, "do/vitals/"), {**READING, "systolic": 400}, HTTP_X_HOLDSPACE_FETCH="1"
    )
    assert response.status_code == 422
    assert "systolic" in response.json()["errors"]


def test_a_plain_form_post_keeps_what_was_typed_beside_the_error(running, therapist):
    response = signed_in(therapist).post(
        _url(running, "do/vitals/"), {**READING, "systolic": "120", "diastolic": "140"}
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert "Diastolic must be below systolic" in html
    assert 'value="140"' in html
    assert not VitalReading.objects.filter(is_baseline=False).exists()


def test_a_plain_form_post_redirects_to_the_monitor(session, therapist):
    response = signed_in(therapist).post(_url(session, "do/attest/"))
    assert response.status_code == 302
    assert session.team.count() == 1


def test_others_get_404_on_the_monitor(running, clinics, coordinator, researcher, outsider):
    from holdspace.people.models import Role

    from ..factories import MembershipFactory

    off_team = MembershipFactory(clinic=clinics.north, role=Role.THERAPIST)
    for member in (off_team, coordinator, researcher, outsider):
        assert signed_in(member).get(_url(running)).status_code == 404


def test_the_sessions_page_lists_todays_session(running, therapist, lead, clinics):
    for member in (therapist, lead):
        html = signed_in(member).get("/sessions/").content.decode()
        assert clinics.client.code in html


def test_the_medical_lead_confirms_the_thresholds_on_the_settings_page(lead, therapist, clinics):
    from holdspace.sessions import selectors

    assert signed_in(therapist).post("/sessions/settings/", {}).status_code == 403
    data = {k: ("" if v is None else v) for k, v in selectors.settings_defaults().items()}
    data["heart_rate_act"] = 125
    assert signed_in(lead).post("/sessions/settings/", data).status_code == 302
    settings = selectors.settings_for(clinics.north.pk)
    assert settings.confirmed_at is not None and settings.heart_rate_act == 125


def test_opening_the_session_from_the_schedule(visit, therapist, co_therapist, clinics, confirmed):
    response = signed_in(therapist).post(f"/sessions/{clinics.client.code}/visit/{visit.pk}/open/")
    assert response.status_code == 302
    assert MedicineSession.objects.filter(visit=visit, client=clinics.client).exists()


def test_api_entries_on_an_ended_session_are_refused(running, therapist):
    from holdspace.sessions import services

    services.session_end(
        by=act(therapist),
        session=running,
        oriented_stable=True,
        therapists_agree=True,
        disposition="escort_home",
        companion_name="A friend",
    )
    browser = signed_in(therapist)
    for tail, body in (("vitals", READING), ("notes", {"kind": "crying"})):
        refused = _post(browser, _api(running, tail), body)
        assert refused.status_code == 422
        assert "ended" in refused.json()["errors"]["__all__"][0]


def test_the_client_overview_shows_the_sessions_panel_to_the_team_only(
    running, therapist, coordinator, clinics
):
    url = f"/clients/{clinics.client.code}/"
    # (The phase badge also reads "Medicine sessions" now: the panel is its heading.)
    assert "<h2>Medicine sessions</h2>" in signed_in(therapist).get(url).content.decode()
    assert "<h2>Medicine sessions</h2>" not in signed_in(coordinator).get(url).content.decode()


def test_a_dose_names_who_gave_it(running, therapist, co_therapist):
    from holdspace.sessions.models import Dose

    browser = signed_in(therapist)
    body = {"kind": "initial", "substance": "MDMA HCl", "mg": 80, "lot_number": "L3"}
    refused = _post(browser, _api(running, "doses"), {**body, "given_by_id": 999999})
    assert refused.status_code == 422 and "given_by_id" in refused.json()["errors"]
    form = browser.post(
        _url(running, "do/dose/"), {**body, "given_by": co_therapist.pk}, HTTP_X_HOLDSPACE_FETCH="1"
    )
    assert form.status_code == 201
    dose = Dose.objects.get()
    assert dose.given_by == co_therapist and dose.recorded_by == therapist


def test_an_act_threshold_below_its_watch_threshold_is_refused(lead, clinics):
    from holdspace.sessions import selectors

    data = {k: ("" if v is None else v) for k, v in selectors.settings_defaults().items()}
    data["heart_rate_act"] = 90
    response = signed_in(lead).post("/sessions/settings/", data)
    assert "The act value must be above the watch value." in response.content.decode()
    assert selectors.settings_for(clinics.north.pk).confirmed_at is None


def test_a_session_begun_last_evening_is_today_until_discharged(clinics, running, therapist, lead):
    import datetime as dt

    from django.urls import reverse
    from django.utils import timezone

    from ..conftest import signed_in

    yesterday_evening = dt.datetime.combine(
        timezone.localdate() - dt.timedelta(days=1),
        dt.time(20, 30),
        tzinfo=timezone.get_current_timezone(),
    )
    running.visit.starts_at = yesterday_evening
    running.visit.save(update_fields=["starts_at"])
    monitor = reverse("sessions:monitor", args=[clinics.client.code, running.pk])
    for member in (therapist, lead):
        sessions_page = signed_in(member).get(reverse("sessions:home")).content.decode()
        assert "No medicine session on the schedule today" not in sessions_page
        assert monitor in sessions_page
        today = signed_in(member).get(reverse("today")).content.decode()
        assert monitor in today
