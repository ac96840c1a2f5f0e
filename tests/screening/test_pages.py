"""The screening pages: who sees what, forms that keep what was typed, signing on the page."""

from __future__ import annotations

from django.urls import reverse

from holdspace.audit.models import AuditEvent
from holdspace.screening.models import MedicalHistory, Medication, ScreeningDecision

from ..conftest import signed_in
from ..factories import PASSWORD
from .helpers import record


def _url(name, client):  # type: ignore[no-untyped-def]
    return reverse(f"screening:{name}", args=[client.code])


def test_the_index_lists_visible_clients_with_status(clinics, therapist, lead):
    page = signed_in(therapist).get(reverse("screening:index"))
    assert page.status_code == 200
    assert clinics.client.code in page.content.decode()
    assert clinics.other_client.code not in page.content.decode()
    page = signed_in(lead).get(reverse("screening:index"))
    assert clinics.other_client.code in page.content.decode()


def test_clinic_admins_see_nothing_clinical(clinics, clinic_admin):
    browser = signed_in(clinic_admin)
    assert browser.get(reverse("screening:index")).status_code == 403
    assert browser.get(_url("detail", clinics.client)).status_code == 404
    assert browser.get(reverse("screening:rules")).status_code == 403


def test_the_screening_page_lists_findings_with_their_source_and_is_audited(
    clinics, coordinator, therapist
):
    record(clinics.client, coordinator, {"medical": {}, "psychiatric": {},
                                         "medication": ("Cipralex", None)})  # fmt: skip
    page = signed_in(therapist).get(_url("detail", clinics.client))
    body = page.content.decode()
    assert page.status_code == 200
    assert 'data-rule="ssri-snri-taper"' in body
    assert "https://doi.org/10.1007/s00213-020-05710-w" in body
    assert AuditEvent.objects.filter(action="screening.view", client_code=clinics.client.code)


def test_a_therapist_off_the_team_gets_404(clinics, therapist_off_team):
    assert signed_in(therapist_off_team).get(_url("detail", clinics.client)).status_code == 404


def test_researchers_read_findings_but_not_intake_or_reasons(clinics, coordinator, researcher,
                                                             lead):  # fmt: skip
    record(clinics.client, coordinator, {"medication": ("Secret herbal mix", None)})
    browser = signed_in(lead)
    browser.post(
        _url("decision_sign", clinics.client),
        {"decision": "deferred", "reason": "Private reasoning text", "secret": PASSWORD},
    )
    browser = signed_in(researcher)
    body = browser.get(_url("detail", clinics.client)).content.decode()
    assert "unmatched-medication" in body
    assert "Secret herbal mix" not in body
    assert "Private reasoning text" not in body
    assert browser.get(_url("medical", clinics.client)).status_code == 403
    assert browser.post(_url("medications", clinics.client), {"name": "x"}).status_code == 403


def test_impossible_vitals_on_the_page_keep_what_was_typed(clinics, coordinator):
    response = signed_in(coordinator).post(
        _url("vitals", clinics.client),
        {"measured_at": "2026-01-05T09:30", "systolic": "400", "diastolic": "80",
         "heart_rate": "70", "temperature_c": "15"},
    )  # fmt: skip
    body = response.content.decode()
    assert response.status_code == 422
    assert "400 is outside what is possible" in body
    assert "15 is outside what is possible" in body or "15.0 is outside" in body
    assert 'value="400"' in body and 'value="70"' in body


def test_a_qtc_without_unit_on_the_page(clinics, coordinator):
    response = signed_in(coordinator).post(
        _url("medical", clinics.client), {"hypertension": "none", "qtc_value": "430"}
    )
    assert response.status_code == 422
    assert "Give the unit of the QTc value" in response.content.decode()
    assert 'value="430"' in response.content.decode()
    assert not MedicalHistory.objects.exists()


def test_an_unmatched_medication_on_the_page_is_kept_when_asked(clinics, coordinator):
    browser = signed_in(coordinator)
    response = browser.post(_url("medications", clinics.client), {"name": "Sleepwell", "dose": "2"})
    assert response.status_code == 422
    assert "matches nothing" in response.content.decode()
    assert 'value="Sleepwell"' in response.content.decode()
    response = browser.post(
        _url("medications", clinics.client), {"name": "Sleepwell", "keep_unmatched": "on"}
    )
    assert response.status_code == 302
    assert Medication.objects.get().unmatched
    # The add form stays empty beside the recorded medication, which shows its review flag.
    body = browser.get(_url("medications", clinics.client)).content.decode()
    assert "flagged for review" in body
    assert 'name="name"' in body and 'value="Sleepwell"' not in body


def test_a_future_last_use_on_the_page(clinics, coordinator):
    response = signed_in(coordinator).post(
        _url("experiences", clinics.client),
        {"substance": "mdma", "context": "party", "times": "40", "last_use": "2999-01-01",
         "how_it_went": "good", "intention": "dancing"},
    )  # fmt: skip
    assert response.status_code == 422
    assert "cannot be in the future" in response.content.decode()
    assert "dancing" in response.content.decode()


def test_a_lead_signs_on_the_page_and_only_a_lead(clinics, coordinator, lead):
    record(clinics.client, coordinator, {"medical": {}, "psychiatric": {}})
    refused = signed_in(coordinator).post(
        _url("decision_sign", clinics.client), {"decision": "eligible", "secret": PASSWORD}
    )
    assert refused.status_code == 403
    wrong = signed_in(lead).post(
        _url("decision_sign", clinics.client), {"decision": "eligible", "secret": "nope"}
    )
    assert wrong.status_code == 422
    ok = signed_in(lead).post(
        _url("decision_sign", clinics.client), {"decision": "eligible", "secret": PASSWORD}
    )
    assert ok.status_code == 302
    assert ScreeningDecision.objects.get().decision == "eligible"
    body = signed_in(lead).get(_url("detail", clinics.client)).content.decode()
    assert 'data-locked="true"' in body


def test_the_rules_page_is_for_medical_leads(clinics, lead, coordinator):
    assert signed_in(coordinator).get(reverse("screening:rules")).status_code == 403
    browser = signed_in(lead)
    assert browser.get(reverse("screening:rules")).status_code == 200
    response = browser.post(
        reverse("screening:rule_override"),
        {"rule": "lithium", "lithium-rule_id": "lithium", "lithium-enabled": "",
         "lithium-outcome": "medical_review", "lithium-reason": ""},
    )  # fmt: skip
    assert response.status_code == 422  # a reason is required
    response = browser.post(
        reverse("screening:rule_override"),
        {"rule": "lithium", "lithium-rule_id": "lithium", "lithium-outcome": "exclude",
         "lithium-enabled": "on", "lithium-reason": "Clinic policy"},
    )  # fmt: skip
    assert response.status_code == 302
    assert "Clinic policy" in browser.get(reverse("screening:rules")).content.decode()


def test_the_client_overview_shows_a_screening_panel(clinics, therapist, researcher):
    body = (
        signed_in(therapist)
        .get(reverse("people:client_detail", args=[clinics.client.code]))
        .content.decode()
    )
    assert _url("detail", clinics.client) in body
