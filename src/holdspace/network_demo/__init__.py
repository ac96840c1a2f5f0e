"""`holdspace demo --scale network`: a large synthetic network with the whole arc, for benchmarks.

Made up from a seed (same seed, same data), never real. Every clinic gets the demo's staff
(same password and TOTP secret as the small demo, so they can sign in) and clients at every
phase: screening facts and a decision for each, a course for about a third (visits from the
real protocol's schedule), finished medicine sessions for the course's past medicine visits
(vitals every 15-30 minutes, doses, some adverse events, a signed note), integration notes,
and measure responses with their scores. Rows go in with bulk inserts, clinic by clinic and
batch by batch, so memory stays flat; one audit row per clinic says the load happened.

It does not go through the services (which audit every row and would take hours at this
size): it is benchmark data. The proportions, at 50,000 clients: ~16,700 courses, ~20,000
finished sessions, ~500,000 readings, ~2 million responses, each with its score.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import random
from collections.abc import Iterator
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


@contextmanager
def _stored_times(*model_classes: type[models.Model]) -> Iterator[None]:
    """Let bulk inserts keep the times given (auto_now fields would all say 'now')."""
    saved = []
    for model in model_classes:
        for f in model._meta.concrete_fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                saved.append((f, f.auto_now, f.auto_now_add))  # type: ignore[attr-defined]
                f.auto_now = f.auto_now_add = False  # type: ignore[attr-defined]
    try:
        yield
    finally:
        for f, now, add in saved:
            f.auto_now, f.auto_now_add = now, add  # type: ignore[attr-defined]


def _batched(model: type[models.Model], rows: list[Any], size: int) -> list[Any]:
    """Insert rows in batches; on PostgreSQL with COPY (ids drawn from the sequence first)."""
    if connection.vendor == "postgresql":
        for start in range(0, len(rows), size):
            _copy_rows(model, rows[start : start + size])
        return rows
    made: list[Any] = []
    for start in range(0, len(rows), size):
        made.extend(model._default_manager.bulk_create(rows[start : start + size]))
    return made


def _copy_rows(model: type[models.Model], rows: list[Any]) -> None:
    """COPY is several times faster than INSERT for large loads. Values are prepared by each
    field as an INSERT would prepare them (JSON, decimals, times), auto_now fields aside."""
    if not rows:
        return
    meta = model._meta
    fields = list(meta.concrete_fields)
    pk = meta.pk
    assert pk is not None  # noqa: S101  (every model has one)
    with connection.cursor() as cursor:
        missing = [row for row in rows if row.pk is None]
        if missing:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, pk.column, len(missing)],
            )
            for row, (new_id,) in zip(missing, cursor.fetchall(), strict=True):
                row.pk = new_id
        columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
        table = connection.ops.quote_name(meta.db_table)
        raw = cursor.cursor  # psycopg's own cursor, for COPY
        json_fields = {f.attname for f in fields if isinstance(f, models.JSONField)}
        dumped: dict[int, str] = {}  # the answer pool's dicts recur: dump each once

        def prepared(f: models.Field[Any, Any], row: Any) -> Any:
            value = f.pre_save(row, True)
            if f.attname in json_fields and value is not None:  # None: SQL NULL, as Django
                key = id(value)
                if key not in dumped:
                    dumped[key] = json.dumps(value)
                return dumped[key]
            if isinstance(value, enum.Enum):  # choices: their value, not psycopg's enum name
                return value.value
            return value

        with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([prepared(f, row) for f in fields])


class _Pool:
    """Scored answer sets per instrument, scored once by the real scoring code and reused."""

    def __init__(self, rng: random.Random, size: int = 400) -> None:
        from holdspace.measures import library, scoring

        self.entries: dict[str, list[tuple[dict[str, int], Any]]] = {}
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
                rows.append((answers, scoring.score(definition, answers)))
            self.entries[code] = rows

    def draw(self, code: str, level: float) -> tuple[dict[str, int], Any]:
        rows = self.entries[code]
        index = max(0, min(len(rows) - 1, int(level * len(rows))))
        return rows[index]


def demo_build_network(
    *,
    seed: int = 1,
    clinics: int = 20,
    clients: int = 50_000,
    batch_size: int = 5_000,
    responses_per_client: int = RESPONSES_PER_CLIENT,
    progress: Any = None,
) -> Any:
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
    now = timezone.now().replace(microsecond=0)
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
                clinic, members, rng, pool, now, batch_size, responses_per_client
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
        if progress is not None:
            progress(number, clinics, loader.counts)
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
    def __init__(
        self,
        clinic: Clinic,
        members: dict[str, Membership],
        rng: random.Random,
        pool: _Pool,
        now: dt.datetime,
        batch_size: int,
        responses_per_client: int,
    ) -> None:
        from holdspace.courses.models import Room, Visit
        from holdspace.courses.protocols import builtin_protocols
        from holdspace.courses.schedule import schedule_propose

        self.clinic, self.members, self.rng, self.pool = clinic, members, rng, pool
        self.now, self.batch = now, batch_size
        self.responses_per_client = responses_per_client
        self.therapists = [members["therapist"], members["therapist2"]]
        self.lead = members["lead"]
        self.rooms = [Room.objects.create(clinic=clinic, name=name) for name in ("Linden", "Birch")]
        self.protocol = builtin_protocols()[PROTOCOL]
        self.protocol_json = self.protocol.model_dump(mode="json")
        self.planned_doses = [
            d.model_dump(mode="json") for d in self.protocol.medicine_sessions.doses
        ]
        # The schedule of a course starting on a reference day; each course shifts it.
        self.reference = timezone.localdate(now)
        self.proposal = schedule_propose(
            protocol=self.protocol, start_date=self.reference, washout_date=None
        )
        self.course_days = max((v.starts_at.date() - self.reference).days for v in self.proposal)
        # Each visit's label, reason and needs, rendered once (the phrases are the same for
        # every course; rendering them per visit is most of the time otherwise).
        self.visit_texts = []
        for item in self.proposal:
            sample = Visit()
            sample.label, sample.why, sample.needs = item.label, item.why, item.needs
            self.visit_texts.append(
                {
                    "label_stored": sample.label_stored,
                    "why_stored": sample.why_stored,
                    "needs_stored": sample.needs_stored,
                    "phrases": sample.phrases,
                }
            )
        self.counts: dict[str, int] = {}

    def _count(self, key: str, n: int) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    def load(self, people: list[tuple[str, str, str]]) -> None:
        phases = list(PHASE_SHARES)
        weights = list(PHASE_SHARES.values())
        batch = [
            Client(
                clinic=self.clinic,
                code=code,
                phase=self.rng.choices(phases, weights=weights)[0],
                created_at=self.now,
                updated_at=self.now,
            )
            for code, _g, _f in people
        ]
        with _stored_times(Client):
            created = _batched(Client, batch, self.batch)
        if any(c.pk is None for c in created):  # backends without RETURNING ids
            by_code = Client.objects.in_bulk([c.code for c in batch], field_name="code")
            created = [by_code[c.code] for c in batch]
        _batched(
            ClientIdentity,
            [
                ClientIdentity(
                    client=c,
                    given_name=given,
                    family_name=family,
                    birth_date=dt.date(1950, 1, 1) + dt.timedelta(days=self.rng.randrange(20000)),
                )
                for c, (_code, given, family) in zip(created, people, strict=True)
            ],
            self.batch,
        )
        self._count("clients", len(created))
        self._care_teams(created)
        self._screening(created)
        courses = self._courses([c for c in created if c.phase in IN_COURSE])
        self._measures(created, courses)

    # Care teams and screening ----------------------------------------------------------------

    def _care_teams(self, clients: list[Client]) -> None:
        rows = []
        for c in clients:
            first, second = self.rng.sample(self.therapists, 2)
            rows.append(
                CareTeamMember(client=c, membership=first, role=CareTeamRole.LEAD_THERAPIST)
            )
            if self.rng.random() < 0.5:
                rows.append(
                    CareTeamMember(client=c, membership=second, role=CareTeamRole.CO_THERAPIST)
                )
            rows.append(CareTeamMember(client=c, membership=self.lead, role=CareTeamRole.MEDICAL))
        _batched(CareTeamMember, rows, self.batch)

    def _screening(self, clients: list[Client]) -> None:
        from holdspace.screening.models import (
            Decision,
            MedicalHistory,
            PsychiatricHistory,
            ScreeningDecision,
            VitalsReading,
        )

        coordinator = self.members["coordinator"].user
        lead = self.lead.user
        medical, psychiatric, vitals, decisions = [], [], [], []
        for c in clients:
            # Screening began 30-900 days ago; facts over the first weeks, the decision after.
            began = self.now - dt.timedelta(days=self.rng.randint(30, 900))
            at = began + dt.timedelta(days=self.rng.randint(0, 10))
            medical.append(
                MedicalHistory(
                    client=c,
                    recorded_at=at,
                    recorded_by=coordinator,
                    qtc_value=self.rng.randint(380, 440),
                    qtc_unit="ms",
                    weight_kg=Decimal(self.rng.randint(50, 110)),
                    height_cm=self.rng.randint(155, 195),
                )
            )
            psychiatric.append(
                PsychiatricHistory(client=c, recorded_at=at, recorded_by=coordinator)
            )
            vitals.append(
                VitalsReading(
                    client=c,
                    recorded_at=at,
                    recorded_by=coordinator,
                    measured_at=at,
                    systolic=self.rng.randint(105, 139),
                    diastolic=self.rng.randint(65, 89),
                    heart_rate=self.rng.randint(55, 90),
                    temperature_c=Decimal("36.8"),
                )
            )
            # A client still in screening may be waiting for the decision; later ones have it.
            if c.phase == Phase.SCREENING and self.rng.random() < 0.3:
                continue
            eligible = c.phase != Phase.SCREENING or self.rng.random() < 0.6
            decisions.append(
                ScreeningDecision(
                    client=c,
                    decision=Decision.ELIGIBLE
                    if eligible
                    else self.rng.choice([Decision.NOT_ELIGIBLE, Decision.DEFERRED]),
                    reason="" if eligible else "Synthetic: not now.",
                    ruleset_version="demo",
                    signed_by=lead,
                    signed_at=at + dt.timedelta(days=self.rng.randint(3, 20)),
                )
            )
        with _stored_times(MedicalHistory, PsychiatricHistory, VitalsReading):
            for model, rows in (
                (MedicalHistory, medical),
                (PsychiatricHistory, psychiatric),
                (VitalsReading, vitals),
                (ScreeningDecision, decisions),
            ):
                _batched(model, rows, self.batch)
                self._count(model.__name__, len(rows))

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

    def _courses(self, clients: list[Client]) -> list[Any]:
        from holdspace.courses.models import (
            Course,
            CourseStatus,
            CourseTeamMember,
            CourseTeamRole,
            Visit,
            VisitKind,
        )

        courses, starts = [], []
        for c in clients:
            start = self._course_start(c.phase)
            starts.append(start)
            courses.append(
                Course(
                    clinic=self.clinic,
                    template_key=PROTOCOL,
                    template_name=self.protocol.name,
                    protocol=self.protocol_json,
                    status=CourseStatus.ACTIVE,
                    start_date=start,
                    planned_doses=self.planned_doses,
                    created_by=self.members["coordinator"],
                    created_at=self.now - dt.timedelta(days=(self.reference - start).days + 7),
                    accepted_at=self.now - dt.timedelta(days=(self.reference - start).days + 5),
                )
            )
        with _stored_times(Course):
            courses = _batched(Course, courses, self.batch)
        through = Course.clients.through
        _batched(
            through,
            [
                through(course_id=k.pk, client_id=c.pk)
                for k, c in zip(courses, clients, strict=True)
            ],
            self.batch,
        )
        team = []
        for k in courses:
            team += [
                CourseTeamMember(course=k, membership=t, role=CourseTeamRole.THERAPIST)
                for t in self.therapists
            ]
            team.append(
                CourseTeamMember(course=k, membership=self.lead, role=CourseTeamRole.MEDICAL_LEAD)
            )
        _batched(CourseTeamMember, team, self.batch)
        self._count("courses", len(courses))
        # Visits: the protocol's schedule, shifted to each course's start.
        visits: list[Any] = []
        for k, start in zip(courses, starts, strict=True):
            shift = dt.timedelta(days=(start - self.reference).days)
            room = self.rooms[k.pk % 2]
            for item, texts in zip(self.proposal, self.visit_texts, strict=True):
                visits.append(
                    Visit(
                        course=k,
                        kind=item.kind,
                        number=item.number,
                        starts_at=item.starts_at + shift,
                        duration_minutes=item.duration_minutes,
                        room=room if item.in_room else None,
                        planned_dose=item.planned_dose,
                        **texts,
                    )
                )
        visits = _batched(Visit, visits, self.batch)
        therapists = Visit.therapists.through
        _batched(
            therapists,
            [
                therapists(visit_id=v.pk, membership_id=t.pk)
                for v in visits
                for t in self.therapists
            ],
            self.batch,
        )
        self._count("visits", len(visits))
        client_of = {k.pk: c for k, c in zip(courses, clients, strict=True)}
        past = [v for v in visits if v.starts_at + dt.timedelta(hours=10) < self.now]
        self._sessions(
            [(v, client_of[v.course_id]) for v in past if v.kind == VisitKind.MEDICINE_SESSION]
        )
        self._notes([(v, client_of[v.course_id]) for v in past if v.kind == VisitKind.INTEGRATION])
        return list(zip(courses, clients, starts, strict=True))

    def _sessions(self, visits: list[tuple[Any, Client]]) -> None:
        from holdspace.sessions.models import (
            AdverseEvent,
            Dose,
            MedicineSession,
            NoteSignature,
            SessionStatus,
            TeamPresence,
            TimelineEntry,
            VitalReading,
        )

        t1, t2 = self.therapists
        sessions: list[Any] = []
        for visit, client in visits:
            opened: dt.datetime = visit.starts_at
            sessions.append(
                MedicineSession(
                    visit=visit,
                    client=client,
                    clinic=self.clinic,
                    status=SessionStatus.ENDED,
                    checklist={},
                    planned_dose=visit.planned_dose,
                    opened_at=opened - dt.timedelta(minutes=30),
                    started_at=opened,
                    ended_at=opened + dt.timedelta(hours=8),
                    discharge={"vitals_within_limits": True, "suds_at_or_below_baseline": True},
                    disposition="overnight_attendant",
                    companion_name="Night attendant on duty",
                    note_text="Synthetic note: a calm session; no concerns.",
                    note_locked_at=opened + dt.timedelta(hours=9),
                    version=40,
                    updated_at=opened + dt.timedelta(hours=9),
                )
            )
        with _stored_times(MedicineSession):
            sessions = _batched(MedicineSession, sessions, self.batch)
        self._count("sessions", len(sessions))
        readings, doses, entries, events, team, signatures = [], [], [], [], [], []
        for s in sessions:
            start: dt.datetime = s.started_at or self.now
            plan = s.planned_dose or {}
            for who in (t1, t2):
                team.append(
                    TeamPresence(
                        session=s,
                        membership=who,
                        attested_sober_at=start - dt.timedelta(minutes=20),
                    )
                )
                signatures.append(
                    NoteSignature(
                        session=s, membership=who, signed_at=start + dt.timedelta(hours=9)
                    )
                )
            at = start - dt.timedelta(minutes=10)
            first = True
            end = start + dt.timedelta(hours=8)
            while at < end:
                peak = 1.0 - abs((at - start).total_seconds() / 3600 - 2.5) / 3
                lift = max(0.0, peak)
                readings.append(
                    VitalReading(
                        session=s,
                        taken_at=at,
                        systolic=int(120 + 25 * lift + self.rng.randint(-6, 6)),
                        diastolic=int(78 + 12 * lift + self.rng.randint(-4, 4)),
                        heart_rate=int(68 + 25 * lift + self.rng.randint(-5, 5)),
                        temperature=Decimal("36.7") + Decimal(round(0.6 * lift, 1)),
                        suds=max(0, min(10, 3 + round(2 * lift) + self.rng.randint(-1, 1))),
                        is_baseline=first,
                        recorded_by=t2,
                        recorded_at=at,
                    )
                )
                first = False
                at += dt.timedelta(minutes=self.rng.randint(15, 30))
            doses.append(
                Dose(
                    session=s,
                    kind="initial",
                    substance="MDMA HCl",
                    mg=Decimal(str(plan.get("initial_mg", 80))),
                    given_at=start + dt.timedelta(minutes=5),
                    lot_number="DEMO-LOT-01",
                    given_by=t1,
                    recorded_by=t1,
                    recorded_at=start + dt.timedelta(minutes=5),
                )
            )
            if self.rng.random() < 0.85:
                doses.append(
                    Dose(
                        session=s,
                        kind="supplemental",
                        substance="MDMA HCl",
                        mg=Decimal(str(plan.get("supplemental_mg", 40))),
                        given_at=start + dt.timedelta(minutes=95),
                        lot_number="DEMO-LOT-01",
                        given_by=t1,
                        recorded_by=t1,
                        recorded_at=start + dt.timedelta(minutes=95),
                    )
                )
            for minutes, kind in ((40, "music_changed"), (100, "crying"), (200, "talking")):
                entries.append(
                    TimelineEntry(
                        session=s,
                        at=start + dt.timedelta(minutes=minutes),
                        kind=kind,
                        by=t1,
                        recorded_at=start + dt.timedelta(minutes=minutes),
                    )
                )
            if self.rng.random() < 0.15:
                term = self.rng.choice(["Euphoria", "Jaw clenching", "Nausea", "Anxiety"])
                events.append(
                    AdverseEvent(
                        session=s,
                        term=term,
                        onset_at=start + dt.timedelta(minutes=70),
                        severity="mild",
                        valence="pleasant" if term == "Euphoria" else "unpleasant",
                        relatedness="probable",
                        outcome="resolved",
                        reported_by=t1,
                        reported_at=start + dt.timedelta(minutes=80),
                    )
                )
        with _stored_times(VitalReading, Dose, TimelineEntry, AdverseEvent, NoteSignature):
            for model, rows in (
                (TeamPresence, team),
                (VitalReading, readings),
                (Dose, doses),
                (TimelineEntry, entries),
                (AdverseEvent, events),
                (NoteSignature, signatures),
            ):
                _batched(model, rows, self.batch)
                self._count(model.__name__, len(rows))

    def _notes(self, visits: list[tuple[Any, Client]]) -> None:
        from holdspace.integration.models import IntegrationNote

        t1 = self.therapists[0]
        notes = [
            IntegrationNote(
                course_id=visit.course_id,
                client=client,
                visit=visit,
                text="Synthetic integration note: themes from the session, next steps.",
                author=t1,
                created_at=visit.starts_at + dt.timedelta(hours=2),
                updated_at=visit.starts_at + dt.timedelta(hours=2),
                signed_at=visit.starts_at + dt.timedelta(hours=3),
                signed_by=t1,
            )
            for visit, client in visits
        ]
        with _stored_times(IntegrationNote):
            _batched(IntegrationNote, notes, self.batch)
        self._count("IntegrationNote", len(notes))

    # Measures -------------------------------------------------------------------------------

    def _measures(self, clients: list[Client], courses: list[Any]) -> None:
        """Responses with scores: monthly for clients in a course (improving after it starts),
        a few at screening for the rest, about `responses_per_client` on average."""
        from holdspace.measures.models import EnteredBy, Response, Score

        course_start = {c.pk: start for _k, c, start in courses}
        in_course = max(1, len(course_start))
        # In-course clients answer more often; the average over everyone is the target.
        total = self.responses_per_client * len(clients)
        others = len(clients) - in_course
        per_other = min(6, self.responses_per_client)
        per_course = max(1, (total - per_other * others) // in_course)
        entered_by = self.members["coordinator"].user
        responses: list[Any] = []
        scores: list[Any] = []

        def flush() -> None:
            with _stored_times(Response):
                made = _batched(Response, responses, self.batch)
            _batched(
                Score,
                [
                    Score(
                        response=r,
                        client_id=r.client_id,
                        instrument_code=r.instrument_code,
                        definition_version=r.definition_version,
                        total=result.total,
                        subscales=result.subscales,
                        band=result.band or "",
                        flags=result.flags,
                        scored_at=r.submitted_at,
                        observed_on=r.submitted_at.date(),
                    )
                    for r, result in zip(made, scores, strict=True)
                ],
                self.batch,
            )
            self._count("responses", len(made))
            responses.clear()
            scores.clear()

        for c in clients:
            start = course_start.get(c.pk)
            count = per_course if start is not None else per_other
            severity = self.rng.uniform(0.45, 0.85)
            first = (start or self.reference) - dt.timedelta(days=30)
            for i in range(count):
                code = INSTRUMENTS[i % len(INSTRUMENTS)]
                # Three instruments per sitting, sittings every ~2 weeks from before the course.
                day = first + dt.timedelta(days=14 * (i // len(INSTRUMENTS)))
                if day > self.reference:
                    day = self.reference - dt.timedelta(days=self.rng.randint(0, 30))
                treated = start is not None and day > start
                weeks = (day - start).days / 7 if treated and start else 0
                level = max(0.02, severity - (0.04 * weeks if treated else 0))
                level = min(0.98, level + self.rng.uniform(-0.05, 0.05))
                answers, result = self.pool.draw(code, level)
                at = dt.datetime.combine(day, dt.time(10), tzinfo=dt.UTC)
                responses.append(
                    Response(
                        client=c,
                        instrument_code=code,
                        definition_version=result.version,
                        answers=answers,
                        entered_by=EnteredBy.CLINICIAN,
                        entered_by_user=entered_by,
                        started_at=at,
                        updated_at=at,
                        submitted_at=at,
                    )
                )
                scores.append(result)
            if len(responses) >= self.batch:
                flush()
        if responses:
            flush()
