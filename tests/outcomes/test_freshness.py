"""Cached cohort rows are never stale: every kind of write that can change a row raises the
clinic's data version in its own transaction, and what the cohort reads live (which clients
are in it, a factor read from another app) is part of the cache key."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from holdspace.outcomes import freshness
from holdspace.outcomes.selectors import CohortFilter, cohort
from holdspace.screening.models import MedicalHistory, Sex
from tests.conftest import signed_in
from tests.factories import ClientFactory

from .helpers import dose, party, past_course, record, sign

pytestmark = pytest.mark.django_db

PCL5 = CohortFilter(instrument="PCL-5")


def _row(researcher, client, flt=PCL5):  # type: ignore[no-untyped-def]
    return next((r for r in cohort(researcher, flt).rows if r.code == client.code), None)


@pytest.fixture
def team(therapist, therapist_off_team):  # type: ignore[no-untyped-def]
    return [therapist, therapist_off_team]


@pytest.fixture
def scored(clinics, lead):  # type: ignore[no-untyped-def]
    client = clinics.client
    record(lead, client, 50, 1, "baseline")
    record(lead, client, 40, 40)
    return client


def test_an_unchanged_cohort_is_read_from_the_cache(scored, researcher):
    assert _row(researcher, scored).endpoint == 40
    with CaptureQueriesContext(connection) as queries:
        assert _row(researcher, scored).endpoint == 40
    # Found cached: no score is read again (the tests below therefore test invalidation).
    assert not any("measures_score" in q["sql"] for q in queries.captured_queries)


def test_a_new_score_is_seen_at_once_on_the_page_and_the_api(scored, lead, researcher):
    page = signed_in(researcher)
    url = "/outcomes/?instrument=PCL-5"
    assert scored.code in page.get(url).content.decode()
    record(lead, scored, 22, 120, "end")
    row = _row(researcher, scored)
    assert (row.endpoint, row.endpoint_source) == (22, "protocol_endpoint")
    api = page.get("/api/v1/outcomes/clients?instrument=PCL-5").json()["items"]
    assert [i["endpoint"] for i in api if i["code"] == scored.code] == [22]
    summary = page.get("/api/v1/outcomes/summary?instrument=PCL-5&model=false").json()
    assert summary["groups"][0]["endpoint_mean"] == 22
    assert ">22<" in page.get(url).content.decode()


def test_an_assignment_given_a_timepoint_changes_the_endpoint_rule(scored, lead, researcher):
    score = record(lead, scored, 35, 60, "week_8")
    assert _row(researcher, scored).endpoint_source == "last_response"
    assignment = score.response.assignment
    assignment.timepoint = "end"
    assignment.save()
    assert _row(researcher, scored).endpoint_source == "protocol_endpoint"


def test_a_moved_medicine_session_changes_the_baseline_rule(clinics, lead, researcher, team):
    from holdspace.courses.models import VisitKind

    client = clinics.client
    sign(lead, client)
    course = past_course(lead, team, client)
    first = course.visits.filter(kind=VisitKind.MEDICINE_SESSION).order_by("starts_at").first()
    day = first.starts_at.date()
    # Scores at no timepoint, so the baseline is chosen by the first medicine session.
    client.assignments.update(timepoint="")
    for total, before in ((50, 20), (45, 5), (30, -30)):
        record(lead, client, total, (day - dt.date(2026, 1, 1)).days + 1 - before)
    assert _row(researcher, client).baseline == 45
    assert _row(researcher, client).baseline_source == "last_before_first_medicine_session"
    first.starts_at -= dt.timedelta(days=10)  # now between the first two scores
    first.save()
    row = _row(researcher, client)
    assert (row.baseline, row.baseline_source) == (50, "last_before_first_medicine_session")


def test_a_course_and_its_adverse_events_are_seen_at_once(clinics, lead, researcher, team):
    from holdspace.sessions.models import AdverseEvent, MedicineSession

    client = clinics.client
    record(lead, client, 50, 1, "baseline")
    sign(lead, client)
    assert _row(researcher, client).template == ""
    course = past_course(lead, team, client)
    assert _row(researcher, client).template == course.template_name
    dose(course, client, 1)
    assert _row(researcher, client).adverse_events["all"] == 0
    AdverseEvent.objects.create(
        session=MedicineSession.objects.get(client=client), term="t", onset_at=timezone.now(),
        severity="mild", valence="pleasant", serious_criteria=[], relatedness="possible",
        outcome="resolved", special_interest=[], reported_by=lead,
    )  # fmt: skip
    assert _row(researcher, client).adverse_events["all"] == 1


def test_prior_experiences_and_medical_history_are_seen_at_once(scored, researcher):
    by_party = CohortFilter(instrument="PCL-5", group_by="prior_party_use")
    by_sex = CohortFilter(instrument="PCL-5", group_by="sex")
    assert _row(researcher, scored, by_party).group == "none"
    assert _row(researcher, scored, by_sex).group == "not recorded"
    party(scored, 60)
    MedicalHistory.objects.create(client=scored, sex=Sex.FEMALE)
    assert _row(researcher, scored, by_party).group == "50+"
    assert _row(researcher, scored, by_sex).group == "Female"


def test_clients_moved_without_save_are_read_live(scored, researcher):
    from holdspace.people.models import Client, Phase

    in_follow_up = CohortFilter(instrument="PCL-5", phase=Phase.FOLLOW_UP)
    assert _row(researcher, scored, in_follow_up) is None
    # The hourly phase command moves clients with .update(): no signal, no version raised.
    Client.objects.filter(pk=scored.pk).update(phase=Phase.FOLLOW_UP)
    assert _row(researcher, scored, in_follow_up) is not None


def test_a_write_raises_only_its_own_clinics_version(clinics, lead):
    north, south = clinics.north.pk, clinics.south.pk
    before = freshness.version_of(north), freshness.version_of(south)
    record(lead, clinics.client, 50, 1)
    assert freshness.version_of(north) > before[0]
    assert freshness.version_of(south) == before[1]
    ClientFactory(clinic=clinics.south)
    assert freshness.version_of(south) == before[1] + 1


# The rows are brought up to date per client: only the clients written since the rows were
# cached are read again (selectors._build_rows_by_id is watched for which clients it builds).


@pytest.fixture
def builds(monkeypatch):  # type: ignore[no-untyped-def]
    from holdspace.outcomes import selectors

    built: list[set[int]] = []
    real = selectors._build_rows_by_id

    def watched(clients, *args, **kwargs):  # type: ignore[no-untyped-def]
        built.append(set(clients.values_list("pk", flat=True)))
        return real(clients, *args, **kwargs)

    monkeypatch.setattr(selectors, "_build_rows_by_id", watched)
    return built


@pytest.fixture
def two(clinics, lead):  # type: ignore[no-untyped-def]
    first, second = clinics.client, ClientFactory(clinic=clinics.north)
    for client, end in ((first, 45), (second, 30)):
        record(lead, client, 50, 1, "baseline")
        record(lead, client, end, 40)
    return first, second


def _rows(researcher, flt=PCL5):  # type: ignore[no-untyped-def]
    return {r.code: (r.baseline, r.endpoint, r.response) for r in cohort(researcher, flt).rows}


def test_one_clients_new_score_rebuilds_only_its_row(two, lead, researcher, builds):
    first, second = two
    everyone = {c.pk for c in first.clinic.clients.all()}
    assert _rows(researcher)[first.code] == (50, 45, False)
    assert builds == [everyone]  # the first read builds every row
    record(lead, first, 20, 120, "end")
    rows = _rows(researcher)
    assert builds[1:] == [{first.pk}]
    assert rows[first.code] == (50, 20, True)
    assert rows[second.code] == (50, 30, True)
    assert _rows(researcher) == rows  # unchanged since: nothing built
    assert len(builds) == 2


def test_a_score_deleted_rebuilds_its_row_without_an_endpoint(two, researcher, builds):
    from holdspace.measures.models import Score

    first, second = two
    assert _rows(researcher)[first.code] == (50, 45, False)
    Score.objects.filter(client=first, total=45).delete()
    rows = _rows(researcher)
    assert builds[1:] == [{first.pk}]
    assert rows[first.code] == (50, None, None)
    assert rows[second.code] == (50, 30, True)


def test_a_client_who_leaves_the_cohort_and_comes_back(two, lead, researcher, builds):
    from holdspace.people.models import Client, Phase

    first, second = two
    in_follow_up = CohortFilter(instrument="PCL-5", phase=Phase.FOLLOW_UP)
    Client.objects.filter(pk__in=[first.pk, second.pk]).update(phase=Phase.FOLLOW_UP)
    assert set(_rows(researcher, in_follow_up)) == {first.code, second.code}
    # Moved out by .update() (no signal): its row is dropped, no row is built.
    Client.objects.filter(pk=first.pk).update(phase=Phase.SCREENING)
    assert set(_rows(researcher, in_follow_up)) == {second.code}
    assert len(builds) == 1
    # Back in, unchanged since: its row is still known, nothing is built.
    Client.objects.filter(pk=first.pk).update(phase=Phase.FOLLOW_UP)
    assert _rows(researcher, in_follow_up)[first.code] == (50, 45, False)
    assert len(builds) == 1
    # Out again, written while out (a new score), back in: only its row is built again.
    Client.objects.filter(pk=first.pk).update(phase=Phase.SCREENING)
    assert set(_rows(researcher, in_follow_up)) == {second.code}
    record(lead, first, 20, 120, "end")
    assert set(_rows(researcher, in_follow_up)) == {second.code}
    assert len(builds) == 1  # not in the cohort: not built, only forgotten
    Client.objects.filter(pk=first.pk).update(phase=Phase.FOLLOW_UP)
    assert _rows(researcher, in_follow_up)[first.code] == (50, 20, True)
    assert builds[1:] == [{first.pk}]


def test_rows_are_shared_by_readers_and_filters_and_kept_apart_by_grouping(
    two, lead, researcher, builds
):
    first, second = two
    everyone = {c.pk for c in first.clinic.clients.all()}
    assert set(_rows(researcher)) == {first.code, second.code}
    # Another reader, and a filter that picks no client: the rows are found, none built.
    no_one = CohortFilter(instrument="PCL-5", template="no-such-template")
    assert _rows(lead) == _rows(researcher)
    assert _rows(researcher, no_one) == {}
    assert builds == [everyone]
    # A grouping is part of a row (its group): its rows are built once, then shared too.
    grouped = CohortFilter(instrument="PCL-5", group_by="prior_party_use")
    assert set(_rows(researcher, grouped)) == {first.code, second.code}
    assert set(_rows(lead, grouped)) == {first.code, second.code}
    assert builds == [everyone, everyone]
    # One reader's read after a write rebuilds the written row; the other finds it.
    record(lead, first, 20, 120, "end")
    assert _rows(lead)[first.code] == (50, 20, True)
    assert _rows(researcher)[first.code] == (50, 20, True)
    assert builds[2:] == [{first.pk}]


def test_a_renamed_client_code_replaces_its_row(two, researcher, builds):
    first, _second = two
    assert first.code in _rows(researcher)
    old = first.code
    first.code = "ZZZZ9999"
    first.save()
    rows = _rows(researcher)
    assert old not in rows
    assert rows["ZZZZ9999"] == (50, 45, False)
    assert builds[1:] == [{first.pk}]
    assert list(rows) == sorted(rows)  # still in the order of the codes


def test_a_changed_definition_rebuilds_every_row(two, clinics, researcher, builds):
    from holdspace.measures.library import shipped
    from holdspace.measures.models import InstrumentDefinition

    first, _second = two
    assert _rows(researcher)[first.code] == (50, 45, False)
    body = shipped()["PCL-5"].model_dump(mode="json", by_alias=True)
    body["outcomes"]["response"]["points"] = 5  # a clinic's own threshold (a test value)
    InstrumentDefinition.objects.create(
        clinic=clinics.north, code="PCL-5", version="2013.1-local", body=body
    )
    rows = _rows(researcher)
    assert rows[first.code] == (50, 45, True)
    assert builds[1] == {c.pk for c in clinics.north.clients.all()}


def test_a_clinic_wide_change_rebuilds_every_row(two, clinics, researcher, builds):
    _rows(researcher)
    freshness.bump_clinic(clinics.north.pk)
    _rows(researcher)
    assert builds[0] == builds[1] == {c.pk for c in clinics.north.clients.all()}


def test_a_write_in_another_clinic_rebuilds_nothing(two, clinics, lead, researcher, builds):
    _rows(researcher)
    ClientFactory(clinic=clinics.south)
    _rows(researcher)
    assert len(builds) == 1


def test_a_course_rebuilds_only_its_clients_rows(two, lead, researcher, team, builds):
    first, _second = two
    sign(lead, first)
    assert _row(researcher, first).template == ""
    course = past_course(lead, team, first)
    assert _row(researcher, first).template == course.template_name
    assert builds[1:] == [{first.pk}]
    course.template_name = "Renamed"
    course.save()
    assert _row(researcher, first).template == "Renamed"
    assert builds[2:] == [{first.pk}]
    course.clients.remove(first)
    assert _row(researcher, first).template == ""
    assert builds[3:] == [{first.pk}]


def test_a_courses_clients_cleared_or_changed_from_the_client(  # type: ignore[no-untyped-def]
    two, clinics, lead, researcher, team, builds
):
    first, second = two
    sign(lead, first)
    course = past_course(lead, team, first)
    assert _row(researcher, first).template == course.template_name
    second.courses.add(course)  # from the client's side: only that client's row
    assert _row(researcher, second).template == course.template_name
    assert builds[-1] == {second.pk}
    course.clients.clear()  # which clients left is not known: every row is built again
    assert (_row(researcher, first).template, _row(researcher, second).template) == ("", "")
    assert builds[-1] == {c.pk for c in clinics.north.clients.all()}
