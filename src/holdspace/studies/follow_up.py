"""Long-term follow-up of a study's clients (durability): questionnaires 6 and 12 calendar months
after the last medicine session actually held, from `data/studies/follow_up.yaml` (why those
timepoints, and their sources, are in the file).

The job `holdspace studies follow-ups` (daily, idempotent) asks each enrolled client through
measures (`assignments_follow_up`), so the measures reminders (`holdspace measures remind`)
email them like any other questionnaire. A later medicine session moves the follow-ups with it;
a completed one stays. The coordinator's Today page lists those coming up and overdue; the study
page counts them per arm (retention).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from holdspace.audit.models import Channel
from holdspace.core.compiled import CompiledQueries
from holdspace.core.dates import months_after
from holdspace.core.sources import Source
from holdspace.courses.models import Visit, VisitKind
from holdspace.measures import services as measures_services
from holdspace.measures.models import Assignment, AssignmentState
from holdspace.people.actors import Actor
from holdspace.people.models import Client, Membership, Role
from holdspace.sessions.models import MedicineSession

from . import policies
from .models import Enrolment, EnrolmentStatus, Study

DATA_FILE = Path(settings.DATA_DIR) / "studies" / "follow_up.yaml"
SOON = dt.timedelta(days=14)  # how far ahead the coordinator's Today page looks


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FollowUp(_Strict):
    timepoint: str = Field(pattern=r"^follow_up_\d+m$")
    months: int = Field(ge=1, le=60)
    instruments: list[str] = Field(min_length=1, max_length=5)
    source: str
    unconfirmed: bool = False


class FollowUpPlan(_Strict):
    licence: str
    sources: list[Source] = Field(min_length=1)
    anchor: Literal["last_medicine_session"]
    follow_ups: list[FollowUp] = Field(min_length=1, max_length=6)
    gap_sources: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _sources_named(self) -> FollowUpPlan:
        known = {s.id for s in self.sources}
        cited = {f.source for f in self.follow_ups} | set(self.gap_sources)
        if cited - known:
            raise ValueError(f"cites unknown source(s): {', '.join(sorted(cited - known))}")
        by_id = {s.id: s for s in self.sources}
        for follow_up in self.follow_ups:
            if by_id[follow_up.source].weak and not follow_up.unconfirmed:
                raise ValueError(f"{follow_up.timepoint} rests on a weak source: mark unconfirmed")
        return self


@cache
def plan() -> FollowUpPlan:
    try:
        return FollowUpPlan.model_validate(yaml.safe_load(DATA_FILE.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, ValidationError) as error:
        raise ImproperlyConfigured(f"{DATA_FILE.name}: {error}") from error


def timepoints() -> list[str]:
    return [f.timepoint for f in plan().follow_ups]


def last_medicine_session_day(client: Client) -> dt.date | None:
    """The day the client's last medicine session started, once no further one is planned
    (until then the course's own planned follow-ups stand). None before any session."""
    held = (
        MedicineSession.objects.filter(client=client, started_at__isnull=False)
        .order_by("-started_at")
        .values_list("started_at", flat=True)
        .first()
    )
    if held is None:
        return None
    still_planned = Visit.objects.filter(
        course__clients=client,
        kind=VisitKind.MEDICINE_SESSION,
        cancelled=False,
        starts_at__gt=held,
        medicine_sessions__isnull=True,
    ).exists()
    return None if still_planned else timezone.localdate(held)


def due_dates(last_session: dt.date) -> list[tuple[FollowUp, dt.date]]:
    return [(f, months_after(last_session, f.months)) for f in plan().follow_ups]


@dataclass(frozen=True)
class Scheduled:
    clients: int
    made: int
    moved: int


FOLLOWED = (EnrolmentStatus.ENROLLED, EnrolmentStatus.RANDOMISED, EnrolmentStatus.COMPLETED)


def follow_ups_schedule(*, by: Actor, study: Study | None = None) -> Scheduled:
    """Ask every enrolled (not withdrawn) client of a study, or of every study, for their
    follow-ups, due from their last medicine session. Idempotent; safe to run daily.

    The operator's job on the command line runs it for every study; on a page, the medical lead
    or coordinator of a site runs it for their own site's clients."""
    membership = by.membership
    job = by.channel == Channel.CLI and membership is None
    if not job and (study is None or not _may_schedule(membership, study)):
        raise PermissionDenied(_("Only a site's medical lead or coordinator schedules follow-ups."))
    enrolments = Enrolment.objects.filter(status__in=FOLLOWED).select_related("client")
    if study is not None:
        enrolments = enrolments.filter(study=study)
    if not job:
        assert membership is not None  # noqa: S101  (checked above)
        enrolments = enrolments.filter(site__clinic_id=membership.clinic_id)
    clients = made = moved = 0
    for enrolment in enrolments:
        last = last_medicine_session_day(enrolment.client)
        if last is None:
            continue
        clients += 1
        for follow_up, due_on in due_dates(last):
            m, v = measures_services.assignments_follow_up(
                by=by,
                client=enrolment.client,
                timepoint=follow_up.timepoint,
                due_on=due_on,
                instruments=follow_up.instruments,
            )
            made, moved = made + m, moved + v
    return Scheduled(clients=clients, made=made, moved=moved)


def _may_schedule(membership: Membership | None, study: Study) -> bool:
    return (
        membership is not None
        and membership.role in policies.ENROL_ROLES
        and policies.is_site(membership, study)
    )


# --- reads ---------------------------------------------------------------------------------


def _open(assignment: Assignment) -> bool:
    return assignment.state in (AssignmentState.DUE, AssignmentState.IN_PROGRESS)


def _client_state(assignments: list[Assignment], today: dt.date) -> str:
    """One client at one timepoint: done when every questionnaire is, overdue when one open
    questionnaire is past its day, cancelled when none is left to do, else coming up."""
    if all(a.state == AssignmentState.COMPLETED for a in assignments):
        return "done"
    still = [a for a in assignments if _open(a)]
    if any(a.due_on < today for a in still):
        return "overdue"
    return "upcoming" if still else "cancelled"


def retention(
    membership: Membership | None, study: Study, *, today: dt.date | None = None
) -> dict[str, Any]:
    """Per arm and follow-up: how many clients are scheduled, done, overdue, coming up.
    Counts only (like CONSORT), for the roles that read the study's reports; no client's arm."""
    if not policies.can_view_reports(membership, study):
        raise PermissionDenied(_("Study reports are for medical leads, researchers and monitors."))
    today = today or timezone.localdate()
    enrolments = {
        e.client_id: e
        for e in Enrolment.objects.filter(study=study, status__in=FOLLOWED).select_related(
            "slot__arm"
        )
    }
    names = timepoints()
    grouped: dict[tuple[int, str], list[Assignment]] = {}
    for assignment in Assignment.objects.filter(
        client_id__in=list(enrolments), timepoint__in=names
    ):
        grouped.setdefault((assignment.client_id, assignment.timepoint), []).append(assignment)
    counts: Counter[tuple[str, str, str]] = Counter()
    for (client_id, timepoint), assignments in grouped.items():
        enrolment = enrolments[client_id]
        arm = enrolment.slot.arm.name if enrolment.slot is not None else ""
        counts[(arm, timepoint, _client_state(assignments, today))] += 1
    arms = [arm.name for arm in study.arms.all()]
    if any(key[0] == "" for key in counts):
        arms.append("")
    rows = []
    for arm in arms:
        for follow_up in plan().follow_ups:
            cells = {
                state: counts[(arm, follow_up.timepoint, state)]
                for state in ("upcoming", "done", "overdue", "cancelled")
            }
            rows.append(
                {
                    "arm": arm or _("Not randomised"),
                    "timepoint": follow_up.timepoint,
                    "months": follow_up.months,
                    "scheduled": sum(cells.values()),
                    **cells,
                }
            )
    return {"rows": rows, "today": today}


def coming_up(membership: Membership | None, *, today: dt.date | None = None) -> list[Assignment]:
    """The follow-ups of the clients enrolled at the member's site that are overdue or due in
    the next two weeks (site coordinators and medical leads): code, study, timepoint, day.
    Each row carries its client's `code` and its study's `study_id` and `study_code`."""
    if membership is None or membership.role not in (Role.COORDINATOR, Role.MEDICAL_LEAD):
        return []
    today = today or timezone.localdate()
    # The member's and the day's query (building it took longer than running it): compiled
    # once per member and day, run on every visit.
    key = (membership.pk, membership.role, membership.clinic_id, today)
    compiled = _coming_up.get(key, lambda: _coming_up_query(membership, today))
    coming: list[Assignment] = compiled.objects()
    return coming


_coming_up = CompiledQueries()


def _coming_up_query(membership: Membership, today: dt.date) -> QuerySet[Assignment]:
    return (
        Assignment.objects.filter(
            client__enrolment__site__clinic_id=membership.clinic_id,
            client__enrolment__status__in=FOLLOWED,
            client__clinic_id=membership.clinic_id,
            timepoint__in=timepoints(),
            state__in=[AssignmentState.DUE, AssignmentState.IN_PROGRESS],
            due_on__lte=today + SOON,
        )
        .only("pk", "timepoint", "instrument_code", "due_on")
        .annotate(
            code=F("client__code"),
            study_id=F("client__enrolment__study_id"),
            study_code=F("client__enrolment__study__code"),
        )
        .order_by("due_on", "pk")[:50]
    )
