"""The banners on every staff page (session alerts, safety alerts, values to review) come from
one query per request, however many kinds are shown."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from holdspace.core.extensions import banners
from holdspace.measures.models import SafetyAlert
from holdspace.sessions import services
from holdspace.sessions.models import SessionAlert

from ..conftest import signed_in
from .conftest import act

pytestmark = pytest.mark.django_db


def _page_queries(browser, path: str) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    browser.get(path)  # fills per-process memos (rules, the review count) first
    with CaptureQueriesContext(connection) as queries:
        response = browser.get(path)
    assert response.status_code == 200
    return len(queries), response.content.decode()


def _every_banner_kind(clinics, running, therapist, lead) -> None:  # type: ignore[no-untyped-def]
    # A running session's act alert (heart rate), an open safety alert from a questionnaire,
    # and a session value the lead changed and has not confirmed yet.
    services.vital_record(
        by=act(therapist),
        session=running,
        systolic=150,
        diastolic=95,
        heart_rate=132,
        temperature="37.4",
        taken_at=timezone.now(),
    )
    assert SessionAlert.objects.filter(acknowledged_at__isnull=True).exists()
    SafetyAlert.objects.create(
        client=clinics.client,
        severity="act",
        source="test",
        reason_code="phq9.item9",
        raised_at=timezone.now(),
    )
    services.settings_confirm(by=act(lead), values={"vitals_every_minutes": 20})


def test_a_page_with_every_banner_costs_the_same_queries_as_one_with_none(
    clinics, running, therapist, lead
):
    browser = signed_in(lead)
    none_count, none_html = _page_queries(browser, "/clients/")
    assert "banner-act" not in none_html and "/review/" not in none_html

    _every_banner_kind(clinics, running, therapist, lead)
    every_count, html = _page_queries(browser, "/clients/")
    assert f"Medicine session {clinics.client.code}: an unacknowledged" in html
    assert f"Safety alert to acknowledge: {clinics.client.code}" in html
    assert "1 clinical value of this clinic is unconfirmed" in html
    assert every_count == none_count


def test_every_banner_of_a_request_comes_from_one_query_kept_on_the_request(
    clinics, running, therapist, lead
):
    _every_banner_kind(clinics, running, therapist, lead)
    request = RequestFactory().get("/clients/")
    request.membership = lead  # type: ignore[attr-defined]
    banners(request)  # the review count is worked out once per change, then remembered
    request = RequestFactory().get("/clients/")
    request.membership = lead  # type: ignore[attr-defined]
    with CaptureQueriesContext(connection) as queries:
        shown = banners(request)
        again = banners(request)
    assert len(queries) == 1
    assert "UNION" in queries[0]["sql"].upper()
    assert [b.level for b in shown] == ["act", "act", "watch"]
    assert again == shown


def test_the_review_banner_follows_a_confirmation_at_once(clinics, running, therapist, lead):
    _every_banner_kind(clinics, running, therapist, lead)
    browser = signed_in(lead)
    assert "is unconfirmed" in browser.get("/clients/").content.decode()
    from tests.review.helpers import confirm_everything

    assert confirm_everything(lead) == 1
    assert "is unconfirmed" not in browser.get("/clients/").content.decode()


def test_a_therapist_sees_only_the_banners_of_their_teams(clinics, running, therapist, lead):
    _every_banner_kind(clinics, running, therapist, lead)
    SafetyAlert.objects.create(
        client=clinics.other_client,
        severity="watch",
        source="test",
        reason_code="phq9.item9",
        raised_at=timezone.now(),
    )
    html = signed_in(therapist).get("/clients/").content.decode()
    assert f"Medicine session {clinics.client.code}" in html
    assert clinics.other_client.code not in html  # not on this therapist's team
    assert "is unconfirmed" not in html  # the review is the medical lead's
    lead_html = signed_in(lead).get("/clients/").content.decode()
    assert clinics.other_client.code in lead_html


def test_the_banner_sql_is_made_once_per_member_and_its_rows_read_on_every_page(
    clinics, running, therapist, lead, monkeypatch
):
    # Building and compiling the UNION costs more CPU than running it: it is made once per
    # member (and per kind of page), while a new alert still shows on the very next page.
    from dataclasses import replace

    from holdspace.core import extensions

    built: list[str] = []

    def counting(source):  # type: ignore[no-untyped-def]
        def rows(request):  # type: ignore[no-untyped-def]
            built.append(source.key)
            return source.rows(request)

        return replace(source, rows=rows)

    monkeypatch.setattr(
        extensions, "_banner_sources", [counting(s) for s in extensions._banner_sources]
    )
    extensions._banner_sql.clear()
    browser = signed_in(lead)
    assert "banner-act" not in browser.get("/clients/").content.decode()
    first = len(built)
    assert first > 0
    _every_banner_kind(clinics, running, therapist, lead)
    html = browser.get("/screening/").content.decode()
    assert f"Medicine session {clinics.client.code}: an unacknowledged" in html
    assert f"Safety alert to acknowledge: {clinics.client.code}" in html
    assert len(built) == first  # the same member: the kept SQL, read again
    # The sessions pages leave the session alerts out (they show them themselves): other SQL.
    monitor = browser.get(f"/sessions/{running.client.code}/{running.pk}/").content.decode()
    assert "an unacknowledged" not in monitor.split("<main")[0]
    assert len(built) > first
    # Another member of the clinic gets their own.
    before = len(built)
    signed_in(therapist).get("/clients/")
    assert len(built) > before
