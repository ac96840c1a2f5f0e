"""The Oregon quarterly 303 aggregate, worked by hand on a small clinic: which sessions fall in
the quarter (its first and last minute in, the minutes either side out), individual and group
sessions, denials with their rules, the adverse events the sessions record, age bands without
the client who opted out, and every count from 1 to 4 suppressed. Medical leads only; the
client's opt-out is a typed, audited write. The clinic here reports under SB 303 (its setting
is tested in test_oregon_setting.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from holdspace.audit.models import AuditEvent
from holdspace.courses.models import Course, Visit, VisitKind
from holdspace.people.models import ClientIdentity, Role
from holdspace.screening.models import ScreeningDecision
from holdspace.sessions.models import AdverseEvent, MedicineSession
from holdspace.studies import oregon
from holdspace.studies.oregon_models import Oregon303OptOut, Oregon303Reporting

from ..conftest import signed_in
from ..factories import ClientFactory, MembershipFactory


@pytest.fixture(autouse=True)
def _north_reports_under_sb303(clinics, lead):  # type: ignore[no-untyped-def]
    Oregon303Reporting.objects.create(clinic=clinics.north, reports=True, changed_by=lead.user)


def _at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=timezone.get_current_timezone())


def _sessions(clinic, therapist, clients, when):  # type: ignore[no-untyped-def]
    """One visit at `when` with a medicine session for each client (two: a joint session)."""
    course = Course.objects.create(
        clinic=clinic, template_key="t", template_name="t", protocol={},
        start_date=when.date(), created_by=therapist, status="active",
    )  # fmt: skip
    course.clients.add(*clients)
    visit = Visit.objects.create(
        course=course, kind=VisitKind.MEDICINE_SESSION, number=1, label="Medicine session",
        starts_at=when, duration_minutes=480, why="test",
    )  # fmt: skip
    return [
        MedicineSession.objects.create(
            clinic=clinic, client=c, visit=visit, status="ended", started_at=when
        )
        for c in clients
    ]


def _born(client, year, month=1, day=15):  # type: ignore[no-untyped-def]
    ClientIdentity.objects.filter(client=client).update(birth_date=dt.date(year, month, day))


def _denied(client, lead, when, rules):  # type: ignore[no-untyped-def]
    ScreeningDecision.objects.create(
        client=client, decision="not_eligible", reason="private words", ruleset_version="t",
        findings=[{"rule_id": r, "outcome": o} for r, o in rules],
        signed_by=lead.user, signed_at=when,
    )  # fmt: skip


@pytest.fixture
def quarter_data(clinics, therapist, lead):  # type: ignore[no-untyped-def]
    north = clinics.north
    a, b, c, d, e, f, g, h = [ClientFactory(clinic=north) for _ in range(8)]
    for client in (a, b, c, d, e):
        _born(client, 1996)  # 29 or 30 in the quarter: band 25-34
    _born(f, 1976)  # 50: band 45-54, but f opted out of the client data
    Oregon303OptOut.objects.create(client=f, opted_out=True, recorded_by=lead.user)
    first = _sessions(north, therapist, [a], _at(2026, 1, 1, 0, 0))  # the quarter's first minute
    _sessions(north, therapist, [a], _at(2026, 3, 10, 9, 0))  # a's second session
    _sessions(north, therapist, [b], _at(2026, 3, 31, 23, 59))  # its last minute
    _sessions(north, therapist, [c], _at(2026, 2, 1, 9, 0))
    _sessions(north, therapist, [d], _at(2026, 2, 2, 9, 0))
    _sessions(north, therapist, [e, f], _at(2026, 2, 3, 9, 0))  # a couple's joint session
    _sessions(north, therapist, [g], _at(2025, 12, 31, 23, 59))  # the quarter before
    _sessions(north, therapist, [h], _at(2026, 4, 1, 0, 0))  # the quarter after
    _sessions(clinics.south, therapist, [clinics.south_client], _at(2026, 2, 1, 9, 0))
    AdverseEvent.objects.create(
        session=first[0], term="x", onset_at=_at(2026, 1, 1, 2, 0), severity="severe",
        valence="unpleasant", relatedness="possible", outcome="resolved",
        serious_criteria=["hospitalisation"], reported_by=therapist,
    )  # fmt: skip
    _denied(g, lead, _at(2026, 2, 5, 10, 0), [("arrhythmia", "exclude"), ("qtc", "medical_review")])
    _denied(h, lead, _at(2026, 3, 5, 10, 0), [])
    _denied(clinics.other_client, lead, _at(2026, 4, 5, 10, 0), [("arrhythmia", "exclude")])
    return a


def _cells(rows):  # type: ignore[no-untyped-def]
    return {str(label): cell.shown for label, cell in rows}


@pytest.mark.requirement("REQ-PRV-005")
@pytest.mark.django_db
def test_the_quarter_counted_by_hand(quarter_data, lead):
    report = oregon.oregon_quarter(lead, year=2026, number=1)
    assert (report["period_start"], report["period_end"], report["due"]) == (
        dt.date(2026, 1, 1), dt.date(2026, 3, 31), dt.date(2026, 4, 15)
    )  # fmt: skip
    # a (twice), b, c, d, and e with f together: six clients, seven sessions at six visits.
    assert _cells(report["centre"]) == {
        "Clients served": "6",
        "Individual administration sessions": "5",
        "Group administration sessions": "< 5",  # one
        "Individuals denied services": "< 5",  # g and h; the April denial is the next quarter's
        "Adverse behavioural reactions (number and severity)": "not recorded",
        "Adverse medical reactions (number and severity)": "not recorded",
    }
    assert [(rule, cell.value) for rule, cell in report["denied_reasons"]] == [
        ("arrhythmia", 1),
        ("no exclusion rule (the lead's reason)", 1),
    ]
    assert _cells(report["averages"]) == {
        "Average number of administration sessions per client": "1.17",  # 7 / 6
        "Average number of clients per group session": "< 5",  # one group: left out
    }
    assert _cells(report["events"]) == {
        "Mild": "0", "Moderate": "0", "Severe": "< 5",
        "Serious: requires or prolongs hospitalisation": "< 5",
    }  # fmt: skip
    ages = _cells(report["client_fields"])
    assert ages["Age: 25-34"] == "5"  # a-e; f opted out and is not in any band
    assert ages["Age: 45-54"] == "0" and ages["Age: not recorded"] == "0"
    assert ages["Race"] == "not recorded" and ages["Veteran status"] == "not recorded"
    assert report["opted_out"].shown == "< 5"
    csv_text = oregon.as_csv(report)
    assert "centre,Clients served,6" in csv_text and "private words" not in csv_text


@pytest.mark.django_db
def test_a_quarter_with_nothing_shows_zeros(clinics, lead):
    report = oregon.oregon_quarter(lead, year=2025, number=4)
    assert report["due"] == dt.date(2026, 1, 15)
    assert _cells(report["centre"])["Clients served"] == "0"
    assert _cells(report["averages"])["Average number of administration sessions per client"] == "0"


@pytest.mark.django_db
def test_the_page_and_csv_are_the_medical_leads_and_audited(
    quarter_data, lead, researcher, coordinator
):
    browser = signed_in(lead)
    page = browser.get("/studies/reports/oregon/", {"year": "2026", "quarter": "1"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "Unverified" in text and "not recorded" in text
    csv_page = browser.get(
        "/studies/reports/oregon/", {"year": "2026", "quarter": "1", "format": "csv"}
    )
    assert csv_page["Content-Type"].startswith("text/csv")
    assert "oregon-303-2026-q1.csv" in csv_page["Content-Disposition"]
    assert AuditEvent.objects.filter(action="studies.oregon_report.view").count() == 2
    refused = browser.get("/studies/reports/oregon/", {"year": "2026", "quarter": "5"})
    assert refused.status_code == 422 and "quarter" in refused.context["form"].errors
    for other in (researcher, coordinator):
        assert signed_in(other).get("/studies/reports/oregon/").status_code == 403


@pytest.mark.django_db
def test_the_clients_opt_out_is_recorded_and_refusals_change_nothing(clinics, therapist, lead):
    code = clinics.client.code
    browser = signed_in(therapist)
    assert clinics.client.code in browser.get(f"/clients/{code}/").content.decode()
    assert b"Oregon 303" in browser.get(f"/clients/{code}/").content
    answer = browser.post(f"/studies/oregon-303/{code}/", {"opted_out": "yes"})
    assert answer.status_code == 302
    assert Oregon303OptOut.objects.get(client=clinics.client).opted_out is True
    assert AuditEvent.objects.filter(action="studies.oregon_303.opt_out").count() == 1
    bad = browser.post(f"/studies/oregon-303/{code}/", {"opted_out": "perhaps"})
    assert bad.status_code == 422 and b"opted_out" in bad.content
    outsider = MembershipFactory(clinic=clinics.south, role=Role.MEDICAL_LEAD)
    refused = signed_in(outsider).post(f"/studies/oregon-303/{code}/", {"opted_out": "no"})
    assert refused.status_code == 404
    assert Oregon303OptOut.objects.get(client=clinics.client).opted_out is True
    assert AuditEvent.objects.filter(action="studies.oregon_303.opt_out").count() == 1
