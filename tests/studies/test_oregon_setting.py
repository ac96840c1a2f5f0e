"""Whether a clinic reports under Oregon SB 303: off unless the clinic turns it on (the statute
binds Oregon-licensed psilocybin service centres only). Off: no opt-out panel on the client page,
no report link on the studies home, the report and the opt-out answer 404. Only the clinic admin
and the medical lead change it; the change is audited; a refusal changes nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from holdspace.audit.models import AuditEvent
from holdspace.people.actors import Actor
from holdspace.people.models import Role
from holdspace.studies import oregon
from holdspace.studies.oregon_models import Oregon303OptOut, Oregon303Reporting

from ..conftest import signed_in
from ..factories import MembershipFactory

SETTING = "/studies/reports/oregon/setting/"
REPORT = "/studies/reports/oregon/"


def _audited() -> int:
    return AuditEvent.objects.filter(action="studies.oregon_303.reporting").count()


@pytest.mark.django_db
def test_off_by_default_hides_the_panel_and_the_link_and_refuses_the_report(
    clinics, therapist, lead
):
    assert oregon.reports_under_sb303(clinics.north.pk) is False
    code = clinics.client.code
    client_page = signed_in(therapist).get(f"/clients/{code}/")
    assert client_page.status_code == 200 and b'id="oregon-303"' not in client_page.content
    browser = signed_in(lead)
    assert b'id="oregon-303"' not in browser.get(f"/clients/{code}/").content
    home = browser.get("/studies/")
    assert home.status_code == 200 and f'href="{REPORT}"'.encode() not in home.content
    # The lead's way to the setting (the clinic settings page is the clinic admin's).
    assert f'href="{REPORT}setting/"'.encode() in home.content
    assert browser.get(REPORT, {"year": "2026", "quarter": "1"}).status_code == 404
    assert browser.get(REPORT, {"format": "csv", "year": "2026", "quarter": "1"}).status_code == 404
    refused = signed_in(therapist).post(f"/studies/oregon-303/{code}/", {"opted_out": "yes"})
    assert refused.status_code == 404
    assert not Oregon303OptOut.objects.exists()
    assert not AuditEvent.objects.filter(action="studies.oregon_report.view").exists()


@pytest.mark.django_db
def test_the_lead_turns_it_on_and_everything_shows(clinics, therapist, lead):
    browser = signed_in(lead)
    assert browser.get(SETTING).status_code == 200
    answer = browser.post(SETTING, {"reports": "yes"})
    assert answer.status_code == 302
    assert oregon.reports_under_sb303(clinics.north.pk) is True
    assert oregon.reports_under_sb303(clinics.south.pk) is False  # the other clinic's own
    assert _audited() == 1
    assert browser.post(SETTING, {"reports": "yes"}).status_code == 302
    assert _audited() == 1  # no change, no audit row
    assert f'href="{REPORT}"'.encode() in browser.get("/studies/").content
    assert browser.get(REPORT, {"year": "2026", "quarter": "1"}).status_code == 200
    assert (
        b'id="oregon-303"' in signed_in(therapist).get(f"/clients/{clinics.client.code}/").content
    )
    browser.post(SETTING, {"reports": "no"})
    assert oregon.reports_under_sb303(clinics.north.pk) is False and _audited() == 2
    assert browser.get(REPORT).status_code == 404


@pytest.mark.django_db
def test_the_clinic_admin_sees_it_on_the_clinic_settings_page_and_may_change_it(
    clinics, clinic_admin
):
    browser = signed_in(clinic_admin)
    page = browser.get(reverse("clinic:clinic_settings"))
    assert b'id="oregon-303-setting"' in page.content and SETTING.encode() in page.content
    assert browser.post(SETTING, {"reports": "yes"}).status_code == 302
    event = AuditEvent.objects.get(action="studies.oregon_303.reporting")
    assert event.actor_id == clinic_admin.user_id and event.clinic_id == clinics.north.pk
    assert event.fields == ["reports"]


@pytest.mark.django_db
def test_other_roles_are_refused_and_change_nothing(
    clinics, therapist, coordinator, researcher, outsider
):
    for member in (therapist, coordinator, researcher):
        browser = signed_in(member)
        assert browser.get(SETTING).status_code == 403
        assert browser.post(SETTING, {"reports": "yes"}).status_code == 403
    # The other clinic's lead changes their own clinic only.
    assert signed_in(outsider).post(SETTING, {"reports": "yes"}).status_code == 302
    assert oregon.reports_under_sb303(clinics.north.pk) is False
    assert oregon.reports_under_sb303(clinics.south.pk) is True
    assert _audited() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("hostile", [{}, {"reports": "perhaps"}, {"reports": ["yes", "<script>"]}])
def test_hostile_input_is_refused_naming_the_field(clinics, lead, hostile):
    Oregon303Reporting.objects.create(clinic=clinics.north, reports=True, changed_by=lead.user)
    answer = signed_in(lead).post(SETTING, hostile)
    assert answer.status_code == 422 and "reports" in answer.context["form"].errors
    assert oregon.reports_under_sb303(clinics.north.pk) is True and _audited() == 0


@pytest.mark.django_db
def test_the_services_refuse_when_off(clinics, lead):
    with pytest.raises(PermissionDenied, match="does not report"):
        oregon.oregon_quarter(lead, year=2026, number=1)
    nurse = MembershipFactory(clinic=clinics.north, role=Role.THERAPIST)
    with pytest.raises(PermissionDenied, match="may not"):
        oregon.reporting_set(by=Actor.command_line(nurse), reports=True)
    assert not Oregon303Reporting.objects.exists()
