"""`holdspace demo --scale network`: a large synthetic network with the whole arc, for benchmarks.

Made up from a seed (same seed and day, same data), never real. Every clinic gets the demo's
staff (same password and TOTP secret as the small demo, so they can sign in) and clients at
every phase: screening facts and a decision for each, a course for about a third (visits from
the real protocol's schedule), finished medicine sessions for the course's past medicine visits
(vitals every 15-30 minutes, doses, some adverse events, a signed note), integration notes,
and measure responses with their scores. One audit row per clinic says the load happened.

It does not go through the services (which audit every row and would take hours at this
size): it is benchmark data. Rows are made as plain tuples, a batch of clients at a time (so
memory stays flat), and written with COPY on PostgreSQL or batched inserts elsewhere (SQLite
only needs to be correct, at test sizes). The proportions, at 50,000 clients: ~16,700 courses,
~20,000 finished sessions, ~435,000 readings, ~2 million responses, each with its score.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction
from django.utils import timezone
from faker import Faker

from holdspace.audit.models import Channel
from holdspace.audit.services import audit_record
from holdspace.outcomes.freshness import bump_all
from holdspace.people.models import (
    CareTeamMember,
    CareTeamRole,
    Client,
    ClientIdentity,
    Clinic,
    Membership,
    Phase,
    User,
)

# What share of a network's clients is at each phase, and how many measure responses a
# client has on average (the instruments of the course protocols, monthly over a course).
PHASE_SHARES = {
    Phase.SCREENING: 0.42,
    Phase.PREPARATION: 0.13,
    Phase.MEDICINE_SESSIONS: 0.10,
    Phase.INTEGRATION: 0.05,
    Phase.FOLLOW_UP: 0.05,
    Phase.CLOSED: 0.25,
}
IN_COURSE = {Phase.PREPARATION, Phase.MEDICINE_SESSIONS, Phase.INTEGRATION, Phase.FOLLOW_UP}
RESPONSES_PER_CLIENT = 40
INSTRUMENTS = ("PCL-5", "PHQ-9", "GAD-7")
PROTOCOL = "mdma-at-ptsd-phase3"
CLIENTS_PER_BATCH = 1_000
# Session temperatures: 36.7 plus up to 0.6 at the peak, as exact decimals (36.7 .. 37.3).
TEMPERATURES = [Decimal("36.7") + Decimal(k) / 10 for k in range(7)]


# Writing rows ---------------------------------------------------------------------------------


class Dumped(str):
    """A JSON value dumped once and written as it is (the answer pool, the protocol): dumping
    the same dict for each of two million rows would be most of the loader's time."""


def _dumped(value: Any) -> Dumped:
    return Dumped(json.dumps(value))


