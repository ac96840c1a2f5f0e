"""`holdspace demo`: one two-arm, two-site study (north sponsors, south joins), through the
services, so the demo is audited like real work. SYNTHETIC: arms, guesses and ratings are made
up by a fixed generator of its own (the other demo parts keep their random draws).

Built after both clinics exist (on the second clinic's turn); a dozen clients, so it stays fast.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import TYPE_CHECKING

from holdspace.people.actors import Actor
from holdspace.people.models import CareTeamRole, Client, Clinic, Membership, Phase

from . import oregon, services
from .models import Arm, Enrolment, EnrolmentStatus, Guesser, Study

if TYPE_CHECKING:
    from holdspace.core.extensions import DemoContext

STUDY_CODE = "mdma-at-demo"
ARMS = [("mdma", "MDMA-assisted therapy", 1), ("placebo", "Placebo with therapy", 1)]
SEVERITY = ("severe", "moderate")
PER_SITE = 6
SEED = "holdspace-demo-2026"  # documented: the list is regenerated from it in the tests


def _member(clinic: Clinic, login: str) -> Membership:
    return Membership.objects.select_related("user").get(
        clinic=clinic, user__email=f"{login}@{clinic.slug}.demo"
    )


def _answers(rng: random.Random, level: float) -> dict[str, int]:
    return {str(i): max(0, min(4, round(rng.gauss(level, 0.8)))) for i in range(1, 21)}


def demo_study(context: DemoContext) -> None:
    clinics = list(Clinic.objects.filter(slug__in=["north", "south"]).order_by("slug"))
    if context.clinic.slug != "south" or len(clinics) != 2:
        return  # both sites must exist: the study is made on the second clinic's turn
    north, south = clinics[0], clinics[1]
    rng = random.Random(2026)  # noqa: S311  (synthetic demo data, not security)
    lead = Actor.command_line(_member(north, "lead"))
    study = services.study_create(
        by=lead,
        code=STUDY_CODE,
        title="MDMA-AT versus placebo with therapy for PTSD (synthetic demo)",
        arms=ARMS,
        sites=[north, south],
        strata=[f"{c.slug}|{s}" for c in (north, south) for s in SEVERITY],
        block_sizes=[2, 4],
        seed=SEED,
        per_stratum=12,
        protocol_template="mdma-at-3-sessions",
    )
    rater = _member(north, "rater")
    services.study_member_add(
        by=lead, study=study, user=_member(north, "researcher").user, role="researcher"
    )
    services.study_member_add(
        by=lead, study=study, user=_member(north, "monitor").user, role="monitor"
    )
    today = context.today
    for clinic in (north, south):
        coordinator = Actor.command_line(_member(clinic, "coordinator"))
        # Clients on their way through the course first, then anyone, by code.
        on_course = [Phase.MEDICINE_SESSIONS, Phase.INTEGRATION, Phase.FOLLOW_UP]
        clients = sorted(
            Client.objects.filter(clinic=clinic).exclude(phase=Phase.CLOSED),
            key=lambda c: (c.phase not in on_course, c.code),
        )[:PER_SITE]
        for number, client in enumerate(clients):
            enrolment = services.enrol(
                by=coordinator,
                study=study,
                client=client,
                stratum=f"{clinic.slug}|{SEVERITY[number % 2]}",
            )
            if number == len(clients) - 1:
                continue  # one client per site waits to be randomised
            enrolment = services.randomise(by=coordinator, enrolment=enrolment)
            _assess_and_guess(context, rng, coordinator, enrolment, rater, today)
    _deviation_and_queries(study, north, south)


def _assess_and_guess(
    context: DemoContext,
    rng: random.Random,
    coordinator: Actor,
    enrolment: Enrolment,
    rater: Membership,
    today: dt.date,
) -> None:
    assert enrolment.slot is not None  # noqa: S101  (just randomised)
    real = enrolment.slot.arm
    arms = list(enrolment.study.arms.all())
    rater_actor = Actor.command_line(rater)
    baseline = services.assessment_schedule(
        by=coordinator,
        enrolment=enrolment,
        timepoint="baseline",
        due_on=today - dt.timedelta(days=60),
        rater=rater.user,
    )
    services.rating_record(by=rater_actor, assessment=baseline, answers=_answers(rng, 2.6))
    endpoint = services.assessment_schedule(
        by=coordinator,
        enrolment=enrolment,
        timepoint="endpoint",
        due_on=today + dt.timedelta(days=rng.randint(0, 3)),
        rater=rater.user,
    )
    if rng.random() < 0.5:  # half are rated; the rest are the rater's day
        level = 1.0 if real.key == "mdma" else 1.8
        services.rating_record(by=rater_actor, assessment=endpoint, answers=_answers(rng, level))
        _guess(rng, rater_actor, enrolment, Guesser.RATER, real, arms, correct=0.55)
    # The functional unblinding the FDA described: clients and therapists mostly guess right.
    therapist = (
        enrolment.client.care_team.filter(role=CareTeamRole.LEAD_THERAPIST)
        .select_related("membership__user")
        .first()
    )
    if therapist is not None:
        _guess(
            rng,
            Actor.command_line(therapist.membership),
            enrolment,
            Guesser.THERAPIST,
            real,
            arms,
            correct=0.8,
        )
    _guess(rng, coordinator, enrolment, Guesser.CLIENT, real, arms, correct=0.85)


def _guess(
    rng: random.Random,
    by: Actor,
    enrolment: Enrolment,
    guesser: str,
    real: Arm,
    arms: list[Arm],
    *,
    correct: float,
) -> None:
    draw = rng.random()
    if draw < 0.1:
        arm = None  # don't know
    elif draw < 0.1 + 0.9 * correct:
        arm = real
    else:
        arm = next(a for a in arms if a != real)
    services.guess_record(
        by=by,
        enrolment=enrolment,
        guesser=guesser,
        timepoint="endpoint",
        arm=arm,
        confidence=rng.choice([40, 60, 70, 80, 90]),
    )


def _deviation_and_queries(study: Study, north: Clinic, south: Clinic) -> None:
    monitor = Actor.command_line(_member(north, "monitor"))
    south_enrolment = Enrolment.objects.filter(study=study, site__clinic=south).first()
    if south_enrolment is not None:
        services.deviation_report(
            by=Actor.command_line(_member(south, "coordinator")),
            study=study,
            site=south_enrolment.site,
            enrolment=south_enrolment,
            severity="major",
            description="Endpoint assessment done by the treating therapist, not the rater.",
            action="Repeated by the blinded rater; staff retrained; reported to the sponsor.",
        )
    north_enrolments = list(
        Enrolment.objects.filter(
            study=study, site__clinic=north, status=EnrolmentStatus.RANDOMISED
        )[:2]
    )
    if len(north_enrolments) == 2:
        first, second = north_enrolments
        services.query_raise(
            by=monitor,
            enrolment=first,
            item="CAPS-5 baseline date",
            question="The baseline rating is dated after the first session?",
        )
        closed = services.query_raise(
            by=monitor,
            enrolment=second,
            item="Body weight",
            question="Weight missing at screening.",
        )
        coordinator = Actor.command_line(_member(north, "coordinator"))
        services.query_answer(by=coordinator, query=closed, answer="Entered from the intake sheet.")
        services.query_close(by=monitor, query=closed)


def demo_oregon(context: DemoContext) -> None:
    """North plays an Oregon service centre: its lead turns SB 303 reporting on, so the demo shows
    the quarterly report and the client page's opt-out. South stays off (the default)."""
    if context.clinic.slug == "north":
        oregon.reporting_set(by=Actor.command_line(context.members["lead"]), reports=True)
