"""The medicine-session summary PDF: team, doses, vitals chart, alerts and what was done,
adverse events, discharge and signatures; for the care team and the medical lead only."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from holdspace.audit.models import AuditEvent
from holdspace.sessions import selectors, services
from tests.conftest import signed_in
from tests.pdf_helpers import assert_pdf, captured_html

from .conftest import act, give_initial

pytestmark = pytest.mark.django_db


def _url(session) -> str:  # type: ignore[no-untyped-def]
    return f"/sessions/{session.client.code}/{session.pk}/summary.pdf"


@pytest.fixture
def ended(running, therapist, co_therapist):  # type: ignore[no-untyped-def]
    give_initial(running, therapist)
    services.vital_record(
        by=act(therapist), session=running, systolic=120, diastolic=80, heart_rate=70,
        temperature="38.9", suds=2,
    )  # fmt: skip
    alert = selectors.open_alerts(running).get()
    services.alert_acknowledge(by=act(co_therapist), alert=alert, action_taken="Cooled the room")
    services.vital_record(
        by=act(therapist), session=running, systolic=118, diastolic=78, heart_rate=68,
        temperature="36.9", suds=1,
    )  # fmt: skip
    services.adverse_event_report(
        by=act(therapist), session=running, term="Jaw clenching", onset_at=timezone.now(),
        severity="mild", valence="unpleasant", relatedness="probable", outcome="resolved",
    )  # fmt: skip
    ended = services.session_end(
        by=act(therapist), session=running, oriented_stable=True, therapists_agree=True,
        disposition="overnight_attendant", companion_name="Night attendant",
    )  # fmt: skip
    services.note_write(by=act(therapist), session=ended, text="Calm after the peak.")
    services.note_sign(by=act(therapist), session=ended)
    return ended


def test_the_care_team_prints_the_whole_session(ended, therapist, monkeypatch):
    with captured_html(monkeypatch) as html:
        assert_pdf(signed_in(therapist).get(_url(ended)))
    text = html[0]
    for expected in (
        ended.client.code, therapist.user.get_full_name(), "MDMA HCl", "LOT-1", "<svg", "polyline",
        "Cooled the room", "Jaw clenching", "Night attendant", "Calm after the peak.", "Signed by",
    ):  # fmt: skip
        assert expected in text, expected
    assert "<script" not in text and "<nav" not in text
    row = AuditEvent.objects.filter(action="session.summary_pdf.view").get()
    assert row.client_code == ended.client.code


def test_in_norwegian_for_a_norwegian_reader(ended, lead, monkeypatch):
    browser = signed_in(lead)
    with captured_html(monkeypatch) as html:
        assert_pdf(browser.get(_url(ended), headers={"accept-language": "nb"}))
    assert "Oppsummering av medisinsesjonen" in html[0]
    # SVG coordinates are never localised ("172,8" in Norwegian would break the chart)
    assert not re.search(r' (?:x|y|x1|x2|y1|y2|cx|cy)="[0-9]+,[0-9]', html[0])


def test_others_are_refused(ended, coordinator, researcher, outsider, clinics):
    from holdspace.people.models import Role
    from tests.factories import MembershipFactory

    off_team = MembershipFactory(clinic=clinics.north, role=Role.THERAPIST)
    assert signed_in(coordinator).get(_url(ended)).status_code == 403
    assert signed_in(researcher).get(_url(ended)).status_code == 403
    assert signed_in(off_team).get(_url(ended)).status_code == 404
    assert signed_in(outsider).get(_url(ended)).status_code == 404
    assert not AuditEvent.objects.filter(action="session.summary_pdf.view").exists()
