"""Scoped reads of medicine sessions. Outsiders get 404; existence is never revealed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import (
    Case,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    When,
    prefetch_related_objects,
)
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from holdspace.core.compiled import CompiledQueries, member_day_key
from holdspace.courses.models import Visit, VisitKind
from holdspace.people.models import CareTeamMember, Client, Membership, Role
from holdspace.people.selectors import client_for_user, member_key

from . import policies
from .models import (
    AdverseEvent,
    Dose,
    DoseKind,
    MedicineSession,
    NoteSignature,
    SessionAlert,
    SessionSettings,
    SessionStatus,
    StartOverride,
    TeamPresence,
    TimelineEntry,
    VitalReading,
)
from .rules import checklist_labels, session_rules


def quick_entries() -> dict[str, str]:
    """One-tap timeline entries (code -> label)."""
    return {
        "music_changed": _("Music changed"),
        "eyeshades_off": _("Eyeshades off"),
        "talking": _("Talking"),
        "silence": _("Silence"),
        "crying": _("Crying"),
        "break": _("Break"),
        "nausea": _("Nausea"),
        "supportive_touch": _("Supportive touch (with consent)"),
    }


def session_client(membership: Membership | None, code: str) -> Client:
    client = client_for_user(membership, code)
    if not policies.can_see_session(membership, client):
        raise Http404("No such client.")
    return client


def medicine_visit_for_user(
    membership: Membership | None, code: str, visit_id: int
) -> tuple[Client, Visit]:
    """The client and one of their medicine-session visits, if the member may see the
    client's sessions (404 otherwise)."""
    client = session_client(membership, code)
    visit = (
        Visit.objects.filter(pk=visit_id, kind=VisitKind.MEDICINE_SESSION, course__clients=client)
        .select_related("course")
        .first()
    )
    if visit is None:
        raise Http404("No such visit.")
    return client, visit


def sessions_visible_to(membership: Membership | None) -> QuerySet[MedicineSession]:
    """Sessions of the member's clinic: all for a medical lead, the care team's for a
    therapist (the same scope as `session_client`), in one query without DISTINCT."""
    if membership is None or membership.role not in (Role.THERAPIST, Role.MEDICAL_LEAD):
        return MedicineSession.objects.none()
    rows = MedicineSession.objects.filter(clinic_id=membership.clinic_id)
    if membership.role == Role.THERAPIST:
        rows = rows.filter(
            Exists(
                CareTeamMember.objects.filter(client=OuterRef("client_id"), membership=membership)
            )
        )
    return rows.select_related("client", "visit")


def session_for_user(membership: Membership | None, code: str, pk: int) -> MedicineSession:
    """The session in one query: each open monitor asks for it every second (the live poll),
    so its SQL is compiled once per member for any session."""
    found = _session_sql.bound(
        ("session", member_key(membership)),
        lambda pk, code: (
            sessions_visible_to(membership)
            .filter(pk=pk, client__code=code)
            .select_related("client", "visit", "clinic")
            .order_by("pk")[:1]
        ),
        pk=pk,
        code=code.strip().upper(),
    ).objects()
    if not found:
        raise Http404("No such session.")
    session: MedicineSession = found[0]
    return session


_session_sql = CompiledQueries()


def session_by_id(membership: Membership | None, pk: int) -> MedicineSession:
    """For the API's /sessions/{id}: the same scope, 404 for everyone else."""
    session = sessions_visible_to(membership).filter(pk=pk).first()
    if session is None:
        raise Http404("No such session.")
    return session


def alert_of_session(session: MedicineSession, pk: int) -> SessionAlert:
    alert = session.alerts.filter(pk=pk).first()
    if alert is None:
        raise Http404("No such alert.")
    return alert


def medicine_visits_today(membership: Membership) -> list[tuple[Visit, Client]]:
    """Today's medicine-session visits of clients the member may see in a session, and any
    session opened earlier that has not ended: a session begun in the evening is still today's
    until the client is discharged."""
    visits = (
        _medicine_visits_of_today(membership)
        .select_related("room", "course")
        # Each course's clients within the same scope as policies.can_see_session, asked once
        # with the clients rather than once per client (or in a query of its own).
        .prefetch_related(Prefetch("course__clients", queryset=sessions_scope_clients(membership)))
        .order_by("starts_at")
    )
    return [(visit, client) for visit in visits for client in visit.course.clients.all()]


