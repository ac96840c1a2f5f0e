"""Every write to courses, visits, rooms, templates and calendar feeds."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from holdspace.people.actors import Actor
from holdspace.people.auditing import audit_write
from holdspace.people.models import CareTeamMember, Client, Membership, Role
from holdspace.people.policies import require

from . import policies, selectors
from .constraints import Conflict, Slot, bookings_for, conflicts_for
from .hours import OpeningHours
from .models import (
    CalendarFeed,
    ClinicProtocolTemplate,
    CloseReason,
    Course,
    CourseSettings,
    CourseStatus,
    CourseTeamMember,
    CourseTeamRole,
    Room,
    Visit,
    VisitKind,
    VisitMove,
    feed_token_hash,
)
from .phase import phase_refresh
from .phrases import Phrase
from .protocols import (
    PROTOCOL_DIR,
    ProtocolError,
    ProtocolTemplate,
    builtin_protocols,
    protocol_parse,
    protocol_parse_yaml,
)
from .schedule import ProposedVisit, measure_due_dates, schedule_propose

# What screening says (the screening app is built alongside; imported when called) ----------


@dataclass(frozen=True)
class EligibilityView:
    eligible: bool
    reason: str


def client_eligibility(client: Client) -> EligibilityView:
    """Screening's signed decision. Without a screening module nobody is eligible."""
    try:
        from holdspace.screening.selectors import screening_eligibility
    except ImportError:
        return EligibilityView(False, _("screening is not available in this installation"))
    decision = screening_eligibility(client)
    return EligibilityView(bool(decision.eligible), str(decision.reason or decision.status))


def clients_eligible(clients: list[Client]) -> list[Client]:
    """The clients screening signed eligible, in a constant number of queries."""
    try:
        from holdspace.screening.selectors import screening_eligibility_many
    except ImportError:
        return []
    eligibility = screening_eligibility_many(clients)
    return [client for client in clients if eligibility[client.pk].eligible]


def washout_date(client: Client) -> dt.date | None:
    """The first day a medicine session may be held (medication washout), if screening says."""
    try:
        from holdspace.screening.selectors import earliest_medicine_session_date
    except ImportError:
        return None
    result: dt.date | None = earliest_medicine_session_date(client)
    return result


def washout_dates(clients: list[Client]) -> dict[int, dt.date | None]:
    """`washout_date` of many clients, in a constant number of queries."""
    try:
        from holdspace.screening.selectors import earliest_medicine_session_dates
    except ImportError:
        return dict.fromkeys((c.pk for c in clients), None)
    found: dict[int, dt.date | None] = earliest_medicine_session_dates(clients)
    return found


def _course_washout(clients: list[Client]) -> dt.date | None:
    dates = [d for d in (washout_date(c) for c in clients) if d is not None]
    return max(dates) if dates else None


def protocol_of(course: Course) -> ProtocolTemplate:
    return protocol_parse(course.protocol, origin=course.template_name)


# Courses ------------------------------------------------------------------------------------


