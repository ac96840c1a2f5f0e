"""`holdspace demo`: a synthetic outcomes cohort for the first demo clinic, through the services.

SYNTHETIC. The model is documented in docs/outcomes.md: PCL-5 trajectories loosely shaped on
MAPP2's published change, a party-use gradient that is an assumption (not a finding) so the
report has something to show, drop-outs with reasons, and follow-ups. Reproducible by seed
(the demo's `rng`).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError

from holdspace.people.actors import Actor
from holdspace.people.models import CODE_ALPHABET, CareTeamRole, Client, Phase

from .rows import PARTY_USE_GROUPS

if TYPE_CHECKING:
    from holdspace.core.extensions import DemoContext

PER_GROUP = 16  # finished courses per party-use group: 64 in all
DROP_OUTS = ("withdrew", "lost_to_follow_up", "adverse_event", "withdrew", "lost_to_follow_up")
COHORT_SIZE = 4 * PER_GROUP + len(DROP_OUTS)
# Synthetic model (docs/outcomes.md). PCL-5 points.
BASELINE_MEAN, BASELINE_SD = 50.0, 9.0
CHANGE_SD = 12.0
CHANGE_MEAN = {"none": -24.0, "1-9": -22.0, "10-49": -19.0, "50+": -16.0}
PARTY_USES = {"none": (0, 0), "1-9": (1, 9), "10-49": (10, 49), "50+": (50, 150)}


def _clip(value: float) -> int:
    return round(min(80.0, max(0.0, value)))


def _pcl5(total: int) -> dict[str, int]:
    answers, left = {}, total
    for i in range(1, 21):
        answers[str(i)] = min(4, left)
        left -= answers[str(i)]
    return answers


def _code(ctx: DemoContext) -> str:
    """A code from the demo's seeded generator, so the same seed gives the same cohort."""
    while True:
        code = "HS-" + "".join(ctx.rng.choice(CODE_ALPHABET) for _ in range(6))
        if not Client.objects.filter(code=code).exists():
            return code


def demo_outcomes(ctx: DemoContext) -> None:
    if ctx.clinic.slug != "north" or not ctx.with_cohort:
        return
    from holdspace.courses import services as courses
    from holdspace.courses.protocols import builtin_protocols
    from holdspace.people import services as people
    from holdspace.people.demo import DEMO_PASSWORD
    from holdspace.screening import services as screening

    coordinator = Actor.command_line(ctx.members["coordinator"])
    lead = Actor.command_line(ctx.members["lead"])
    therapists = [ctx.members["therapist"], ctx.members["therapist2"]]
    key = "mdma-at-ptsd-phase3"
    protocol = builtin_protocols()[key]
    plans: list[tuple[str, str | None]] = [
        (group, None) for group in PARTY_USE_GROUPS for _ in range(PER_GROUP)
    ]
    plans += [(PARTY_USE_GROUPS[i % 4], reason) for i, reason in enumerate(DROP_OUTS)]
    for index, (group, dropped) in enumerate(plans):
        client = people.client_create(
            by=coordinator,
            given_name=ctx.fake.first_name(),
            family_name=ctx.fake.last_name(),
            phase=Phase.CLOSED if dropped else Phase.FOLLOW_UP,
            code=_code(ctx),
        )
        for member, role in zip(
            therapists, (CareTeamRole.LEAD_THERAPIST, CareTeamRole.CO_THERAPIST), strict=True
        ):
            people.care_team_add(by=coordinator, client=client, member=member, role=role)
        screening.medical_history_record(by=coordinator, client=client, hypertension="none")
        screening.psychiatric_history_record(by=coordinator, client=client, suicide_risk="low")
        low, high = PARTY_USES[group]
        if high:
            uses = ctx.rng.randint(low, high)
            festival = uses // 4
            for context, times in (("party", uses - festival), ("festival", festival)):
                if times:
                    screening.experience_add(
                        by=coordinator,
                        client=client,
                        substance="mdma",
                        context=context,
                        times=times,
                        co_used_substances="alcohol" if ctx.rng.random() < 0.6 else "",
                        how_it_went=ctx.rng.choice(["good", "mixed", "difficult"]),
                    )
        screening.decision_sign(
            by=lead, client=client, decision="eligible", reason="Demo cohort.", secret=DEMO_PASSWORD
        )
        # Finished courses began 160-520 days ago; drop-outs 30-45 days ago (after session 1).
        days_ago = ctx.rng.randint(30, 45) if dropped else ctx.rng.randint(160, 520)
        try:
            course = courses.course_create(
                by=lead,
                clients=[client],
                template_key=key,
                protocol=protocol,
                start_date=ctx.today - dt.timedelta(days=days_ago),
                therapists=therapists if index % 2 == 0 else therapists[::-1],
                medical_lead=ctx.members["lead"],
                already_under_way=True,
            )
        except ValidationError:
            continue
        courses.course_accept(by=lead, course=course, client=client, accept_conflicts=True)
        _scores(ctx, client, group, stop_after_session=1 if dropped else None)
        courses.course_close(by=lead, course=course, client=client, reason=dropped or "completed")


def _scores(ctx: DemoContext, client: Client, group: str, stop_after_session: int | None) -> None:
    """PCL-5 at each scheduled timepoint that has passed (none carried forward)."""
    from holdspace.measures import services as measures

    by = Actor.command_line(ctx.members["therapist"])
    baseline = ctx.rng.gauss(BASELINE_MEAN, BASELINE_SD)
    baseline = max(baseline, 33.0)  # above the provisional cut-off, as a PTSD cohort would be
    change = ctx.rng.gauss(CHANGE_MEAN[group], CHANGE_SD)
    due = client.assignments.filter(instrument_code="PCL-5", due_on__lte=ctx.today).order_by(
        "due_on"
    )
    for assignment in due:
        timepoint = assignment.timepoint
        if timepoint == "baseline":
            total = baseline
        elif timepoint.startswith("before_medicine_session_"):
            k = int(timepoint.rsplit("_", 1)[1])
            if stop_after_session is not None and k > stop_after_session + 1:
                break
            total = baseline + change * 0.8 * (k - 1) / 3 + ctx.rng.gauss(0, 4)
        elif timepoint == "end":
            if stop_after_session is not None:
                break
            total = baseline + change
        elif timepoint == "follow_up_6m":
            total = baseline + change + ctx.rng.gauss(2, 5)
        elif timepoint == "follow_up_12m":
            total = baseline + change + ctx.rng.gauss(3, 6)
        else:
            continue
        measures.response_record(
            by=by,
            client=client,
            instrument_code="PCL-5",
            answers=_pcl5(_clip(total)),
            observed_on=assignment.due_on,
        )