def _medicine_visits_of_today(membership: Membership, *conditions: Q | Exists) -> QuerySet[Visit]:
    """The clinic's medicine visits of today and those with a session not ended, not cancelled
    (and meeting `conditions`)."""
    return Visit.objects.filter(
        *conditions,
        pk__in=_visits_today_ids(membership),
        kind=VisitKind.MEDICINE_SESSION,
        cancelled=False,
        course__clinic_id=membership.clinic_id,
    )


def _visits_today_ids(membership: Membership) -> QuerySet[Any]:
    """The ids of the clinic's medicine visits of today and of those with a session not ended.
    The two halves as a UNION of ids, not an OR: "starts today OR id IN (open sessions)"
    cannot use an index, so PostgreSQL read every visit of the network (about 300 ms at
    600,000 visits); each half alone is an index lookup."""
    today = timezone.localdate()
    start = dt.datetime.combine(today, dt.time.min, tzinfo=timezone.get_current_timezone())
    on_today = (
        Visit.objects.filter(
            starts_at__gte=start,
            starts_at__lt=start + dt.timedelta(days=1),
            kind=VisitKind.MEDICINE_SESSION,
            cancelled=False,
            course__clinic_id=membership.clinic_id,
        )
        .values("pk")
        .order_by()
    )
    not_ended = (
        MedicineSession.objects.filter(clinic_id=membership.clinic_id)
        .exclude(status=SessionStatus.ENDED)
        .values("visit_id")
        .order_by()
    )
    return on_today.union(not_ended)


@dataclass(frozen=True)
class TodayRow:
    """One client's medicine session of today (the Today page): the visit (its time and
    label only), the client's code and the session opened for them, if any."""

    visit: Visit
    code: str
    session_pk: int | None
    session_status: str | None

    @property
    def status_label(self) -> str:
        """As `get_status_display()`: the label of a known status, else the stored value."""
        if not self.session_status:
            return ""
        return str(dict(SessionStatus.choices).get(self.session_status, self.session_status))


def medicine_sessions_today(membership: Membership) -> list[TodayRow]:
    """`medicine_visits_today` with each client's opened session, for the Today page, in one
    query: a row per visit and client in the member's session scope (as
    `sessions_scope_clients`), with the session (as `sessions_visible_to`) beside it, and of
    the visit only what the page shows."""
    if membership.role not in (Role.THERAPIST, Role.MEDICAL_LEAD):
        return []
    # The query is the member's and the day's alone (its SQL takes longer to build than to
    # run): compiled once per member, day and time zone, its rows read on every visit.
    compiled = _sessions_today.get(
        member_day_key(membership), lambda: _medicine_sessions_today_query(membership)
    )
    if not compiled.sql:
        return []
    # Each visit carries the query's annotations (code, session_pk, session_status).
    return [
        TodayRow(
            visit, *(getattr(visit, name) for name in ("code", "session_pk", "session_status"))
        )
        for visit in compiled.objects()
    ]


_sessions_today = CompiledQueries()


def _medicine_sessions_today_query(membership: Membership) -> QuerySet[Visit]:
    # One session at most per visit and client (a unique constraint): no order to ask.
    opened = (
        sessions_visible_to(membership)
        .filter(visit_id=OuterRef("pk"), client_id=OuterRef("course__clients__pk"))
        .order_by()
    )
    # Every condition on the course's clients in one filter(), so that all of them, and the
    # code read below, are about the same client (one join).
    in_scope: list[Q | Exists] = [Q(course__clients__clinic_id=membership.clinic_id)]
    if membership.role == Role.THERAPIST:  # as sessions_scope_clients: their care team's
        in_scope.append(
            Exists(
                CareTeamMember.objects.filter(
                    client=OuterRef("course__clients__pk"), membership=membership
                )
            )
        )
    visits = (
        _medicine_visits_of_today(membership, *in_scope)
        .only("pk", "starts_at", "label_stored", "phrases")
        .annotate(
            code=F("course__clients__code"),
            session_pk=Subquery(opened.values("pk")[:1]),
            session_status=Subquery(opened.values("status")[:1]),
        )
        .order_by("starts_at", "pk", "code")
    )
    return visits