def course_create(
    *,
    by: Actor,
    clients: list[Client],
    template_key: str,
    protocol: ProtocolTemplate,
    start_date: dt.date,
    therapists: list[Membership],
    medical_lead: Membership | None,
    room: Room | None = None,
    already_under_way: bool = False,
) -> Course:
    """Start a course and propose its whole schedule. Refuses, field by field:
    a client not signed eligible, a care team too small for medicine sessions, no medical
    lead, a start in the past (unless `already_under_way`: entering a course that began
    before it was recorded here, as when a clinic moves its records or in the demo)."""
    membership = by.membership
    if membership is None or not clients:
        raise PermissionDenied(_("You may not start courses."))
    for client in clients:
        if not policies.can_manage_course(membership, client):
            raise PermissionDenied(_("You may not start courses for this client."))
    errors: dict[str, list[str]] = {}
    if len(clients) != protocol.clients:
        errors.setdefault("partner", []).append(
            ngettext(
                "This template is for %(n)d client.",
                "This template is for %(n)d clients.",
                protocol.clients,
            )
            % {"n": protocol.clients}
        )
    for client in clients:
        decision = client_eligibility(client)
        if not decision.eligible:
            errors.setdefault("client", []).append(
                _(
                    "%(code)s is not signed eligible in screening (%(reason)s). "
                    "See /screening/%(code)s/."
                )
                % {"code": client.code, "reason": decision.reason}
            )
    distinct = {t.pk: t for t in therapists}
    needed = protocol.team.min_therapists_for_medicine_session
    if len(distinct) < needed:
        errors.setdefault("therapists", []).append(
            _("Medicine sessions need at least %(n)d therapists on the team.") % {"n": needed}
        )
    for therapist in distinct.values():
        if therapist.clinic_id != membership.clinic_id or therapist.role != Role.THERAPIST:
            errors.setdefault("therapists", []).append(
                _("Only therapists of this clinic can be on the team.")
            )
            break
    for therapist in distinct.values():
        for client in clients:
            if not CareTeamMember.objects.filter(client=client, membership=therapist).exists():
                errors.setdefault("therapists", []).append(
                    _(
                        "%(name)s is not on the care team of %(code)s: ask a coordinator or "
                        "medical lead to add them first."
                    )
                    % {
                        "name": therapist.user.get_full_name() or therapist.user.email,
                        "code": client.code,
                    }
                )
    if protocol.team.requires_medical_lead and (
        medical_lead is None
        or medical_lead.clinic_id != membership.clinic_id
        or medical_lead.role != Role.MEDICAL_LEAD
    ):
        errors.setdefault("medical_lead", []).append(
            _("Name the medical lead responsible for this course.")
        )
    if start_date < timezone.localdate() and not already_under_way:
        errors.setdefault("start_date", []).append(_("A course cannot start in the past."))
    if room is not None and room.clinic_id != membership.clinic_id:
        errors.setdefault("room", []).append(_("Choose a room of this clinic."))
    if errors:
        raise ValidationError(errors)
    washout = _course_washout(clients)
    hours = selectors.course_settings(membership.clinic_id).opening_hours()
    proposal = schedule_propose(
        protocol=protocol, start_date=start_date, washout_date=washout, hours=hours
    )
    with transaction.atomic():
        course = Course.objects.create(
            clinic_id=membership.clinic_id,
            template_key=template_key,
            template_name=protocol.name,
            protocol=protocol.model_dump(mode="json"),
            start_date=start_date,
            planned_doses=[d.model_dump(mode="json") for d in protocol.medicine_sessions.doses],
            created_by=membership,
        )
        course.clients.set(clients)
        for therapist in distinct.values():
            CourseTeamMember.objects.create(
                course=course, membership=therapist, role=CourseTeamRole.THERAPIST
            )
        if medical_lead is not None:
            CourseTeamMember.objects.create(
                course=course, membership=medical_lead, role=CourseTeamRole.MEDICAL_LEAD
            )
        _visits_create(course, proposal, list(distinct.values()), room, hours)
        audit_write(
            by,
            "course.create",
            target=course,
            client_code=clients[0].code,
            fields=["template_key", "start_date", "clients", "team", "visits"]
            + (["already_under_way"] if already_under_way else []),
        )
        for client in clients[1:]:
            audit_write(
                by, "course.create", target=course, client_code=client.code, fields=["clients"]
            )
        _measures_assign(by, course, protocol, proposal, clients)
    return course


