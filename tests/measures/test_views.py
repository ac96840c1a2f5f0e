"""Staff pages: the Measures list, assigning, entering, the client panel and the alert banner."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from holdspace.measures import charts, services
from holdspace.measures.models import Assignment, SafetyAlert, Score

from ..conftest import signed_in
from .helpers import actor, assign, phq9

pytestmark = pytest.mark.django_db


def _detail(code: str) -> str:
    return reverse("people:client_detail", args=[code])


def test_the_nav_links_to_measures(clinics, therapist):
    page = signed_in(therapist).get(reverse("people:client_list")).content.decode()
    assert f'href="{reverse("measures:home")}"' in page


def test_the_measures_page_lists_due_and_overdue_in_scope(clinics, therapist, lead):
    assign(therapist, clinics.client, days=-3)
    assign(lead, clinics.other_client, days=3)
    page = signed_in(therapist).get(reverse("measures:home")).content.decode()
    assert clinics.client.code in page and clinics.other_client.code not in page
    assert (
        clinics.other_client.code in signed_in(lead).get(reverse("measures:home")).content.decode()
    )


def test_clinic_admins_have_no_measures_page(clinics, clinic_admin):
    assert signed_in(clinic_admin).get(reverse("measures:home")).status_code == 403


def test_assign_from_the_client_page(clinics, therapist):
    due = (timezone.localdate() + dt.timedelta(days=5)).isoformat()
    reply = signed_in(therapist).post(
        reverse("measures:assign", args=[clinics.client.code]),
        {"instrument_code": "PCL-5", "due_on": due, "timepoint": "baseline"},
    )
    assert reply.status_code == 302
    assert Assignment.objects.get().timepoint == "baseline"


def test_researcher_may_not_assign(clinics, researcher):
    reply = signed_in(researcher).post(
        reverse("measures:assign", args=[clinics.client.code]),
        {"instrument_code": "PCL-5", "due_on": "2030-01-01"},
    )
    assert reply.status_code == 403


def test_therapist_off_team_gets_404(clinics, therapist_off_team):
    url = reverse("measures:enter", args=[clinics.client.code, "PHQ-9"])
    assert signed_in(therapist_off_team).get(url).status_code == 404


def test_enter_on_behalf_scores_at_once_with_band(clinics, therapist):
    url = reverse("measures:enter", args=[clinics.client.code, "PHQ-9"])
    form = {f"item-{k}": v for k, v in phq9(11).items()} | {"observed_on": "2026-01-05"}
    reply = signed_in(therapist).post(url, form, follow=True)
    assert "PHQ-9 scored 11 (moderate)" in reply.content.decode()
    assert Score.objects.get().observed_on == dt.date(2026, 1, 5)


def test_enter_with_a_missing_item_keeps_the_rest_and_marks_it(clinics, therapist):
    url = reverse("measures:enter", args=[clinics.client.code, "PHQ-9"])
    form = {f"item-{k}": v for k, v in phq9(11).items() if k != "4"}
    reply = signed_in(therapist).post(url, form)
    assert reply.status_code == 422
    page = reply.content.decode()
    assert 'id="err-4"' in page and 'name="item-1" value="3" checked' in page
    assert not Score.objects.exists()


def test_score_only_entry_for_bdi2_from_the_page(clinics, therapist):
    url = reverse("measures:enter", args=[clinics.client.code, "BDI-II"])
    page = signed_in(therapist).get(url).content.decode()
    assert "Item 1" not in page and 'name="total"' in page
    bad = signed_in(therapist).post(url, {"total": "99", "observed_on": "2026-01-05"})
    assert bad.status_code == 422 and "out of range" in bad.content.decode()
    signed_in(therapist).post(url, {"total": "15", "observed_on": "2026-01-05"})
    assert Score.objects.get().band == "mild"


def test_the_client_panel_plots_a_trajectory_with_change_since_baseline(clinics, therapist):
    by = actor(therapist)
    for day, total in (
        (dt.date(2026, 1, 1), 24),
        (dt.date(2026, 2, 1), 18),
        (dt.date(2026, 3, 1), 12),
    ):
        services.response_record(
            by=by,
            client=clinics.client,
            instrument_code="PHQ-9",
            answers=phq9(total),
            observed_on=day,
        )
    page = signed_in(therapist).get(_detail(clinics.client.code)).content.decode()
    assert 'data-instrument="PHQ-9"' in page and "<polyline" in page
    assert "clinically meaningful" in page  # 24 → 18 is 6 down, ≥ the MCID of 5
    assert "moderately severe" in page  # band line label


def test_session_dates_from_another_app_are_marked(clinics, therapist, monkeypatch):
    by = actor(therapist)
    for day in (dt.date(2026, 1, 1), dt.date(2026, 3, 1)):
        services.response_record(
            by=by, client=clinics.client, instrument_code="PHQ-9", answers=phq9(5), observed_on=day
        )
    monkeypatch.setattr(charts, "_session_date_sources", [lambda client: [dt.date(2026, 2, 1)]])
    page = signed_in(therapist).get(_detail(clinics.client.code)).content.decode()
    assert 'class="session"' in page and "2026-02-01" in page


def test_the_alert_banner_shows_on_every_page_for_the_care_team_and_leads(
    clinics, therapist, lead, therapist_off_team, outsider
):
    services.safety_alert_raise(
        by=None, client=clinics.client, severity="act", source="measures", reason_code="phq9.item9"
    )
    for member in (therapist, lead):
        page = signed_in(member).get(reverse("people:client_list")).content.decode()
        assert "banner-act" in page and clinics.client.code in page
    for member in (therapist_off_team, outsider):
        page = signed_in(member).get(reverse("people:client_list")).content.decode()
        assert "banner-act" not in page


def test_acknowledge_from_the_page_clears_the_banner(clinics, therapist):
    alert = services.safety_alert_raise(
        by=None, client=clinics.client, severity="act", source="measures", reason_code="phq9.item9"
    )
    browser = signed_in(therapist)
    url = reverse("measures:alert_acknowledge", args=[clinics.client.code, alert.pk])
    assert browser.get(url).status_code == 405
    browser.post(url, {"action_taken": ""})
    assert SafetyAlert.objects.get().is_open
    browser.post(url, {"action_taken": "Called; seen today."})
    assert not SafetyAlert.objects.get().is_open
    assert "banner-act" not in browser.get(reverse("measures:home")).content.decode()


def test_issuing_a_link_shows_it_once(clinics, therapist):
    assignment = assign(therapist, clinics.client, code="PCL-5")
    reply = signed_in(therapist).post(
        reverse("measures:link_issue", args=[clinics.client.code, assignment.pk])
    )
    assert reply.status_code == 200 and "/measures/r/" in reply.content.decode()
