"""The constraint check for a course's schedule.

`conflicts_for(slots, ...)` reports, for a set of planned visit times, every conflict that a
person scheduling them should see. It never changes anything; services refuse a move that
would create a conflict, and the course page lists the conflicts of a proposed schedule.

The checks, each with its `kind`:

- `therapist_double_booked`: a therapist is on two visits whose times overlap (within the set,
  or with any other non-cancelled visit of the clinic).
- `room_taken`: a room is used by two overlapping visits. A medicine session holds its room for
  its whole duration (about 8 hours in the phase 3 template).
- `medicine_too_soon`: a medicine session starts fewer days after the previous one of the
  same course than the template's `min_spacing_days`.
- `in_the_past`: a visit starts before now.
- `before_washout`: a medicine session falls before the earliest date screening allows
  (`screening.selectors.earliest_medicine_session_date`, the medication washout).
- `clinic_closed` / `outside_opening_hours`: a visit falls on a day the clinic is closed or
  starts outside its opening hours (hours.py; checked when `hours` is given).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from holdspace.people.models import Membership

from .hours import OpeningHours
from .models import Visit, VisitKind


@dataclass(frozen=True)
class Slot:
    """A visit at a planned time (an existing visit's pk, or None for a proposed one)."""

    label: str
    kind: str
    starts_at: dt.datetime
    duration_minutes: int
    therapist_ids: frozenset[int]
    room_id: int | None
    pk: int | None = None

    @property
    def ends_at(self) -> dt.datetime:
        return self.starts_at + dt.timedelta(minutes=self.duration_minutes)

    @classmethod
    def of(cls, visit: Visit, *, starts_at: dt.datetime | None = None) -> Slot:
        return cls(
            label=visit.label,
            kind=visit.kind,
            starts_at=starts_at or visit.starts_at,
            duration_minutes=visit.duration_minutes,
            therapist_ids=frozenset(t.pk for t in visit.therapists.all()),
            room_id=visit.room_id,
            pk=visit.pk,
        )


@dataclass(frozen=True)
class Conflict:
    kind: str
    message: str
    label: str  # the visit it concerns


def _overlap(a: Slot, b_start: dt.datetime, b_end: dt.datetime) -> bool:
    return a.starts_at < b_end and b_start < a.ends_at


def bookings_for(slots: Iterable[Slot], *, clinic_id: int) -> list[Visit]:
    """The clinic's non-cancelled visits that could clash with any of these slots (they share a
    therapist or a room, and start between a day before the first slot and the end of the
    last), in a constant number of queries however many slots: the check then runs in Python.
    The day before: a visit that started earlier may still be running (a medicine session)."""
    slots = list(slots)
    therapist_ids = {pk for slot in slots for pk in slot.therapist_ids}
    room_ids = {slot.room_id for slot in slots if slot.room_id is not None}
    if not therapist_ids and not room_ids:
        return []
    start = min(slot.starts_at for slot in slots) - dt.timedelta(hours=24)
    end = max(slot.ends_at for slot in slots)
    # EXISTS rather than a join on the therapists: each visit once, without DISTINCT.
    shares_a_therapist = Exists(
        Visit.therapists.through.objects.filter(
            visit_id=OuterRef("pk"), membership_id__in=therapist_ids
        )
    )
    return list(
        Visit.objects.filter(
            course__clinic_id=clinic_id, cancelled=False, starts_at__gte=start, starts_at__lt=end
        )
        .filter(shares_a_therapist | Q(room_id__in=room_ids))
        .select_related("room", "course")
        .prefetch_related(
            Prefetch("therapists", queryset=Membership.objects.select_related("user")),
            "course__clients",
        )
    )


def conflicts_for(
    slots: Sequence[Slot],
    *,
    clinic_id: int,
    min_spacing_days: int | None = None,
    washout_date: dt.date | None = None,
    now: dt.datetime | None = None,
    other_medicine_sessions: Iterable[dt.datetime] = (),
    hours: OpeningHours | None = None,
    bookings: Sequence[Visit] | None = None,
) -> list[Conflict]:
    """Every conflict of these slots. `other_medicine_sessions`: the course's sessions that are
    not among the slots (for the spacing check). `bookings`: the clinic's visits that may clash,
    from `bookings_for` (given when several sets are checked against the same bookings)."""
    now = now or timezone.now()
    if bookings is None:
        bookings = bookings_for(slots, clinic_id=clinic_id)
    found: list[Conflict] = []
    own = {slot.pk for slot in slots if slot.pk is not None}
    for i, slot in enumerate(slots):
        if slot.starts_at < now:
            found.append(
                Conflict(
                    "in_the_past", _("%(v)s would be in the past.") % {"v": slot.label}, slot.label
                )
            )
        refused = hours.refusal(slot.kind, slot.starts_at) if hours is not None else None
        if refused is not None:
            found.append(Conflict(refused[0], f"{slot.label}: {refused[1]}", slot.label))
        # Within the set itself.
        for other in slots[i + 1 :]:
            if _overlap(slot, other.starts_at, other.ends_at):
                if slot.therapist_ids & other.therapist_ids:
                    found.append(
                        Conflict(
                            "therapist_double_booked",
                            _("A therapist is double-booked: %(a)s overlaps %(b)s.")
                            % {"a": slot.label, "b": other.label},
                            slot.label,
                        )
                    )
                if slot.room_id is not None and slot.room_id == other.room_id:
                    found.append(
                        Conflict(
                            "room_taken",
                            _("The room is taken: %(a)s overlaps %(b)s.")
                            % {"a": slot.label, "b": other.label},
                            slot.label,
                        )
                    )
        # Against every other visit of the clinic (loaded once for all slots).
        if not slot.therapist_ids and slot.room_id is None:
            continue
        for visit in bookings:
            if visit.pk in own or not _overlap(slot, visit.starts_at, visit.ends_at):
                continue
            shared = [t for t in visit.therapists.all() if t.pk in slot.therapist_ids]
            same_room = slot.room_id is not None and visit.room_id == slot.room_id
            if not shared and not same_room:
                continue
            # Name who and what: the therapist, the other visit and whose it is (by code).
            what = {
                "a": slot.label,
                "b": visit.label,
                "c": ", ".join(c.code for c in visit.course.clients.all()),
                "t": timezone.localtime(visit.starts_at).strftime("%Y-%m-%d %H:%M"),
            }
            for therapist in shared:
                who = therapist.user.get_full_name() or therapist.user.email
                found.append(
                    Conflict(
                        "therapist_double_booked",
                        _("%(who)s is double-booked: %(a)s overlaps %(b)s of %(c)s at %(t)s.")
                        % {**what, "who": who},
                        slot.label,
                    )
                )
            if same_room:
                found.append(
                    Conflict(
                        "room_taken",
                        _("Room %(room)s is taken: %(a)s overlaps %(b)s of %(c)s at %(t)s.")
                        % {**what, "room": visit.room},
                        slot.label,
                    )
                )
    sessions = sorted(
        [(s.starts_at, s.label) for s in slots if s.kind == VisitKind.MEDICINE_SESSION]
        + [(when, "") for when in other_medicine_sessions]
    )
    if min_spacing_days is not None:
        for (before, before_label), (after, after_label) in itertools.pairwise(sessions):
            gap = (timezone.localdate(after) - timezone.localdate(before)).days
            label = after_label or before_label
            if label and gap < min_spacing_days:
                found.append(
                    Conflict(
                        "medicine_too_soon",
                        _(
                            "%(v)s is only %(gap)d days after the previous medicine session; "
                            "the template asks for at least %(min)d."
                        )
                        % {"v": label, "gap": gap, "min": min_spacing_days},
                        label,
                    )
                )
    if washout_date is not None:
        for when, label in sessions:
            if label and timezone.localdate(when) < washout_date:
                found.append(
                    Conflict(
                        "before_washout",
                        _("%(v)s is before the washout date from screening (%(d)s).")
                        % {"v": label, "d": washout_date.isoformat()},
                        label,
                    )
                )
    return found