def _visits_create(
    course: Course,
    proposal: list[ProposedVisit],
    therapists: list[Membership],
    room: Room | None,
    hours: OpeningHours | None = None,
) -> None:
    sessions: dict[int, Visit] = {}
    callers = _CheckInCallers(course.clinic_id, proposal, therapists, hours)
    # Medicine sessions first, so the visits that follow them can point at them; check-ins
    # last, so each call is put where the team is free.
    for item in sorted(
        proposal,
        key=lambda p: (p.kind != VisitKind.MEDICINE_SESSION, p.kind == VisitKind.CHECK_IN),
    ):
        team = therapists if item.all_therapists else therapists[:1]
        starts_at, why = item.starts_at, item.why
        if item.kind == VisitKind.CHECK_IN:
            starts_at, team, why = callers.place(item)
        visit = Visit(
            course=course,
            kind=item.kind,
            number=item.number,
            starts_at=starts_at,
            duration_minutes=item.duration_minutes,
            room=room if item.in_room else None,
            follows=sessions.get(item.follows) if item.follows is not None else None,
            planned_dose=item.planned_dose,
        )
        visit.label, visit.why, visit.needs = item.label, why, item.needs
        visit.save()
        visit.therapists.set(team)
        callers.book(team, starts_at, item.duration_minutes)
        if item.kind == VisitKind.MEDICINE_SESSION:
            sessions[item.number] = visit


class _CheckInCallers:
    """Spreads a course's phone check-ins over its therapists and staggers their times.

    Day 1 after a session goes to the first therapist, day 2 to the next, and so on; a call
    starts at the template's time or, when that therapist is busy then (another course's
    call, a visit), at the next free step of the call's length before closing, trying the
    other therapists at each step. Two courses accepted the same week so do not collide.
    """

    def __init__(
        self,
        clinic_id: int,
        proposal: list[ProposedVisit],
        therapists: list[Membership],
        hours: OpeningHours | None,
    ) -> None:
        self.therapists = therapists
        self.hours = hours
        self.busy: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {}
        calls = [p for p in proposal if p.kind == VisitKind.CHECK_IN]
        if not calls or not therapists:
            return
        first = min(p.starts_at for p in calls) - dt.timedelta(days=1)
        last = max(p.starts_at for p in calls) + dt.timedelta(days=1)
        ids = [t.pk for t in therapists]
        taken = (
            Visit.objects.filter(
                course__clinic_id=clinic_id,
                cancelled=False,
                starts_at__gte=first,
                starts_at__lt=last,
                therapists__in=ids,
            )
            .values_list("therapists", "starts_at", "duration_minutes")
            .distinct()
        )
        for member_id, starts_at, minutes in taken:
            if member_id in ids:
                self.busy.setdefault(member_id, []).append(
                    (starts_at, starts_at + dt.timedelta(minutes=minutes))
                )

    def book(self, team: list[Membership], starts_at: dt.datetime, minutes: int) -> None:
        for member in team:
            self.busy.setdefault(member.pk, []).append(
                (starts_at, starts_at + dt.timedelta(minutes=minutes))
            )

    def _free(self, member: Membership, starts_at: dt.datetime, minutes: int) -> bool:
        ends_at = starts_at + dt.timedelta(minutes=minutes)
        return all(
            not (starts_at < end and start < ends_at) for start, end in self.busy.get(member.pk, [])
        )

    def place(self, item: ProposedVisit) -> tuple[dt.datetime, list[Membership], Phrase]:
        if not self.therapists:
            return item.starts_at, [], item.why
        n = len(self.therapists)
        order = [self.therapists[(item.number - 1 + i) % n] for i in range(n)]
        step = dt.timedelta(minutes=max(item.duration_minutes, 5))
        local = timezone.localtime(item.starts_at)
        closes = self.hours.closes if self.hours is not None else dt.time(20, 0)
        when = item.starts_at
        while timezone.localtime(when).date() == local.date() and (
            timezone.localtime(when).time() < closes
        ):
            for member in order:
                if self._free(member, when, item.duration_minutes):
                    why = item.why
                    if when != item.starts_at:
                        why = why.followed_by(
                            Phrase(
                                gettext_noop(
                                    "(%(time)s: staggered so the care team's calls do not overlap)"
                                ),
                                {"time": timezone.localtime(when).strftime("%H:%M")},
                            )
                        )
                    return when, [member], why
            when += step
        return item.starts_at, order[:1], item.why


