"""Propose a course's whole schedule from its protocol template.

Each proposed visit carries a one-line "why here", so a therapist can see why a date is where
it is (template spacing, the washout date from screening, the day after a medicine session).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_noop

from holdspace.core.dates import months_after

from .hours import OpeningHours
from .models import VisitKind
from .phrases import Phrase
from .protocols import ProtocolTemplate


@dataclass
class ProposedVisit:
    kind: str
    number: int
    label: Phrase
    starts_at: dt.datetime
    duration_minutes: int
    why: Phrase
    needs: Phrase | None = None
    planned_dose: dict[str, Any] | None = None
    follows: int | None = None  # the number of the medicine session it follows
    in_room: bool = True
    all_therapists: bool = True
    measures: list[str] = field(default_factory=list)


def _at(day: dt.date, time: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=timezone.get_current_timezone())


def schedule_propose(
    *,
    protocol: ProtocolTemplate,
    start_date: dt.date,
    washout_date: dt.date | None,
    doses: list[dict[str, Any]] | None = None,
    hours: OpeningHours | None = None,
) -> list[ProposedVisit]:
    """Every visit of the course, in order. `washout_date` is the earliest medicine session.
    With the clinic's `hours`, a visit that would start outside them or on a closed day moves
    to the next open slot, and its "why" says so; the visits that follow a medicine session
    are counted from where it lands."""
    visits: list[ProposedVisit] = []

    def place(
        kind: str, day: dt.date, time: dt.time, why: Phrase
    ) -> tuple[dt.date, dt.time, Phrase]:
        if hours is None:
            return day, time, why
        new_day, new_time, moved = hours.place(kind, day, time)
        if moved is None:
            return new_day, new_time, why
        return new_day, new_time, why.followed_by(moved)

    prep = protocol.preparation
    day = start_date
    for number in range(1, prep.count + 1):
        if number == 1:
            why = Phrase(
                gettext_noop("first preparation visit: the course's start date (baseline)")
            )
        else:
            why = Phrase(
                gettext_noop(
                    "%(days)d days after the previous preparation visit (template spacing)"
                ),
                {"days": prep.spacing_days},
            )
        day, time, why = place(VisitKind.PREPARATION, day, prep.start_time, why)
        visits.append(
            ProposedVisit(
                kind=VisitKind.PREPARATION,
                number=number,
                label=Phrase(gettext_noop("Preparation visit %(n)d"), {"n": number}),
                starts_at=_at(day, time),
                duration_minutes=prep.duration_minutes,
                why=why,
                needs=Phrase(gettext_noop("therapists; quiet room")),
            )
        )
        day += dt.timedelta(days=prep.spacing_days)
    last_prep = day - dt.timedelta(days=prep.spacing_days) if prep.count else start_date
    med = protocol.medicine_sessions
    planned = doses or [dose.model_dump(exclude={"source"}) for dose in med.doses]
    previous: dt.date | None = None
    for number, dose in enumerate(planned, start=1):
        if previous is None:
            earliest = last_prep + dt.timedelta(days=med.first_after_preparation_days)
            if washout_date is not None and washout_date > earliest:
                session_day = washout_date
                why = Phrase(
                    gettext_noop(
                        "first medicine session: earliest after the medication washout (%(date)s)"
                    ),
                    {"date": washout_date.isoformat()},
                )
            else:
                session_day = earliest
                why = Phrase(
                    gettext_noop(
                        "first medicine session: %(days)d days after the last preparation visit"
                    ),
                    {"days": med.first_after_preparation_days},
                    then=Phrase(
                        gettext_noop("(washout ends %(date)s)"), {"date": washout_date.isoformat()}
                    )
                    if washout_date is not None
                    else None,
                )
        else:
            session_day = previous + dt.timedelta(days=med.spacing_days)
            why = Phrase(
                gettext_noop(
                    "%(days)d days after the previous medicine session (template spacing)"
                ),
                {"days": med.spacing_days},
            )
        session_day, session_time, why = place(
            VisitKind.MEDICINE_SESSION, session_day, med.start_time, why
        )
        mg = dose.get("initial_mg")
        extra = dose.get("supplemental_mg")
        dose_text = f"{mg:g} mg" + (f" + {extra:g} mg" if extra else "")
        visits.append(
            ProposedVisit(
                kind=VisitKind.MEDICINE_SESSION,
                number=number,
                label=Phrase(gettext_noop("Medicine session %(n)d"), {"n": number}),
                starts_at=_at(session_day, session_time),
                duration_minutes=med.duration_minutes,
                why=why,
                needs=Phrase(
                    gettext_noop(
                        "%(count)d therapists present all day, medical lead on call, planned dose "
                        "%(dose)s, complete preparation checklist"
                    ),
                    {"count": protocol.team.min_therapists_for_medicine_session, "dose": dose_text},
                ),
                planned_dose=dose,
            )
        )
        integration = protocol.integration_after_each
        for i, offset in enumerate(integration.offsets_days, start=1):
            if offset == 1:
                why = Phrase(
                    gettext_noop("the morning after medicine session %(n)d"), {"n": number}
                )
            else:
                why = Phrase(
                    gettext_noop("%(days)d days after medicine session %(n)d"),
                    {"days": offset, "n": number},
                )
            visit_day, visit_time, why = place(
                VisitKind.INTEGRATION,
                session_day + dt.timedelta(days=offset),
                integration.start_time,
                why,
            )
            visits.append(
                ProposedVisit(
                    kind=VisitKind.INTEGRATION,
                    number=(number - 1) * len(integration.offsets_days) + i,
                    label=Phrase(
                        gettext_noop("Integration visit %(i)d after session %(n)d"),
                        {"i": i, "n": number},
                    ),
                    starts_at=_at(visit_day, visit_time),
                    duration_minutes=integration.duration_minutes,
                    why=why,
                    needs=Phrase(gettext_noop("therapists; quiet room")),
                    follows=number,
                )
            )
        checks = protocol.check_ins_after_each
        for check_day in range(1, checks.days + 1):
            call_day, call_time, call_why = place(
                VisitKind.CHECK_IN,
                session_day + dt.timedelta(days=check_day),
                checks.start_time,
                Phrase(
                    gettext_noop("daily contact for %(days)d days after each medicine session"),
                    {"days": checks.days},
                ),
            )
            visits.append(
                ProposedVisit(
                    kind=VisitKind.CHECK_IN,
                    number=(number - 1) * checks.days + check_day,
                    label=Phrase(
                        gettext_noop("Check-in day %(d)d after session %(n)d"),
                        {"d": check_day, "n": number},
                    ),
                    starts_at=_at(call_day, call_time),
                    duration_minutes=checks.duration_minutes,
                    why=call_why,
                    needs=Phrase(
                        gettext_noop("a phone call: mood, sleep, distress, thoughts of self-harm")
                    ),
                    follows=number,
                    in_room=False,
                    all_therapists=False,
                )
            )
        previous = session_day
    outcome = protocol.outcome_assessment
    for number, weeks in enumerate(outcome.weeks_after_baseline, start=1):
        rated_day, rated_time, why = place(
            VisitKind.OUTCOME_ASSESSMENT,
            start_date + dt.timedelta(weeks=weeks),
            outcome.start_time,
            Phrase(gettext_noop("%(weeks)d weeks after baseline (template)"), {"weeks": weeks}),
        )
        visits.append(
            ProposedVisit(
                kind=VisitKind.OUTCOME_ASSESSMENT,
                number=number,
                label=Phrase(gettext_noop("Outcome assessment %(n)d"), {"n": number}),
                starts_at=_at(rated_day, rated_time),
                duration_minutes=outcome.duration_minutes,
                why=why,
                needs=Phrase(gettext_noop("an independent rater where the site has one")),
                all_therapists=False,
            )
        )
    visits.sort(key=lambda v: v.starts_at)
    return visits


FOLLOW_UPS = {
    "follow_up_6_months": (6, "follow_up_6m"),
    "follow_up_12_months": (12, "follow_up_12m"),
}


def measure_due_dates(
    protocol: ProtocolTemplate, visits: list[ProposedVisit]
) -> list[tuple[str, dt.date, str]]:
    """(instrument, due date, timepoint) for every measure attached to a timepoint."""
    sessions = [v for v in visits if v.kind == VisitKind.MEDICINE_SESSION]
    prep = [v for v in visits if v.kind == VisitKind.PREPARATION]
    baseline = (prep[0] if prep else visits[0]).starts_at.date()
    end = max(v.starts_at for v in visits).date()
    due: list[tuple[str, dt.date, str]] = []
    for measure in protocol.measures:
        for point in measure.timepoints:
            if point == "baseline":
                due.append((measure.instrument, baseline, "baseline"))
            elif point == "end":
                due.append((measure.instrument, end, "end"))
            elif point == "before_first_medicine_session" and sessions:
                day = sessions[0].starts_at.date() - dt.timedelta(days=1)
                due.append((measure.instrument, day, "before_medicine_session_1"))
            elif point == "before_each_medicine_session":
                for s in sessions:
                    day = s.starts_at.date() - dt.timedelta(days=1)
                    due.append((measure.instrument, day, f"before_medicine_session_{s.number}"))
            elif point in FOLLOW_UPS and sessions:
                # Durability: calendar months after the last medicine session (FDA CRL 2024
                # asked for data beyond 18 weeks). Studies re-date these to the last session
                # actually held, by the same arithmetic (studies/follow_up.py).
                months, name = FOLLOW_UPS[point]
                day = months_after(sessions[-1].starts_at.date(), months)
                due.append((measure.instrument, day, name))
            elif point == "day_after_each_medicine_session":
                for s in sessions:
                    day = s.starts_at.date() + dt.timedelta(days=1)
                    due.append((measure.instrument, day, f"after_medicine_session_{s.number}"))
    return due