def sessions_scope_clients(membership: Membership) -> QuerySet[Client]:
    """Clients whose sessions the member may see (policies.can_see_session, as a query)."""
    clients = Client.objects.filter(clinic_id=membership.clinic_id)
    if membership.role == Role.MEDICAL_LEAD:
        return clients
    if membership.role != Role.THERAPIST:
        return clients.none()
    return clients.filter(
        Exists(CareTeamMember.objects.filter(client=OuterRef("pk"), membership=membership))
    )


# Settings -------------------------------------------------------------------------------------


def settings_defaults() -> dict[str, Any]:
    rules = session_rules()
    t = rules.thresholds
    return {
        "vitals_every_minutes": rules.cadence.every_minutes,
        "vitals_after_alert_minutes": rules.cadence.after_alert_minutes,
        "systolic_watch": t.systolic_watch,
        "systolic_act": t.systolic_act,
        "diastolic_watch": t.diastolic_watch,
        "diastolic_act": t.diastolic_act,
        "heart_rate_watch": t.heart_rate_watch,
        "heart_rate_act": t.heart_rate_act,
        "temperature_watch": None
        if t.temperature_watch is None
        else Decimal(str(t.temperature_watch)),
        "temperature_act": None if t.temperature_act is None else Decimal(str(t.temperature_act)),
        "spo2_watch_below": t.spo2_watch_below,
        "spo2_act_below": t.spo2_act_below,
        "suds_max": rules.suds.max,
    }


def settings_confirmed(clinic_id: int) -> bool:
    """Whether a medical lead confirmed the clinic's settings (without reading or making them)."""
    return SessionSettings.objects.filter(clinic_id=clinic_id, confirmed_at__isnull=False).exists()


def settings_read(clinic_id: int) -> SessionSettings:
    """The clinic's settings without writing (the live view's path): unsaved defaults when the
    clinic has none yet."""
    # Read on every poll after a reading: its SQL compiled once per process for any clinic.
    found = _session_sql.bound(
        "settings",
        lambda clinic_id: SessionSettings.objects.filter(clinic_id=clinic_id).order_by("pk")[:1],
        clinic_id=clinic_id,
    ).objects()
    return found[0] if found else SessionSettings(clinic_id=clinic_id, **settings_defaults())


def settings_for(clinic_id: int) -> SessionSettings:
    """The clinic's settings, created from the reviewed defaults (not yet confirmed)."""
    found, _created = SessionSettings.objects.get_or_create(
        clinic_id=clinic_id, defaults=settings_defaults()
    )
    return found


# Starting -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Blocker:
    item: str
    message: str
    overridable: bool


# Start checks that apps above sessions add (review: the clinic's first session waits for its
# clinical review), registered in their AppConfig.ready() so sessions never imports them. Each
# is keyed by the item a medical lead may override.
_start_checks: dict[str, Callable[[MedicineSession], Blocker | None]] = {}


def register_start_check(item: str, check: Callable[[MedicineSession], Blocker | None]) -> None:
    _start_checks[item] = check


def session_loaded(session: MedicineSession, *, every_reading: bool = True) -> MedicineSession:
    """Load every table the monitor shows, once each, onto the session.

    The readers below (timeline, doses, alerts, discharge...) then work on
    `session.<relation>.all()` in memory, in a number of queries that does not grow with the
    rows. Unprefetched, the same readers simply query. The monitor itself passes
    `every_reading=False`: it reads only the readings it shows (shown.shown_readings), so 2,000
    readings cost what 20 do; the summary and the API's timeline list every reading.
    """
    if every_reading:
        prefetch_related_objects(
            [session],
            Prefetch("vitals", VitalReading.objects.all()),
            # Who recorded each reading: the few members once each (two queries), not a joined
            # copy of member and user per reading.
            Prefetch("vitals__recorded_by", Membership.objects.select_related("user")),
        )
    for name, rows in _SESSION_TABLES:
        manager = getattr(session, name)
        cache = session.__dict__.setdefault("_prefetched_objects_cache", {})
        if manager.field.remote_field.cache_name in cache:
            continue  # loaded already (a no-op, as prefetch_related_objects would be)
        found = _loaded_sql.bound(
            name,
            lambda session_id, rows=rows: rows().filter(session_id=session_id),
            session_id=session.pk,
        ).objects()
        for row in found:  # each row's session is this one, as a prefetch sets it
            manager.field.set_cached_value(row, session)
        loaded = manager.get_queryset()
        loaded._result_cache = found
        loaded._prefetch_done = True
        cache[manager.field.remote_field.cache_name] = loaded
    return session