def _measures_assign(
    by: Actor,
    course: Course,
    protocol: ProtocolTemplate,
    proposal: list[ProposedVisit],
    clients: list[Client],
) -> None:
    """Measures at the template's timepoints become assignments, where measures exists."""
    try:
        from holdspace.measures.services import assignment_create
    except ImportError:
        return
    for instrument, due_on, timepoint in measure_due_dates(protocol, proposal):
        for client in clients:
            try:
                with transaction.atomic():
                    assignment_create(
                        by=by,
                        client=client,
                        instrument_code=instrument,
                        due_on=due_on,
                        timepoint=timepoint,
                    )
            except (ValidationError, LookupError, ValueError, PermissionDenied, Http404):
                # An instrument that the measures app does not (yet) know is left out.
                continue


def course_accept(
    *, by: Actor, course: Course, client: Client, accept_conflicts: bool = False
) -> Course:
    """Accept a proposed schedule. One with conflicts is accepted only when the person says
    they have read them (`accept_conflicts`), so none is accepted unseen."""
    require(by, policies.can_manage_course, client, message=_("You may not change this course."))
    if course.status != CourseStatus.PROPOSED:
        raise ValidationError(_("Only a proposed schedule can be accepted."))
    conflicts = course_conflicts(course)
    if conflicts and not accept_conflicts:
        raise ValidationError(
            {
                "accept_conflicts": [
                    _("This schedule has conflicts; confirm that you accept it with them."),
                    *[c.message for c in conflicts],
                ]
            }
        )
    with transaction.atomic():
        course.status = CourseStatus.ACTIVE
        course.accepted_at = timezone.now()
        course.save(update_fields=["status", "accepted_at"])
        audit_write(by, "course.accept", target=course, client_code=client.code, fields=["status"])
        phase_refresh(course.clients.all())
    return course


def course_close(*, by: Actor, course: Course, client: Client, reason: str) -> Course:
    """End a course with the reason it ended (completed, withdrew, lost to follow-up,
    excluded by the medical lead, adverse event): the outcomes flow counts these."""
    if reason not in CloseReason.values:
        raise ValidationError({"reason": _("Choose why the course ended.")})
    if not policies.can_close_course(by.membership, client, reason):
        raise PermissionDenied(_("You may not close this course with this reason."))
    with transaction.atomic():
        locked = Course.objects.select_for_update().get(pk=course.pk)
        if locked.status == CourseStatus.CLOSED:
            raise ValidationError(_("This course is already closed."))
        locked.status = CourseStatus.CLOSED
        locked.closed_at = timezone.now()
        locked.closed_reason = reason
        locked.closed_by = by.membership
        locked.save(update_fields=["status", "closed_at", "closed_reason", "closed_by"])
        audit_write(
            by, "course.close", target=locked, client=client, fields=["status", "closed_reason"]
        )
    return locked


def course_conflicts(course: Course) -> list[Conflict]:
    """The constraint check over a course's planned (future) visits."""
    return courses_conflicts([course])[course.pk]


def courses_conflicts(courses: Sequence[Course]) -> dict[int, list[Conflict]]:
    """The constraint check of each course's planned (future) visits, by course, in a constant
    number of queries however many courses and visits: the visits, the past medicine sessions,
    the clients' washouts, the clinics' hours and the clinic's other bookings in the window are
    each read once for all of them."""
    if not courses:
        return {}
    now = timezone.now()
    ids = [course.pk for course in courses]
    planned: dict[int, list[Visit]] = {pk: [] for pk in ids}
    for visit in Visit.objects.filter(
        course_id__in=ids, cancelled=False, starts_at__gte=now
    ).prefetch_related("therapists"):
        planned[visit.course_id].append(visit)
    past: dict[int, list[dt.datetime]] = {pk: [] for pk in ids}
    for course_id, starts_at in Visit.objects.filter(
        course_id__in=ids, cancelled=False, kind=VisitKind.MEDICINE_SESSION, starts_at__lt=now
    ).values_list("course_id", "starts_at"):
        past[course_id].append(starts_at)
    prefetch_related_objects(list(courses), "clients")  # nothing to do when already fetched
    clients = {c.pk: c for course in courses for c in course.clients.all()}
    washouts = washout_dates(list(clients.values()))
    clinic_ids = {course.clinic_id for course in courses}
    settings = selectors.course_settings_many(clinic_ids)
    hours = {pk: found.opening_hours() for pk, found in settings.items()}
    slots = {course.pk: [Slot.of(v) for v in planned[course.pk]] for course in courses}
    bookings = {
        clinic_id: bookings_for(
            [s for c in courses if c.clinic_id == clinic_id for s in slots[c.pk]],
            clinic_id=clinic_id,
        )
        for clinic_id in clinic_ids
    }
    found: dict[int, list[Conflict]] = {}
    for course in courses:
        dates = [d for d in (washouts[c.pk] for c in course.clients.all()) if d is not None]
        found[course.pk] = conflicts_for(
            slots[course.pk],
            clinic_id=course.clinic_id,
            min_spacing_days=protocol_of(course).medicine_sessions.min_spacing_days,
            washout_date=max(dates) if dates else None,
            now=now,
            other_medicine_sessions=past[course.pk],
            hours=hours[course.clinic_id],
            bookings=bookings[course.clinic_id],
        )
    return found


