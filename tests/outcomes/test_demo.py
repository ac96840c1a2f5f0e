"""The synthetic outcomes cohort of `holdspace demo`."""

from __future__ import annotations

import pytest

from holdspace.courses.models import Course
from holdspace.outcomes import selectors
from holdspace.outcomes.summary import summarise
from holdspace.people.demo import demo_build
from holdspace.people.models import Membership


@pytest.mark.django_db
def test_demo_cohort_has_60_finished_courses_over_the_party_use_groups():
    demo_build(seed=1)
    finished = Course.objects.filter(clinic__slug="north", closed_reason="completed").count()
    assert finished >= 60
    assert Course.objects.filter(closed_reason__in=["withdrew", "lost_to_follow_up"]).exists()
    researcher = Membership.objects.get(user__email="researcher@north.demo")
    flt = selectors.CohortFilter(instrument="PCL-5", group_by="prior_party_use")
    rows = selectors.cohort_rows(researcher, flt)
    summary = summarise(rows, instrument="PCL-5", group_by="prior_party_use")
    assert [g["group"] for g in summary["groups"]] == ["none", "1-9", "10-49", "50+"]
    assert all(g["n"] >= 15 for g in summary["groups"])
    assert any(row.follow_ups for row in rows)  # durability columns
    assert summary["model"]["estimates"]