class Table:
    """One table written from tuples: `columns` (attnames) in the order each tuple gives them.

    Every other column gets its field's default (the same for every row), except the primary
    key (the database draws it) and times the model would set itself (auto_now), which must
    be given: the demo dates its rows. JSON values may be `Dumped` already.
    """

    def __init__(self, model: type[models.Model], columns: Sequence[str]) -> None:
        meta = model._meta
        by_name = {f.attname: f for f in meta.concrete_fields}
        unknown = [c for c in columns if c not in by_name]
        if unknown:
            raise ValueError(f"{model.__name__} has no columns {unknown}")
        self.model = model
        self.given = [by_name[c] for c in columns]
        rest = [f for f in meta.concrete_fields if f.attname not in columns and not f.primary_key]
        dated = [f.attname for f in rest if getattr(f, "auto_now", False)]
        dated += [f.attname for f in rest if getattr(f, "auto_now_add", False)]
        if dated:
            raise ValueError(f"{model.__name__}: give {dated} (the model would say 'now')")
        fields = self.given + rest
        quote = connection.ops.quote_name
        self.table = quote(meta.db_table)
        self.columns = ", ".join(quote(str(f.column)) for f in fields)
        self.json_at = [i for i, f in enumerate(self.given) if isinstance(f, models.JSONField)]
        self.postgres = connection.vendor == "postgresql"
        if self.postgres:
            self.defaults = tuple(self._for_copy(f, f.get_default()) for f in rest)
        else:
            self.defaults = tuple(f.get_db_prep_save(f.get_default(), connection) for f in rest)

    @staticmethod
    def _for_copy(f: models.Field[Any, Any], value: Any) -> Any:
        if isinstance(f, models.JSONField):
            return None if value is None else json.dumps(value)
        if isinstance(value, str):  # choices: their value, not psycopg's name of the enum
            return str(value)
        return value

    def write(self, rows: Iterable[tuple[Any, ...]]) -> int:
        """Write every row; on PostgreSQL streamed through one COPY. Returns how many."""
        if self.postgres:
            return self._copy(rows)
        return self._insert(rows)

    def _copy(self, rows: Iterable[tuple[Any, ...]]) -> int:
        count = 0
        defaults, json_at = self.defaults, self.json_at
        with connection.cursor() as cursor:
            raw = cursor.cursor  # psycopg's own cursor, for COPY
            with raw.copy(f"COPY {self.table} ({self.columns}) FROM STDIN") as copy:
                for row in rows:
                    if json_at:
                        row = _json_dumped(row, json_at)
                    copy.write_row(row + defaults)
                    count += 1
        return count

    def _insert(self, rows: Iterable[tuple[Any, ...]]) -> int:
        """Each value prepared by its field as Django would (times, decimals, JSON)."""
        count = 0
        given, defaults = self.given, self.defaults
        marks = ", ".join(["%s"] * (len(given) + len(defaults)))
        sql = f"INSERT INTO {self.table} ({self.columns}) VALUES ({marks})"  # noqa: S608
        chunk: list[tuple[Any, ...]] = []
        with connection.cursor() as cursor:
            for row in rows:
                prepared = tuple(
                    value if isinstance(value, Dumped) else f.get_db_prep_save(value, connection)
                    for f, value in zip(given, row, strict=True)
                )
                chunk.append(prepared + defaults)
                if len(chunk) >= 500:
                    cursor.executemany(sql, chunk)
                    count += len(chunk)
                    chunk = []
            if chunk:
                cursor.executemany(sql, chunk)
                count += len(chunk)
        return count


def _json_dumped(row: tuple[Any, ...], json_at: list[int]) -> tuple[Any, ...]:
    values = list(row)
    for i in json_at:
        value = values[i]
        if value is not None and not isinstance(value, Dumped):
            values[i] = json.dumps(value)
    return tuple(values)


def reserve_ids(model: type[models.Model], n: int) -> list[int]:
    """Ids for n new rows, so their children can name them before anything is written. On
    PostgreSQL drawn from the table's sequence (safe beside other writers); elsewhere the next
    n after the largest, so write those rows before reserving again for the same table."""
    if n == 0:
        return []
    meta = model._meta
    assert meta.pk is not None  # noqa: S101  (every model has one)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, meta.pk.column, n],
            )
            return [row[0] for row in cursor.fetchall()]
        quote = connection.ops.quote_name
        column, table = quote(str(meta.pk.column)), quote(meta.db_table)
        cursor.execute(f"SELECT COALESCE(MAX({column}), 0) FROM {table}")  # noqa: S608
        top = int(cursor.fetchone()[0])
        return list(range(top + 1, top + n + 1))


# The answer pool ------------------------------------------------------------------------------


class _Pool:
    """Scored answer sets per instrument, scored once by the real scoring code and reused.
    Each entry: (answers, version, total, subscales, band, flags), its JSON dumped once."""

    def __init__(self, rng: random.Random, size: int = 400) -> None:
        from holdspace.measures import library, scoring

        self.entries: dict[str, list[tuple[Any, ...]]] = {}
        definitions = library.shipped()
        shapes = {"PCL-5": (20, 4), "PHQ-9": (9, 3), "GAD-7": (7, 3)}
        for code in INSTRUMENTS:
            n, top = shapes[code]
            definition = definitions[code]
            rows = []
            for i in range(size):
                level = (i + 0.5) / size  # from well to severe, so any level can be drawn
                answers = {
                    str(k): max(0, min(top, round(level * top + rng.uniform(-1.0, 1.0))))
                    for k in range(1, n + 1)
                }
                if code == "PHQ-9":
                    answers["9"] = 0  # no self-harm item: the network raises no safety alerts
                result = scoring.score(definition, answers)
                rows.append(
                    (
                        _dumped(answers),
                        result.version,
                        result.total,
                        _dumped(result.subscales),
                        result.band or "",
                        _dumped(result.flags),
                    )
                )
            self.entries[code] = rows

    def draw(self, code: str, level: float) -> tuple[Any, ...]:
        rows = self.entries[code]
        index = max(0, min(len(rows) - 1, int(level * len(rows))))
        return rows[index]


