"""The baseline and endpoint picked in SQL (picking.py) are the ones rows.build_row picks in
Python, on a hand-built cohort with every rule and the awkward cases: ties in dates, two
responses on the same day with the same total, follow-ups, a timepoint repeated, no later
response, a score on the first medicine session's day."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from holdspace.courses.models import Course, VisitKind
from holdspace.measures import library
from holdspace.measures.models import Score
from holdspace.outcomes.selectors import CohortFilter, _build_rows, cohort_clients
from holdspace.screening.models import Context
from tests.factories import ClientFactory

from .helpers import party, past_course, record, sign

pytestmark = pytest.mark.django_db


def _day(date: dt.date) -> int:
    return (date - dt.date(2026, 1, 1)).days + 1


def test_sql_picks_the_same_rows_as_python(  # type: ignore[no-untyped-def]
    clinics, lead, researcher, therapist, therapist_off_team
):
    north = clinics.north
    cases = {}
    # Rule 1, the baseline timepoint, twice (the last counts), a score before it, an end
    # timepoint then a later plain score (the end counts) and a follow-up after.
    c = cases["timepoints"] = ClientFactory(clinic=north)
    for total, day, tp in ((60, 1, ""), (50, 3, "baseline"), (52, 3, "baseline"),
                           (40, 30, "end"), (35, 40, ""), (33, 50, "follow_up_6m"),
                           (31, 60, "follow_up_6m")):  # fmt: skip
        record(lead, c, total, day, tp)
    # Ties: two plain responses on the same day with the same total (one is the baseline, the
    # other is a later response: never the baseline itself), then nothing else.
    c = cases["same_day_twins"] = ClientFactory(clinic=north)
    record(lead, c, 44, 5)
    record(lead, c, 44, 5)
    # Same day, different totals: the order is the id's, in both.
    c = cases["same_day_order"] = ClientFactory(clinic=north)
    for total in (40, 20, 30):
        record(lead, c, total, 9)
    # One score only: a baseline, no endpoint (nothing carried forward).
    c = cases["single"] = ClientFactory(clinic=north)
    record(lead, c, 47, 2)
    # Only follow-ups after the baseline: no endpoint.
    c = cases["only_follow_ups"] = ClientFactory(clinic=north)
    record(lead, c, 47, 2, "baseline")
    record(lead, c, 30, 90, "follow_up_12m")
    # Entered out of date order (a paper form typed in late): the order is the date's, then
    # the id's, never the entry order. The same for a follow-up entered late.
    c = cases["entered_late"] = ClientFactory(clinic=north)
    for total, day, tp in ((40, 30, ""), (55, 2, ""), (45, 15, ""), (38, 60, "follow_up_6m"),
                           (36, 50, "follow_up_6m")):  # fmt: skip
        record(lead, c, total, day, tp)
    # Rule 2, the last before the first medicine session (a score on its day is not before
    # it), and rule 3, the first response, when every score is on or after that day.
    for name, offsets in (("before_session", (-20, -5, 0, 30)), ("after_session", (0, 10, 40))):
        c = cases[name] = ClientFactory(clinic=north)
        sign(lead, c)
        course = past_course(lead, [therapist, therapist_off_team], c)
        c.assignments.update(timepoint="")
        visit = course.visits.filter(kind=VisitKind.MEDICINE_SESSION).order_by("starts_at")[0]
        first = visit.starts_at.astimezone(dt.UTC).date()
        for k, offset in enumerate(offsets):
            record(lead, c, 50 - 5 * k, _day(first + dt.timedelta(days=offset)))
    # What rides along in the picking query: party and festival uses summed (not other
    # contexts), and the template of the newest course (by creation time, then id: two
    # courses made in the same instant).
    c = cases["party_and_courses"] = ClientFactory(clinic=north)
    record(lead, c, 50, 1)
    record(lead, c, 41, 20)
    party(c, 3)
    party(c, 4, Context.FESTIVAL)
    party(c, 100, Context.ALONE)
    made = timezone.now()
    for name in ("Older", "Newer"):
        course = Course.objects.create(
            clinic=north,
            template_key="t",
            template_name=name,
            protocol={},
            start_date=made.date(),
            created_by=lead,
        )
        course.clients.add(c)
    Course.objects.filter(clients=c).update(created_at=made)
    # Follow-ups come back joined as text: a total that is no whole number reads back the
    # same, and a timepoint may hold any text (commas too).
    c = cases["odd_follow_ups"] = ClientFactory(clinic=north)
    record(lead, c, 50, 1)
    record(lead, c, 30, 20)
    record(lead, c, 28, 80, "follow_up_a,b=c")
    thirds = record(lead, c, 27, 90, "follow_up_a,b=c")
    record(lead, c, 26, 85, "follow_up_6m")
    Score.objects.filter(pk=thirds.pk).update(total=100 / 3)
    # A score before 2000 (its key is negative: the day and id still read back from it).
    c = cases["last_century"] = ClientFactory(clinic=north)
    record(lead, c, 45, -10000)
    record(lead, c, 30, 5)
    flt = CohortFilter(instrument="PCL-5")
    clients = cohort_clients(researcher, flt)
    definition = library.definition_for(north.pk, "PCL-5")
    in_sql = _build_rows(clients, definition, "", None)
    in_python = _build_rows(clients, definition, "", None, histories=True)
    for row in in_python:
        row.scores = []  # the SQL rows carry no histories; everything else must match
    assert in_sql == in_python
    by_code = {row.code: row for row in in_sql}
    picked = {
        name: (
            by_code[c.code].baseline, by_code[c.code].baseline_source,
            by_code[c.code].endpoint, by_code[c.code].endpoint_source,
        )
        for name, c in cases.items()
    }  # fmt: skip
    # The answers, worked out by hand from the rules in docs/outcomes.md:
    assert picked == {
        "timepoints": (52, "baseline_timepoint", 40, "protocol_endpoint"),
        "same_day_twins": (44, "first_response", 44, "last_response"),
        "same_day_order": (40, "first_response", 30, "last_response"),
        "single": (47, "first_response", None, None),
        "entered_late": (55, "first_response", 40, "last_response"),
        "only_follow_ups": (47, "baseline_timepoint", None, None),
        "before_session": (45, "last_before_first_medicine_session", 35, "last_response"),
        "after_session": (50, "first_response", 40, "last_response"),
        "party_and_courses": (50, "first_response", 41, "last_response"),
        "odd_follow_ups": (50, "first_response", 30, "last_response"),
        "last_century": (45, "first_response", 30, "last_response"),
    }
    mixed = by_code[cases["party_and_courses"].code]
    assert (mixed.prior_party_uses, mixed.template) == (7, "Newer")
    assert by_code[cases["before_session"].code].template  # its one course's template
    assert by_code[cases["timepoints"].code].template == ""  # no course
    # The dates come back from SQL as ordinals: the same days.
    assert by_code[cases["timepoints"].code].baseline_on == dt.date(2026, 1, 3)
    assert by_code[cases["timepoints"].code].endpoint_on == dt.date(2026, 1, 30)
    assert by_code[cases["last_century"].code].baseline_on == dt.date(1998, 8, 15)
    assert by_code[cases["timepoints"].code].follow_ups == {"follow_up_6m": 31}
    assert by_code[cases["entered_late"].code].follow_ups == {"follow_up_6m": 38}
    odd = by_code[cases["odd_follow_ups"].code]
    assert odd.follow_ups == {"follow_up_a,b=c": 100 / 3, "follow_up_6m": 26}
    assert list(odd.follow_ups) == ["follow_up_a,b=c", "follow_up_6m"]  # as first scored
    assert timezone.now()  # the clock is not part of any rule


def test_follow_ups_come_back_as_one_joined_text_of_whole_records():
    # One record a follow-up score (key, total, timepoint), in any order the database joined
    # them: the last by key at each timepoint, the timepoints in the order first scored; a
    # timepoint may hold commas and the total is read back exactly.
    from holdspace.outcomes.picking import _last_follow_ups

    joined = "\x1f".join(
        ["9\x1e26\x1efollow_up_6m", "7\x1e0.1\x1efollow_up_a,b", "8\x1e33.333333333333336"
         "\x1efollow_up_a,b", "3\x1e40\x1efollow_up_6m"]
    )  # fmt: skip
    found = _last_follow_ups(joined)
    assert found == {"follow_up_6m": 26.0, "follow_up_a,b": 100 / 3}
    assert list(found) == ["follow_up_6m", "follow_up_a,b"]
