"""Synthetic measure histories for `holdspace demo`: made up from the seed, never real data."""

from __future__ import annotations

import datetime as dt

from holdspace.core.extensions import DemoContext
from holdspace.people.actors import Actor
from holdspace.people.models import Phase

from . import services
from .models import EnteredBy

LATER_PHASES = {Phase.PREPARATION, Phase.MEDICINE_SESSIONS, Phase.INTEGRATION, Phase.FOLLOW_UP}


def _answers(rng, n: int, level: float, top: int) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """n answers around `level` (0..1 of the item maximum)."""
    return {
        str(i): max(0, min(top, round(level * top + rng.uniform(-1.0, 1.0))))
        for i in range(1, n + 1)
    }


def demo_measures(ctx: DemoContext) -> None:
    by = Actor.command_line(ctx.members["lead"])
    for client in ctx.clients:
        if client.phase not in LATER_PHASES:
            continue
        # PCL-5 and PHQ-9 every four weeks, improving over the course with some noise.
        visits = ctx.rng.randint(2, 6)
        start = ctx.today - dt.timedelta(weeks=4 * visits)
        severity = ctx.rng.uniform(0.5, 0.8)
        for visit in range(visits):
            day = start + dt.timedelta(weeks=4 * visit, days=ctx.rng.randint(0, 3))
            level = max(0.05, severity - visit * ctx.rng.uniform(0.05, 0.15))
            pcl = _answers(ctx.rng, 20, level, 4)
            services.response_record(
                by=by,
                client=client,
                instrument_code="PCL-5",
                answers=pcl,
                observed_on=day,
                entered_by=EnteredBy.CLINICIAN,
            )
            phq = _answers(ctx.rng, 9, level * 0.8, 3)
            phq["9"] = 0
            services.response_record(
                by=by,
                client=client,
                instrument_code="PHQ-9",
                answers=phq,
                observed_on=day,
            )
        services.assignment_create(
            by=by,
            client=client,
            instrument_code="PHQ-9",
            due_on=ctx.today + dt.timedelta(days=ctx.rng.randint(-5, 10)),
            timepoint="monthly",
        )
    # One open alert, so the banner can be seen in the demo.
    later = [c for c in ctx.clients if c.phase in LATER_PHASES]
    if later:
        services.safety_alert_raise(
            by=None, client=later[0], severity="act", source="measures", reason_code="phq9.item9"
        )