# The network ----------------------------------------------------------------------------------


def demo_build_network(
    *,
    seed: int = 1,
    clinics: int = 20,
    clients: int = 50_000,
    batch_size: int = CLIENTS_PER_BATCH,
    responses_per_client: int = RESPONSES_PER_CLIENT,
    progress: Any = None,
    now: dt.datetime | None = None,
) -> Any:
    """Load the network, clinic by clinic (one transaction each), `batch_size` clients at a
    time. `progress(done, total, counts, seconds)` is called after each clinic, with the
    rows written so far per kind and the seconds spent so far per step. Times are relative
    to `now` (default: the present), so the same seed and `now` give the same data."""
    from holdspace.people.demo import DEMO_STAFF, DemoSummary, _unique_code

    rng = random.Random(seed)  # noqa: S311  (reproducible synthetic data, not security)
    fake = Faker("no_NO")
    fake.seed_instance(seed)
    first_names = [fake.first_name() for _ in range(500)]
    last_names = [fake.last_name() for _ in range(500)]
    codes: set[str] = set(Client.objects.values_list("code", flat=True))
    pool = _Pool(rng)
    password = _demo_password_hash()
    per_clinic = max(1, clients // clinics)
    staff_count = client_count = 0
    now = (now or timezone.now()).replace(microsecond=0)
    counts: dict[str, int] = {}
    seconds: dict[str, float] = {}
    tables = _tables()
    for number in range(1, clinics + 1):
        with transaction.atomic():
            clinic = Clinic.objects.create(
                name=f"Network clinic {number:02d}", slug=f"net{number:02d}"
            )
            members = {}
            for login, role in DEMO_STAFF:
                members[login] = _network_staff(clinic, login, role, password)
                staff_count += 1
            loader = _ClinicLoader(
                clinic, members, rng, pool, now, responses_per_client, tables, counts, seconds
            )
            _confirm_session_settings(members["lead"])
            made = 0
            while made < per_clinic:
                size = min(batch_size, per_clinic - made)
                loader.load(
                    [
                        (
                            _unique_code(rng, codes),
                            rng.choice(first_names),
                            rng.choice(last_names),
                        )
                        for _ in range(size)
                    ]
                )
                made += size
            client_count += made
            audit_record(
                action="demo.network_load",
                actor_label="holdspace demo",
                clinic_id=clinic.pk,
                target=clinic,
                fields=["clients", "courses", "sessions", "responses"],
                channel=Channel.CLI,
            )
        if progress is not None and number < clinics:
            progress(number, clinics, counts, seconds)
    if connection.vendor == "postgresql":
        # Autovacuum would analyse the new rows later; until then the planner takes the tables
        # for nearly empty and picks plans that are slow at this size.
        started = time.perf_counter()
        with connection.cursor() as cursor:
            for table in tables.values():
                cursor.execute(f"ANALYZE {table.table}")
        seconds["analyze"] = time.perf_counter() - started
    bump_all()  # the rows bypassed save(): any cohort cached before the load is stale
    if progress is not None:
        progress(clinics, clinics, counts, seconds)
    return DemoSummary(clinics, staff_count, client_count)


def _confirm_session_settings(lead: Membership) -> None:
    """The lead confirms the shipped thresholds, as in the small demo: sessions can start."""
    from holdspace.people.actors import Actor
    from holdspace.sessions import selectors, services

    services.settings_confirm(by=Actor.command_line(lead), values=selectors.settings_defaults())


def _demo_password_hash() -> str:
    from holdspace.people.demo import DEMO_PASSWORD

    return make_password(DEMO_PASSWORD)  # hashed once: hashing per user is the slow part


def _network_staff(clinic: Clinic, login: str, role: str, password: str) -> Membership:
    from holdspace.people.demo import DEMO_TOTP_SECRET, demo_email

    user = User.objects.create(
        email=demo_email(login, clinic.slug),
        password=password,
        first_name=login.capitalize(),
        last_name=clinic.slug.upper(),
    )
    TOTP.activate(user, DEMO_TOTP_SECRET)
    RecoveryCodes.activate(user)
    return Membership.objects.create(user=user, clinic=clinic, role=role)


class _ClinicLoader:
    """Makes one clinic's rows, a batch of clients at a time; ids are reserved up front so
    every child row names its parent without reading anything back."""

    def __init__(
        self,
        clinic: Clinic,
        members: dict[str, Membership],
        rng: random.Random,
        pool: _Pool,
        now: dt.datetime,
        responses_per_client: int,
        tables: dict[str, Table],
        counts: dict[str, int],
        seconds: dict[str, float],
    ) -> None:
        from holdspace.courses.models import Room, Visit
        from holdspace.courses.protocols import builtin_protocols
        from holdspace.courses.schedule import schedule_propose

        self.clinic, self.members, self.rng, self.pool = clinic, members, rng, pool
        self.now = now
        self.responses_per_client = responses_per_client
        self.counts, self.seconds = counts, seconds
        self.therapists = [members["therapist"].pk, members["therapist2"].pk]
        self.lead = members["lead"].pk
        self.coordinator = members["coordinator"]
        self.rooms = [
            Room.objects.create(clinic=clinic, name=name).pk for name in ("Linden", "Birch")
        ]
        self.protocol = builtin_protocols()[PROTOCOL]
        self.protocol_json = _dumped(self.protocol.model_dump(mode="json"))
        self.planned_doses = _dumped(
            [d.model_dump(mode="json") for d in self.protocol.medicine_sessions.doses]
        )
        # The schedule of a course starting on a reference day; each course shifts it.
        self.reference = timezone.localdate(now)
        self.proposal = schedule_propose(
            protocol=self.protocol, start_date=self.reference, washout_date=None
        )
        self.course_days = max((v.starts_at.date() - self.reference).days for v in self.proposal)
        # Each visit's label, reason, needs and dose, made once (the phrases are the same for
        # every course; rendering them per visit would be most of the time otherwise).
        self.visit_texts = []
        for item in self.proposal:
            sample = Visit()
            sample.label, sample.why, sample.needs = item.label, item.why, item.needs
            self.visit_texts.append(
                (
                    sample.label_stored,
                    sample.why_stored,
                    sample.needs_stored,
                    _dumped(sample.phrases),
                    None if item.planned_dose is None else _dumped(item.planned_dose),
                )
            )
        self.tables = tables
        self.screened: dict[int, dt.date] = {}  # the batch's clients: when screening began

    @contextmanager
    def _step(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started

    def _write(self, name: str, rows: Iterable[tuple[Any, ...]]) -> None:
        written = self.tables[name].write(rows)
        self.counts[name] = self.counts.get(name, 0) + written

    def load(self, people: list[tuple[str, str, str]]) -> None:
        rng, now = self.rng, self.now
        with self._step("clients"):
            ids = reserve_ids(Client, len(people))
            phases = rng.choices(
                [str(p) for p in PHASE_SHARES], weights=list(PHASE_SHARES.values()), k=len(ids)
            )
            clinic = self.clinic.pk
            self._write(
                "clients",
                (
                    (pk, clinic, code, phase, now, now)
                    for pk, (code, _g, _f), phase in zip(ids, people, phases, strict=True)
                ),
            )
            self._write(
                "identities",
                (
                    (pk, given, family, dt.date(1950, 1, 1) + dt.timedelta(rng.randrange(20000)))
                    for pk, (_code, given, family) in zip(ids, people, strict=True)
                ),
            )
            self._care_teams(ids)
        clients = list(zip(ids, phases, strict=True))
        with self._step("screening"):
            self._screening(clients)
        with self._step("courses and visits"):
            courses, sessions, notes = self._courses([c for c in clients if c[1] in IN_COURSE])
        with self._step("sessions and notes"):
            self._sessions(sessions)
            self._notes(notes)
        with self._step("measures"):
            self._measures(clients, courses)

    # Care teams and screening ----------------------------------------------------------------

    def _care_teams(self, ids: list[int]) -> None:
        rows = []
        lead, co, medical = (
            str(CareTeamRole.LEAD_THERAPIST),
            str(CareTeamRole.CO_THERAPIST),
            str(CareTeamRole.MEDICAL),
        )
        for pk in ids:
            first, second = self.rng.sample(self.therapists, 2)
            rows.append((pk, first, lead, self.now))
            if self.rng.random() < 0.5:
                rows.append((pk, second, co, self.now))
            rows.append((pk, self.lead, medical, self.now))
        self._write("care team", rows)

    def _screening(self, clients: list[tuple[int, str]]) -> None:
        from holdspace.screening.models import Decision

        rng, now = self.rng, self.now
        by = self.coordinator.user_id
        lead = self.members["lead"].user_id
        medical, psychiatric, vitals, decisions = [], [], [], []
        eligible, refused = (
            str(Decision.ELIGIBLE),
            [str(Decision.NOT_ELIGIBLE), str(Decision.DEFERRED)],
        )
        screening = str(Phase.SCREENING)
        for pk, phase in clients:
            # Screening began 30-900 days ago; facts over the first weeks, the decision after.
            began = now - dt.timedelta(days=rng.randint(30, 900))
            at = began + dt.timedelta(days=rng.randint(0, 10))
            self.screened[pk] = at.date()
            medical.append(
                (
                    pk,
                    at,
                    by,
                    rng.randint(380, 440),
                    "ms",
                    Decimal(rng.randint(50, 110)),
                    rng.randint(155, 195),
                )
            )
            psychiatric.append((pk, at, by))
            vitals.append(
                (
                    pk,
                    at,
                    by,
                    at,
                    rng.randint(105, 139),
                    rng.randint(65, 89),
                    rng.randint(55, 90),
                    Decimal("36.8"),
                )
            )
            # A client still in screening may be waiting for the decision; later ones have it.
            if phase == screening and rng.random() < 0.3:
                continue
            ok = phase != screening or rng.random() < 0.6
            decisions.append(
                (
                    pk,
                    eligible if ok else rng.choice(refused),
                    "" if ok else "Synthetic: not now.",
                    "demo",
                    lead,
                    at + dt.timedelta(days=rng.randint(3, 20)),
                )
            )
        self._write("MedicalHistory", medical)
        self._write("PsychiatricHistory", psychiatric)
        self._write("VitalsReading", vitals)
        self._write("ScreeningDecision", decisions)

    # Courses, visits, sessions, notes -------------------------------------------------------

    def _course_start(self, phase: str) -> dt.date:
        """When a client at this phase started their course (the arc's timing)."""
        span = self.course_days
        offsets: dict[str, tuple[int, int]] = {
            Phase.PREPARATION: (-20, 5),
            Phase.MEDICINE_SESSIONS: (10, span // 2),
            Phase.INTEGRATION: (span // 2, span),
            Phase.FOLLOW_UP: (span, span + 400),
        }
        low, high = offsets.get(phase, (span, span + 400))
        return self.reference - dt.timedelta(days=self.rng.randint(low, max(low, high)))

    def _courses(
        self, clients: list[tuple[int, str]]
    ) -> tuple[dict[int, dt.date], list[Any], list[Any]]:
        """Courses with their team and visits. Returns each client's course start, and the
        past medicine sessions and integration visits (to be given sessions and notes)."""
        from holdspace.courses.models import Course, CourseStatus, CourseTeamRole, Visit, VisitKind

        now, coordinator = self.now, self.coordinator.pk
        t1, t2 = self.therapists
        ids = reserve_ids(Course, len(clients))
        starts = [self._course_start(phase) for _pk, phase in clients]
        active = str(CourseStatus.ACTIVE)
        self._write(
            "courses",
            (
                (
                    pk,
                    self.clinic.pk,
                    PROTOCOL,
                    self.protocol.name,
                    self.protocol_json,
                    active,
                    start,
                    self.planned_doses,
                    coordinator,
                    now - dt.timedelta(days=(self.reference - start).days + 7),
                    now - dt.timedelta(days=(self.reference - start).days + 5),
                )
                for pk, start in zip(ids, starts, strict=True)
            ),
        )
        self._write(
            "course clients",
            ((k, c) for k, (c, _phase) in zip(ids, clients, strict=True)),
        )
        therapist, medical = str(CourseTeamRole.THERAPIST), str(CourseTeamRole.MEDICAL_LEAD)
        self._write(
            "course team",
            (
                row
                for k in ids
                for row in ((k, t1, therapist), (k, t2, therapist), (k, self.lead, medical))
            ),
        )
        # Visits: the protocol's schedule, shifted to each course's start. Medicine sessions
        # first so the visits after them can point at them, as the course service does.
        proposal = sorted(
            zip(self.proposal, self.visit_texts, strict=True),
            key=lambda p: p[0].kind != VisitKind.MEDICINE_SESSION,
        )
        medicine = str(VisitKind.MEDICINE_SESSION)
        integration = str(VisitKind.INTEGRATION)
        visit_ids = reserve_ids(Visit, len(ids) * len(proposal))
        visits, team, sessions, notes = [], [], [], []
        cutoff = now - dt.timedelta(hours=10)  # a session this old has ended
        next_id = iter(visit_ids)
        for i, (course, (client, _phase), start) in enumerate(
            zip(ids, clients, starts, strict=True)
        ):
            shift = dt.timedelta(days=(start - self.reference).days)
            room = self.rooms[i % 2]
            session_visit: dict[int, int] = {}
            for item, (label, why, needs, phrases, dose) in proposal:
                pk = next(next_id)
                at = item.starts_at + shift
                follows = session_visit.get(item.follows) if item.follows is not None else None
                kind = str(item.kind)
                visits.append(
                    (
                        pk,
                        course,
                        kind,
                        item.number,
                        label,
                        at,
                        item.duration_minutes,
                        room if item.in_room else None,
                        follows,
                        why,
                        needs,
                        phrases,
                        dose,
                    )
                )
                team.append((pk, t1))
                if item.all_therapists:
                    team.append((pk, t2))
                if kind == medicine:
                    session_visit[item.number] = pk
                    if at < cutoff:
                        sessions.append((pk, client, at, item.planned_dose, dose))
                elif kind == integration and at < cutoff:
                    notes.append((pk, course, client, at))
        self._write("visits", visits)
        self._write("visit therapists", team)
        started = {client: start for (client, _phase), start in zip(clients, starts, strict=True)}
        return started, sessions, notes

    def _sessions(self, visits: list[tuple[int, int, dt.datetime, Any, Any]]) -> None:
        from holdspace.sessions.models import MedicineSession, SessionStatus

        rng = self.rng
        t1, t2 = self.therapists
        ids = reserve_ids(MedicineSession, len(visits))
        ended = str(SessionStatus.ENDED)
        empty, discharge = (
            _dumped({}),
            _dumped({"vitals_within_limits": True, "suds_at_or_below_baseline": True}),
        )
        hour, minute = dt.timedelta(hours=1), dt.timedelta(minutes=1)
        self._write(
            "sessions",
            (
                (
                    pk,
                    visit,
                    client,
                    self.clinic.pk,
                    ended,
                    empty,
                    dose,
                    start - 30 * minute,
                    start,
                    start + 8 * hour,
                    discharge,
                    "overnight_attendant",
                    "Night attendant on duty",
                    "Synthetic note: a calm session; no concerns.",
                    start + 9 * hour,
                    40,
                    start + 9 * hour,
                )
                for pk, (visit, client, start, _plan, dose) in zip(ids, visits, strict=True)
            ),
        )
        readings, doses, entries, events, team, signatures = [], [], [], [], [], []
        for pk, (_visit, _client, start, plan, _dose) in zip(ids, visits, strict=True):
            plan = plan or {}
            for who in (t1, t2):
                team.append((pk, who, start - 20 * minute))
                signatures.append((pk, who, start + 9 * hour))
            # Vitals every 15-30 minutes from just before the first dose for eight hours,
            # rising to a peak about 2.5 hours in.
            at, end = start - 10 * minute, start + 8 * hour
            first = True
            while at < end:
                lift = max(0.0, 1.0 - abs((at - start).total_seconds() / 3600 - 2.5) / 3)
                readings.append(
                    (
                        pk,
                        at,
                        int(120 + 25 * lift + rng.randint(-6, 6)),
                        int(78 + 12 * lift + rng.randint(-4, 4)),
                        int(68 + 25 * lift + rng.randint(-5, 5)),
                        TEMPERATURES[round(6 * lift)],
                        max(0, min(10, 3 + round(2 * lift) + rng.randint(-1, 1))),
                        first,
                        t2,
                        at,
                    )
                )
                first = False
                at += rng.randint(15, 30) * minute
            given = start + 5 * minute
            doses.append(
                (
                    pk,
                    "initial",
                    "MDMA HCl",
                    Decimal(str(plan.get("initial_mg", 80))),
                    given,
                    "DEMO-LOT-01",
                    t1,
                    t1,
                    given,
                )
            )
            if rng.random() < 0.85:
                given = start + 95 * minute
                doses.append(
                    (
                        pk,
                        "supplemental",
                        "MDMA HCl",
                        Decimal(str(plan.get("supplemental_mg", 40))),
                        given,
                        "DEMO-LOT-01",
                        t1,
                        t1,
                        given,
                    )
                )
            for minutes, kind in ((40, "music_changed"), (100, "crying"), (200, "talking")):
                entries.append((pk, start + minutes * minute, kind, t1, start + minutes * minute))
            if rng.random() < 0.15:
                term = rng.choice(["Euphoria", "Jaw clenching", "Nausea", "Anxiety"])
                events.append(
                    (
                        pk,
                        term,
                        start + 70 * minute,
                        "mild",
                        "pleasant" if term == "Euphoria" else "unpleasant",
                        "probable",
                        "resolved",
                        t1,
                        start + 80 * minute,
                    )
                )
        self._write("TeamPresence", team)
        self._write("VitalReading", readings)
        self._write("Dose", doses)
        self._write("TimelineEntry", entries)
        self._write("AdverseEvent", events)
        self._write("NoteSignature", signatures)

    def _notes(self, visits: list[tuple[int, int, int, dt.datetime]]) -> None:
        t1 = self.therapists[0]
        text = "Synthetic integration note: themes from the session, next steps."
        two, three = dt.timedelta(hours=2), dt.timedelta(hours=3)
        self._write(
            "IntegrationNote",
            (
                (course, client, visit, text, t1, at + two, at + two, at + three, t1)
                for visit, course, client, at in visits
            ),
        )

    # Measures -------------------------------------------------------------------------------

    def _measures(self, clients: list[tuple[int, str]], course_start: dict[int, dt.date]) -> None:
        """Responses with scores, three instruments a sitting, about `responses_per_client` on
        average: a client in a course has sat every two weeks up to the last fortnight
        (improving after the course starts); the others sat twice from their screening on. No
        more than one sitting a fortnight, so a month holds what a clinic would see."""
        from holdspace.measures.models import EnteredBy, Response

        rng, reference = self.rng, self.reference
        in_course = max(1, len(course_start))
        # In-course clients answer more often; the average over everyone is the target.
        total = self.responses_per_client * len(clients)
        others = len(clients) - len(course_start)
        per_other = min(6, self.responses_per_client)
        per_course = max(1, (total - per_other * others) // in_course)
        counts = [per_course if pk in course_start else per_other for pk, _phase in clients]
        ids = iter(reserve_ids(Response, sum(counts)))
        by = self.coordinator.user_id
        clinician = str(EnteredBy.CLINICIAN)
        ten = dt.time(10)
        clinic = self.clinic.pk
        responses, scores = [], []
        for (client, _phase), count in zip(clients, counts, strict=True):
            start = course_start.get(client)
            severity = rng.uniform(0.45, 0.85)
            sittings = -(-count // len(INSTRUMENTS))
            if start is not None:  # back from the last fortnight, before the course if need be
                first = reference - dt.timedelta(days=rng.randint(0, 13) + 14 * (sittings - 1))
            else:
                first = self.screened[client]
            for i in range(count):
                code = INSTRUMENTS[i % len(INSTRUMENTS)]
                day = min(reference, first + dt.timedelta(days=14 * (i // len(INSTRUMENTS))))
                treated = start is not None and day > start
                weeks = (day - start).days / 7 if treated and start else 0
                level = max(0.02, severity - (0.04 * weeks if treated else 0))
                level = min(0.98, level + rng.uniform(-0.05, 0.05))
                answers, version, score, subscales, band, flags = self.pool.draw(code, level)
                at = dt.datetime.combine(day, ten, tzinfo=dt.UTC)
                pk = next(ids)
                responses.append((pk, client, code, version, answers, clinician, by, at, at, at))
                # No assignment behind these responses: no timepoint (blank, as services store).
                scores.append(
                    (pk, client, clinic, code, version, score, subscales, band, flags, at, day, "")
                )
        self._write("responses", responses)
        self._write("scores", scores)
        self.screened.clear()


def _tables() -> dict[str, Table]:
    """The columns each step gives, in the order its tuples hold them."""
    from holdspace.courses.models import Course, CourseTeamMember, Visit
    from holdspace.integration.models import IntegrationNote
    from holdspace.measures.models import Response, Score
    from holdspace.screening.models import (
        MedicalHistory,
        PsychiatricHistory,
        ScreeningDecision,
        VitalsReading,
    )
    from holdspace.sessions.models import (
        AdverseEvent,
        Dose,
        MedicineSession,
        NoteSignature,
        TeamPresence,
        TimelineEntry,
        VitalReading,
    )

    columns: dict[str, tuple[type[models.Model], str]] = {
        "clients": (Client, "id clinic_id code phase created_at updated_at"),
        "identities": (ClientIdentity, "client_id given_name family_name birth_date"),
        "care team": (CareTeamMember, "client_id membership_id role added_at"),
        "MedicalHistory": (
            MedicalHistory,
            "client_id recorded_at recorded_by_id qtc_value qtc_unit weight_kg height_cm",
        ),
        "PsychiatricHistory": (PsychiatricHistory, "client_id recorded_at recorded_by_id"),
        "VitalsReading": (
            VitalsReading,
            "client_id recorded_at recorded_by_id measured_at systolic diastolic heart_rate "
            "temperature_c",
        ),
        "ScreeningDecision": (
            ScreeningDecision,
            "client_id decision reason ruleset_version signed_by_id signed_at",
        ),
        "courses": (
            Course,
            "id clinic_id template_key template_name protocol status start_date planned_doses "
            "created_by_id created_at accepted_at",
        ),
        "course clients": (Course.clients.through, "course_id client_id"),
        "course team": (CourseTeamMember, "course_id membership_id role"),
        "visits": (
            Visit,
            "id course_id kind number label_stored starts_at duration_minutes room_id "
            "follows_id why_stored needs_stored phrases planned_dose",
        ),
        "visit therapists": (Visit.therapists.through, "visit_id membership_id"),
        "sessions": (
            MedicineSession,
            "id visit_id client_id clinic_id status checklist planned_dose opened_at started_at "
            "ended_at discharge disposition companion_name note_text note_locked_at version "
            "updated_at",
        ),
        "TeamPresence": (TeamPresence, "session_id membership_id attested_sober_at"),
        "VitalReading": (
            VitalReading,
            "session_id taken_at systolic diastolic heart_rate temperature suds is_baseline "
            "recorded_by_id recorded_at",
        ),
        "Dose": (
            Dose,
            "session_id kind substance mg given_at lot_number given_by_id recorded_by_id "
            "recorded_at",
        ),
        "TimelineEntry": (TimelineEntry, "session_id at kind by_id recorded_at"),
        "AdverseEvent": (
            AdverseEvent,
            "session_id term onset_at severity valence relatedness outcome reported_by_id "
            "reported_at",
        ),
        "NoteSignature": (NoteSignature, "session_id membership_id signed_at"),
        "IntegrationNote": (
            IntegrationNote,
            "course_id client_id visit_id text author_id created_at updated_at signed_at "
            "signed_by_id",
        ),
        "responses": (
            Response,
            "id client_id instrument_code definition_version answers entered_by "
            "entered_by_user_id started_at updated_at submitted_at",
        ),
        "scores": (
            Score,
            "response_id client_id clinic_id instrument_code definition_version total subscales "
            "band "
            "flags scored_at observed_on timepoint",
        ),
    }
    return {name: Table(model, names.split()) for name, (model, names) in columns.items()}
