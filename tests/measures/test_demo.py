"""The demo extension adds realistic, synthetic measure histories through the services."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from faker import Faker

from holdspace.core.extensions import DemoContext, demo_extensions
from holdspace.measures.demo import demo_measures
from holdspace.measures.models import Assignment, SafetyAlert, Score

pytestmark = pytest.mark.django_db


def test_demo_measures_adds_trajectories_assignments_and_one_alert(clinics, lead):
    assert demo_measures in demo_extensions()
    ctx = DemoContext(
        clinic=clinics.north,
        members={"lead": lead},
        clients=[clinics.client, clinics.other_client],
        rng=random.Random(7),  # noqa: S311  (a seeded demo, not security)
        fake=Faker(),
        today=dt.date(2026, 6, 1),
    )
    demo_measures(ctx)
    pcl = Score.objects.filter(client=clinics.client, instrument_code="PCL-5").order_by(
        "observed_on"
    )
    assert pcl.count() >= 2
    assert pcl.first().total >= pcl.last().total  # type: ignore[union-attr, operator]
    assert Assignment.objects.filter(state="due").count() == 2
    assert SafetyAlert.objects.count() == 1