# The tables `session_loaded` reads, each with what it brings along, in the order and with the
# related rows prefetch_related_objects gave them. Each query is compiled once per process
# for any session (the monitor reads all seven on every load: building them through the ORM
# took longer than running them).
_SESSION_TABLES: tuple[tuple[str, Callable[[], QuerySet[Any]]], ...] = (
    (
        "doses",
        lambda: Dose.objects.select_related("given_by__user", "recorded_by__user").order_by("pk"),
    ),
    ("entries", lambda: TimelineEntry.objects.select_related("by__user")),
    ("alerts", lambda: SessionAlert.objects.select_related("acknowledged_by__user", "reading")),
    ("adverse_events", lambda: AdverseEvent.objects.all()),
    ("team", lambda: TeamPresence.objects.select_related("membership__user").order_by("pk")),
    ("signatures", lambda: NoteSignature.objects.select_related("membership__user").order_by("pk")),
    ("overrides", lambda: StartOverride.objects.select_related("by__user").order_by("pk")),
)
_loaded_sql = CompiledQueries()


def readings_in_order(session: MedicineSession) -> list[VitalReading]:
    """Oldest first (the model's ordering), from memory when the session is loaded."""
    return sorted(session.vitals.all(), key=lambda r: (r.taken_at, r.pk))


def baseline_reading(session: MedicineSession) -> VitalReading | None:
    """The first baseline reading (one indexed query, however many readings)."""
    return session.vitals.filter(is_baseline=True).order_by("taken_at", "pk").first()


def newest_reading(session: MedicineSession, **where: Any) -> VitalReading | None:
    """The newest reading matching `where` (one query, however many readings)."""
    return session.vitals.filter(**where).order_by("-taken_at", "-pk").first()


def attested_count(session: MedicineSession) -> int:
    return session.team.filter(membership__role=Role.THERAPIST).count()


def start_blockers(session: MedicineSession) -> list[Blocker]:
    """Everything that keeps the session from starting, minus what a medical lead overrode."""
    from holdspace.preparation.selectors import preparation_readiness

    rules = session_rules()
    overridden = set(session.overrides.values_list("item", flat=True))
    blockers: list[Blocker] = []
    settings = settings_for(session.clinic_id)
    if settings.confirmed_at is None:
        blockers.append(
            Blocker(
                "settings",
                _("A medical lead has not yet confirmed this clinic's thresholds and cadence."),
                False,
            )
        )
    count = attested_count(session)
    if count < rules.team.min_therapists:
        blockers.append(
            Blocker(
                "team",
                _("%(n)d of %(min)d therapists present and attested sober.")
                % {"n": count, "min": rules.team.min_therapists},
                False,
            )
        )
    for key, label in checklist_labels().items():
        if not session.checklist.get(key) and key not in overridden:
            blockers.append(Blocker(key, _("Setting: %(item)s") % {"item": _(label)}, True))
    if "preparation" not in overridden:
        readiness = preparation_readiness(session.client)
        if not readiness.ready:
            blockers.append(
                Blocker(
                    "preparation",
                    _("Preparation not complete: %(missing)s")
                    % {"missing": ", ".join(str(m) for m in readiness.missing)},
                    True,
                )
            )
    for item, check in _start_checks.items():
        found = None if item in overridden else check(session)
        if found is not None:
            blockers.append(found)
    baseline = baseline_reading(session)
    if "baseline" not in overridden and (baseline is None or baseline.suds is None):
        blockers.append(Blocker("baseline", _("Baseline vital signs and SUDS."), True))
    return blockers


# Doses ----------------------------------------------------------------------------------------


def doses_of(session: MedicineSession, kind: str) -> list[Dose]:
    """The session's doses of one kind, first recorded first."""
    return sorted((d for d in session.doses.all() if d.kind == kind), key=lambda d: d.pk)


def initial_dose_time(session: MedicineSession) -> dt.datetime | None:
    dose = next((d for d in doses_of(session, DoseKind.INITIAL) if d.given), None)
    return dose.given_at if dose is not None else None