def visit_reschedule(
    *, by: Actor, course: Course, client: Client, visit: Visit, starts_at: dt.datetime, reason: str
) -> list[Visit]:
    """Move a visit, with a written reason. A medicine session takes its integration visits
    and check-ins along. Refused when the move creates a conflict (constraints.py)."""
    membership = require(
        by, policies.can_manage_course, client, message=_("You may not change this course.")
    )
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Write why the visit moves.")})
    if visit.course_id != course.pk or visit.cancelled:
        raise ValidationError({"starts_at": _("This visit cannot be moved.")})
    delta = starts_at - visit.starts_at
    moving = [visit]
    if visit.kind == VisitKind.MEDICINE_SESSION:
        moving += list(visit.followers.filter(cancelled=False))
    moving_pks = {v.pk for v in moving}
    slots = [Slot.of(v, starts_at=v.starts_at + delta) for v in moving]
    protocol = protocol_of(course)
    other_sessions = (
        course.visits.filter(cancelled=False, kind=VisitKind.MEDICINE_SESSION)
        .exclude(pk__in=moving_pks)
        .values_list("starts_at", flat=True)
    )
    found = conflicts_for(
        slots,
        clinic_id=course.clinic_id,
        min_spacing_days=protocol.medicine_sessions.min_spacing_days,
        washout_date=_course_washout(list(course.clients.all()))
        if visit.kind == VisitKind.MEDICINE_SESSION
        else None,
        other_medicine_sessions=list(other_sessions),
        hours=selectors.course_settings(course.clinic_id).opening_hours(),
    )
    if found:
        raise ValidationError({"starts_at": [c.message for c in found]})
    with transaction.atomic():
        for moved in moving:
            old = moved.starts_at
            moved.starts_at = old + delta
            moved.save(update_fields=["starts_at"])
            VisitMove.objects.create(
                visit=moved,
                from_starts_at=old,
                to_starts_at=moved.starts_at,
                reason=reason,
                by=membership,
            )
            audit_write(
                by,
                "visit.reschedule",
                target=moved,
                client_code=client.code,
                fields=["starts_at", "reason"],
            )
        if visit.kind == VisitKind.MEDICINE_SESSION:
            # Its questionnaires follow it, like its integration visits and check-ins.
            from holdspace.measures.services import assignments_follow_session

            for each in course.clients.all():
                assignments_follow_session(
                    by=by,
                    client=each,
                    number=visit.number,
                    session_date=timezone.localtime(visit.starts_at).date(),
                )
        phase_refresh(course.clients.all())
    return moving


