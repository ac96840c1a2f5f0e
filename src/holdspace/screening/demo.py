"""What `holdspace demo` adds for intake and screening. All synthetic, through the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils import timezone

from holdspace.people.actors import Actor

from . import services

if TYPE_CHECKING:
    from holdspace.core.extensions import DemoContext
    from holdspace.people.models import Client


def _histories(by: Actor, client: Client, *, bipolar: bool = False, qtc: int = 410) -> None:
    services.medical_history_record(
        by=by,
        client=client,
        hypertension="none",
        qtc_value=qtc,
        qtc_unit="ms",
        weight_kg=Decimal("72.5"),
        height_cm=176,
    )
    services.psychiatric_history_record(by=by, client=client, bipolar_1=bipolar, suicide_risk="low")


def _vitals(by: Actor, client: Client, ctx: DemoContext) -> None:
    services.vitals_record(
        by=by,
        client=client,
        measured_at=timezone.now() - dt.timedelta(days=ctx.rng.randint(1, 20)),
        systolic=ctx.rng.randint(108, 134),
        diastolic=ctx.rng.randint(66, 84),
        heart_rate=ctx.rng.randint(58, 82),
        temperature_c=Decimal("36.7"),
    )


def demo_screening(ctx: DemoContext) -> None:
    """SSRI washouts, one MAOI, several many-times party users, and some signed decisions."""
    if len(ctx.clients) < 9:
        return
    coordinator = Actor.command_line(ctx.members["coordinator"])
    lead = Actor.command_line(ctx.members["lead"])
    from holdspace.people.demo import DEMO_PASSWORD

    c = ctx.clients
    today = ctx.today
    for client in c[:9]:
        _histories(coordinator, client, bipolar=client is c[8])
        _vitals(coordinator, client, ctx)
    # SSRIs / SNRIs in washout.
    for client, name, stopped in (
        (c[0], "Cipralex", 5),
        (c[1], "sertraline", 10),
        (c[2], "Efexor", 2),
    ):
        services.medication_add(
            by=coordinator,
            client=client,
            name=name,
            dose="10 mg daily" if name == "Cipralex" else "50 mg daily",
            start_date=today - dt.timedelta(days=400),
            stop_date=today - dt.timedelta(days=stopped),
        )
    # One on an irreversible MAOI, still taking it.
    services.medication_add(
        by=coordinator,
        client=c[3],
        name="phenelzine",
        dose="15 mg three times daily",
        start_date=today - dt.timedelta(days=200),
    )
    # Many prior party uses.
    for client, times in ((c[4], 55), (c[5], 30), (c[6], 12)):
        services.experience_add(
            by=coordinator,
            client=client,
            substance="mdma",
            context="party",
            times=times,
            last_use=today - dt.timedelta(days=ctx.rng.randint(120, 900)),
            intention="Dancing with friends",
            co_used_substances="alcohol",
            how_it_went="good",
        )
        services.experience_add(
            by=coordinator,
            client=client,
            substance="mdma",
            context="festival",
            times=ctx.rng.randint(2, 8),
            last_use=today - dt.timedelta(days=ctx.rng.randint(300, 1200)),
            how_it_went="difficult" if client is c[5] else "mixed",
        )
    services.experience_add(
        by=coordinator,
        client=c[7],
        substance="psilocybin",
        context="therapy_ceremony",
        times=1,
        last_use=today - dt.timedelta(days=700),
        intention="Grief after a loss",
        sober_person_present=True,
        how_it_went="good",
    )
    # Signed decisions.
    services.decision_sign(
        by=lead,
        client=c[4],
        decision="eligible",
        reason="Prior use noted; expectations discussed.",
        secret=DEMO_PASSWORD,
    )
    services.decision_sign(
        by=lead, client=c[7], decision="eligible", reason="", secret=DEMO_PASSWORD
    )
    services.decision_sign(
        by=lead,
        client=c[8],
        decision="not_eligible",
        reason="Bipolar I disorder.",
        secret=DEMO_PASSWORD,
    )
    services.decision_sign(
        by=lead,
        client=c[0],
        decision="eligible",
        reason="Escitalopram stopped; sessions after the washout date only.",
        secret=DEMO_PASSWORD,
    )