def supplemental_window(session: MedicineSession) -> tuple[dt.datetime, dt.datetime] | None:
    """The window after the initial dose (the template's, else the data file's default)."""
    first = initial_dose_time(session)
    if first is None:
        return None
    window = session_rules().supplemental_window
    plan = session.planned_dose or {}
    start = plan.get("supplemental_window_start_minutes", window.start_minutes)
    end = plan.get("supplemental_window_end_minutes", window.end_minutes)
    return first + dt.timedelta(minutes=start), first + dt.timedelta(minutes=end)


def open_alerts(session: MedicineSession) -> QuerySet[SessionAlert]:
    return session.alerts.filter(acknowledged_at__isnull=True).select_related("reading")


def open_alerts_loaded(session: MedicineSession) -> list[SessionAlert]:
    """`open_alerts` from the alerts loaded with the session (session_loaded), newest first."""
    rows = [a for a in session.alerts.all() if a.acknowledged_at is None]
    return sorted(rows, key=lambda a: (a.raised_at, a.pk), reverse=True)


def session_dates(client: Client) -> list[dt.date]:
    """For measures' trajectories: the dates of the client's started medicine sessions. On
    every overview with scores: its SQL compiled once per process for any client."""
    started = _session_sql.bound(
        "started",
        lambda client_id: (
            # The one column used: no checklist or attestation (JSON) to decode per session.
            MedicineSession.objects.filter(client_id=client_id, started_at__isnull=False)
            .order_by()
            .values_list("started_at")
        ),
        client_id=client.pk,
    ).rows()
    return [timezone.localdate(moment) for (moment,) in started if moment is not None]


def is_running(session: MedicineSession) -> bool:
    return session.status == SessionStatus.RUNNING


def session_search(
    membership: Membership | None,
    *,
    status: str = "",
    day: dt.date | None = None,
    client_code: str = "",
) -> QuerySet[MedicineSession]:
    """Sessions the member may see; running ones first. `day`: scheduled on that day, or
    running on it (a session started the evening before is still today's until it ends)."""
    rows = sessions_visible_to(membership).select_related("client", "visit", "clinic")
    if status:
        rows = rows.filter(status=status)
    if client_code:
        rows = rows.filter(client__code=client_code.strip().upper())
    if day is not None:
        tz = timezone.get_current_timezone()
        begin = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
        end = begin + dt.timedelta(days=1)
        rows = rows.filter(
            Q(visit__starts_at__gte=begin, visit__starts_at__lt=end)
            | Q(status=SessionStatus.RUNNING, started_at__lt=end)
        )
    running_first = Case(When(status=SessionStatus.RUNNING, then=0), default=1)
    return rows.order_by(running_first, "-visit__starts_at", "-pk")


def alerts_open_first(session: MedicineSession) -> list[SessionAlert]:
    return sorted(session.alerts.all(), key=lambda a: (a.acknowledged_at is not None, -a.pk))


def reading_of_session(session: MedicineSession, pk: int) -> VitalReading:
    reading = session.vitals.filter(pk=pk).first()
    if reading is None:
        raise Http404("No such reading.")
    return reading


def therapist_present(session: MedicineSession, membership_id: int | None) -> Membership | None:
    """A therapist attested present in this session (who gave a dose); None: the caller."""
    if membership_id is None:
        return None
    presence = session.team.filter(membership_id=membership_id).select_related("membership").first()
    if presence is None:
        raise ValidationError({"given_by_id": _("Not a therapist present in this session.")})
    return presence.membership


def note_signatures(session: MedicineSession) -> QuerySet[NoteSignature]:
    return session.signatures.select_related("membership__user")


def open_serious_adverse_events(session: MedicineSession) -> list[Any]:
    """Serious adverse events of this session still ongoing: discharge warns about them."""
    return [
        event
        for event in sorted(session.adverse_events.all(), key=lambda e: (e.onset_at, e.pk))
        if event.outcome == "ongoing"
        if event.serious_criteria
    ]


def companion_from_preparation(session: MedicineSession) -> str:
    """The overnight attendant named in the client's preparation, offered at discharge."""
    from holdspace.preparation.models import Preparation

    found = (
        Preparation.objects.filter(course_id=session.visit.course_id, client_id=session.client_id)
        .values_list("overnight_attendant", flat=True)
        .first()
    )
    return found or ""