def visit_assign(
    *,
    by: Actor,
    course: Course,
    client: Client,
    visit: Visit,
    therapists: list[Membership],
    room: Room | None,
) -> Visit:
    """Put therapists and a room on one visit. A medicine session keeps the template's minimum
    number of therapists; a double booking or a taken room is refused (constraints.py)."""
    require(by, policies.can_manage_course, client, message=_("You may not change this course."))
    if visit.course_id != course.pk:
        raise ValidationError({"therapists": _("This visit is not part of the course.")})
    protocol = protocol_of(course)
    needed = protocol.team.min_therapists_for_medicine_session
    if visit.kind == VisitKind.MEDICINE_SESSION and len({t.pk for t in therapists}) < needed:
        raise ValidationError(
            {"therapists": _("A medicine session needs at least %(n)d therapists.") % {"n": needed}}
        )
    if any(t.clinic_id != course.clinic_id or t.role != Role.THERAPIST for t in therapists):
        raise ValidationError({"therapists": _("Only therapists of this clinic.")})
    if room is not None and room.clinic_id != course.clinic_id:
        raise ValidationError({"room": _("Choose a room of this clinic.")})
    course_clients = list(course.clients.all())
    for therapist in therapists:
        if any(
            not CareTeamMember.objects.filter(client=c, membership=therapist).exists()
            for c in course_clients
        ):
            raise ValidationError(
                {"therapists": _("Only therapists on the client's care team can be on a visit.")}
            )
    slot = Slot(
        label=visit.label,
        kind=visit.kind,
        starts_at=visit.starts_at,
        duration_minutes=visit.duration_minutes,
        therapist_ids=frozenset(t.pk for t in therapists),
        room_id=room.pk if room is not None else None,
        pk=visit.pk,
    )
    found = [
        c
        for c in conflicts_for([slot], clinic_id=course.clinic_id)
        if c.kind in ("therapist_double_booked", "room_taken")
    ]
    if found:
        raise ValidationError({"therapists": [c.message for c in found]})
    with transaction.atomic():
        visit.room = room
        visit.save(update_fields=["room"])
        visit.therapists.set(therapists)
        audit_write(
            by, "visit.assign", target=visit, client_code=client.code, fields=["therapists", "room"]
        )
    return visit


def dose_for_client(visit: Visit, client: Client) -> dict[str, Any] | None:
    """The planned dose of a medicine session for one client (their own plan, or the
    template's)."""
    dose = visit.planned_dose
    if not dose:
        return None
    own = (dose.get("by_client") or {}).get(client.code)
    return dict(own) if own else {k: v for k, v in dose.items() if k != "by_client"}


def visit_dose_plan(
    *,
    by: Actor,
    course: Course,
    client: Client,
    visit: Visit,
    initial_mg: float,
    supplemental_mg: float | None,
) -> Visit:
    """Adjust a medicine session's planned dose for this course (the template's is a default)."""
    require(by, policies.can_manage_course, client, message=_("You may not change this course."))
    if visit.kind != VisitKind.MEDICINE_SESSION or visit.course_id != course.pk:
        raise ValidationError({"initial_mg": _("Only medicine sessions have a planned dose.")})
    if initial_mg <= 0 or (supplemental_mg is not None and supplemental_mg <= 0):
        raise ValidationError({"initial_mg": _("A planned dose is more than 0 mg.")})
    with transaction.atomic():
        # The template's dose stays as the default; each client's own plan is kept by code
        # (both partners are dosed in a couples course, possibly differently).
        dose = dict(visit.planned_dose or {})
        by_client = dict(dose.get("by_client") or {})
        by_client[client.code] = {"initial_mg": initial_mg, "supplemental_mg": supplemental_mg}
        dose["by_client"] = by_client
        visit.planned_dose = dose
        visit.save(update_fields=["planned_dose"])
        audit_write(
            by, "visit.dose_plan", target=visit, client_code=client.code, fields=["planned_dose"]
        )
    return visit


# Rooms, templates and settings ---------------------------------------------------------------


def room_create(*, by: Actor, name: str) -> Room:
    member = require(by, policies.can_set_up_clinic, message=_("You may not manage rooms."))
    name = name.strip()
    if Room.objects.filter(clinic_id=member.clinic_id, name__iexact=name).exists():
        raise ValidationError({"name": _("There is already a room with this name.")})
    with transaction.atomic():
        room = Room.objects.create(clinic_id=member.clinic_id, name=name)
        audit_write(by, "room.create", target=room, fields=["name"])
    return room


def template_clone(*, by: Actor, template_key: str) -> ClinicProtocolTemplate:
    """Copy a built-in template (its YAML with comments and sources) for the clinic to edit."""
    member = require(
        by, policies.can_set_up_clinic, message=_("You may not manage protocol templates.")
    )
    protocol = builtin_protocols().get(template_key)
    if protocol is None:
        raise ValidationError({"template": _("No such template.")})
    path = PROTOCOL_DIR / f"{template_key}.yaml"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    clinic_id = member.clinic_id
    taken = set(
        ClinicProtocolTemplate.objects.filter(clinic_id=clinic_id).values_list("key", flat=True)
    )
    number = 1
    while f"{template_key}-copy-{number}" in taken:
        number += 1
    key = f"{template_key}-copy-{number}"
    text = text.replace(f"key: {template_key}", f"key: {key}", 1)
    with transaction.atomic():
        row = ClinicProtocolTemplate.objects.create(
            clinic_id=clinic_id,
            key=key,
            name=_("%(name)s (clinic copy)") % {"name": protocol.name},
            based_on=template_key,
            definition_yaml=text,
        )
        audit_write(by, "protocol_template.clone", target=row, fields=["definition_yaml"])
    return row


def template_update(
    *, by: Actor, template: ClinicProtocolTemplate, definition_yaml: str
) -> ClinicProtocolTemplate:
    if (
        not policies.can_set_up_clinic(by.membership)
        or by.membership is None
        or template.clinic_id != by.membership.clinic_id
    ):
        raise PermissionDenied(_("You may not manage protocol templates."))
    try:
        parsed = protocol_parse_yaml(definition_yaml, origin=template.name)
    except ProtocolError as error:
        raise ValidationError({"definition_yaml": str(error)}) from error
    with transaction.atomic():
        template.definition_yaml = definition_yaml
        template.name = parsed.name
        template.save(update_fields=["definition_yaml", "name", "updated_at"])
        audit_write(by, "protocol_template.update", target=template, fields=["definition_yaml"])
    return template


def course_settings_update(*, by: Actor, **values: Any) -> CourseSettings:
    member = require(
        by, policies.can_set_up_clinic, message=_("You may not change these settings.")
    )
    with transaction.atomic():
        settings, _created = CourseSettings.objects.get_or_create(clinic_id=member.clinic_id)
        changed = [name for name, value in values.items() if getattr(settings, name) != value]
        for name in changed:
            setattr(settings, name, values[name])
        if changed:
            settings.save(update_fields=changed)
            audit_write(by, "course_settings.update", target=settings, fields=changed)
    return settings


# Calendar feeds -------------------------------------------------------------------------------


def calendar_feed_create(*, by: Actor) -> str:
    """A new private feed URL token for the caller (any older one is revoked). Shown once."""
    membership = by.membership
    if not policies.can_see_calendars(membership):
        raise PermissionDenied(_("You have no calendar."))
    if membership is None:
        raise PermissionDenied
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        _feeds_revoke(by, membership)
        feed = CalendarFeed.objects.create(
            membership=membership, token_hash=feed_token_hash(token), hint=token[:6]
        )
        audit_write(by, "calendar_feed.create", target=feed, fields=["token_hash"])
    return token


def calendar_feed_revoke(*, by: Actor) -> int:
    membership = by.membership
    if membership is None:
        raise PermissionDenied
    with transaction.atomic():
        return _feeds_revoke(by, membership)


def _feeds_revoke(by: Actor, membership: Membership) -> int:
    feeds = list(CalendarFeed.objects.filter(membership=membership, revoked_at__isnull=True))
    for feed in feeds:
        feed.revoked_at = timezone.now()
        feed.save(update_fields=["revoked_at"])
        audit_write(by, "calendar_feed.revoke", target=feed, fields=["revoked_at"])
    return len(feeds)
