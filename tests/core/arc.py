"""One client's whole arc of care, for tests that walk the whole site and API.

The synthetic demo (`demo_build`) makes the arc through the apps' own services; a north client
with a running medicine session has the richest record. The few records the demo leaves out for
that client (a medication, an addendum, a journal entry...) are added here, and every free-text
and identity field of the client's record can then be overwritten with a distinct canary string,
so a walk can tell exactly which field leaked where.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import models
from django.utils import timezone

from holdspace.people.demo import demo_build
from holdspace.people.models import Client, Clinic, Membership, Role

from ..factories import MembershipFactory

# (model, field, lookup from the model to its client, kind). "identity": names and contact;
# "clinical": clinical free text. Researchers may read neither; staff outside the client's
# scope and other clients may read nothing of the record.
CANARY_FIELDS: list[tuple[str, str, str, str]] = [
    ("people.ClientIdentity", "given_name", "client", "identity"),
    ("people.ClientIdentity", "family_name", "client", "identity"),
    ("people.ClientIdentity", "email", "client", "identity"),
    ("people.ClientIdentity", "phone", "client", "identity"),
    ("screening.Medication", "name", "client", "clinical"),
    ("screening.Medication", "dose", "client", "clinical"),
    ("screening.PriorExperience", "intention", "client", "clinical"),
    ("screening.PriorExperience", "co_used_substances", "client", "clinical"),
    ("screening.PriorExperience", "notes", "client", "clinical"),
    ("screening.ScreeningDecision", "reason", "client", "clinical"),
    ("preparation.Preparation", "intentions", "client", "clinical"),
    ("preparation.Preparation", "music_playlist", "client", "clinical"),
    ("preparation.Preparation", "ride_home", "client", "clinical"),
    ("preparation.Preparation", "overnight_plan", "client", "clinical"),
    ("preparation.Preparation", "overnight_attendant", "client", "clinical"),
    ("integration.IntegrationNote", "text", "client", "clinical"),
    ("integration.NoteAddendum", "text", "note__client", "clinical"),
    ("integration.CheckIn", "comment", "client", "clinical"),
    ("integration.JournalEntry", "text", "client", "clinical"),
    ("medicine_sessions.MedicineSession", "companion_name", "client", "clinical"),
    ("medicine_sessions.MedicineSession", "note_text", "client", "clinical"),
    ("medicine_sessions.TimelineEntry", "text", "session__client", "clinical"),
    ("medicine_sessions.AdverseEvent", "term", "session__client", "clinical"),
    ("medicine_sessions.AdverseEvent", "action", "session__client", "clinical"),
    ("medicine_sessions.Dose", "reason", "session__client", "clinical"),
    ("medicine_sessions.SessionAlert", "action_taken", "session__client", "clinical"),
    ("measures.SafetyAlert", "action_taken", "client", "clinical"),
]


@dataclass
class Arc:
    clinic: Clinic
    client: Client
    staff: dict[str, Membership]  # by demo login at north, plus "south_lead", "off_team"
    ids: dict[str, Any]  # path parameters that resolve for this client
    canaries: dict[str, tuple[str, str]] = field(default_factory=dict)  # canary -> (where, kind)


def build_arc() -> Arc:
    demo_build(seed=1, with_cohort=False)
    clinic = Clinic.objects.get(slug="north")
    session_model = apps.get_model("medicine_sessions", "MedicineSession")
    session = (
        session_model.objects.filter(clinic=clinic, status="running")
        .select_related("client", "visit__course")
        .get()
    )
    client = session.client
    staff = {m.user.email.split("@")[0]: m for m in Membership.objects.filter(clinic=clinic)}
    staff["south_lead"] = Membership.objects.get(user__email="lead@south.demo")
    staff["off_team"] = MembershipFactory(
        clinic=clinic, role=Role.THERAPIST, user__email="offteam@north.test"
    )
    _complete(client, session, staff)
    course = session.visit.course
    note = apps.get_model("integration", "IntegrationNote").objects.filter(client=client).first()
    response = apps.get_model("measures", "Response").objects.filter(client=client).first()
    ids = {
        "code": client.code,
        "client_code": client.code,
        "session_id": session.pk,
        "session_pk": session.pk,  # the fidelity rating page of this session
        "course_id": course.pk,
        "visit_id": session.visit.pk,
        "note_id": note.pk,
        "medication_id": apps.get_model("screening", "Medication")
        .objects.filter(client=client)
        .first()
        .pk,
        "reading_id": apps.get_model("medicine_sessions", "VitalReading")
        .objects.filter(session=session)
        .first()
        .pk,
        "response_id": response.pk,
        "instrument_code": response.instrument_code,
        "group_id": f"clinic-{clinic.slug}",
        # A finished FHIR Bulk export of the lead's (the API walk signs in as the lead).
        "job_id": _bulk_export(staff["lead"]).pk,
        "name": "Patient.ndjson",
        # The demo study (two arms, two sites) that the lead's clinic sponsors.
        "study_id": apps.get_model("studies", "Study").objects.get(sponsor_clinic=clinic).pk,
        # One of its team (the study team page), and an invitation to the clinic to run another.
        "member_pk": apps.get_model("studies", "StudyMember")
        .objects.filter(study__sponsor_clinic=clinic)
        .first()
        .pk,
        "invitation_pk": _invitation_to(clinic, staff["south_lead"]).pk,
    }
    return Arc(clinic=clinic, client=client, staff=staff, ids=ids)


def _invitation_to(clinic: Clinic, other_lead: Membership) -> Any:
    """A study sponsored by another clinic that invites this one to be a site (pending)."""
    from holdspace.people.actors import Actor
    from holdspace.studies import services, team

    by = Actor.command_line(other_lead)
    study = services.study_create(
        by=by,
        code="invited-study",
        title="A study another clinic invites this one to",
        arms=[("a", "A", 1), ("b", "B", 1)],
        sites=[],
        strata=["all"],
    )
    return team.site_invite(by=by, study=study, clinic_slug=clinic.slug)


def _bulk_export(lead: Membership) -> Any:
    from holdspace.exports.services import export_start
    from holdspace.people.actors import Actor

    return export_start(by=Actor.command_line(lead), format="fhir", types=["Patient"])


def _clone_for(model_label: str, lookup: str, target: Any, **changes: Any) -> None:
    """Give the client a row like one the demo made for someone else, if it has none."""
    model = apps.get_model(model_label)
    if model.objects.filter(**{lookup: target}).exists():
        return
    row = model.objects.exclude(**{lookup: target}).first()
    assert row is not None, f"the demo made no {model_label} to copy"
    row.pk = None
    row.id = None
    for name, value in changes.items():
        setattr(row, name, value)
    row.save()


def _complete(client: Client, session: Any, staff: dict[str, Membership]) -> None:
    """Add what the demo leaves out of this client's record."""
    get = apps.get_model
    lead = staff["lead"]
    if not get("screening", "Medication").objects.filter(client=client).exists():
        get("screening", "Medication").objects.create(
            client=client, recorded_by=lead.user, name="sertraline", dose="50 mg"
        )
    _clone_for("screening.PriorExperience", "client", client, client=client)
    _clone_for("screening.ScreeningDecision", "client", client, client=client)
    _clone_for("measures.Response", "client", client, client=client, assignment=None)
    _clone_for("measures.SafetyAlert", "client", client, client=client)
    _clone_for("integration.CheckIn", "client", client, client=client)
    _clone_for("medicine_sessions.AdverseEvent", "session", session, session=session)
    _clone_for("medicine_sessions.TimelineEntry", "session", session, session=session)
    _clone_for("medicine_sessions.Dose", "session", session, session=session)
    _clone_for("medicine_sessions.SessionAlert", "session", session, session=session, reading=None)
    note_model = get("integration", "IntegrationNote")
    note = note_model.objects.filter(client=client).first()
    if note is None:
        _clone_for(
            "integration.IntegrationNote",
            "client",
            client,
            client=client,
            course=session.visit.course,
            visit=None,
        )
        note = note_model.objects.get(client=client)
    if note.signed_at is None:
        note_model.objects.filter(pk=note.pk).update(
            signed_at=timezone.now(), signed_by=staff["therapist"]
        )
    if not get("integration", "NoteAddendum").objects.filter(note=note).exists():
        get("integration", "NoteAddendum").objects.create(
            note=note, text="addendum", author=staff["therapist"]
        )
    if not get("integration", "JournalEntry").objects.filter(client=client).exists():
        get("integration", "JournalEntry").objects.create(client=client, text="journal")


def plant_canaries(arc: Arc) -> None:
    """Overwrite every free-text and identity field of the client's record with a canary."""
    numbers = itertools.count(1)
    for label, name, lookup, kind in CANARY_FIELDS:
        model = apps.get_model(label)
        rows = list(model.objects.filter(**{lookup: arc.client}).values_list("pk", flat=True))
        assert rows, f"{label} has no row for the planted client"
        for pk in rows:
            where = f"{label}.{name}#{pk}"
            canary = f"cnry{next(numbers):03d}x{model.__name__.lower()}{name.replace('_', '')}"
            if name == "email":
                canary = f"{canary}@example.test"
            model.objects.filter(pk=pk).update(**{name: canary})
            arc.canaries[canary] = (where, kind)


@functools.cache
def _client_lookups() -> list[tuple[type[models.Model], str]]:
    """Every model holding part of a client's record, with the lookup from it to the client."""
    found = []
    for model in apps.get_models():
        if not model.__module__.startswith("holdspace") or model._meta.app_label == "audit":
            continue
        for fk in model._meta.concrete_fields:
            if not fk.is_relation:
                continue
            if fk.related_model is Client:
                found.append((model, fk.name))
                break
            hop = next(
                (
                    f
                    for f in fk.related_model._meta.concrete_fields
                    if f.is_relation and f.related_model is Client
                ),
                None,
            )
            if hop is not None:
                found.append((model, f"{fk.name}__{hop.name}"))
                break
    return found


def fingerprint(client: Client) -> str:
    """A hash of every row of the client's record (audit rows aside): changes if anything does."""
    digest = hashlib.sha256(repr(list(Client.objects.filter(pk=client.pk).values())).encode())
    for model, lookup in _client_lookups():
        rows = model.objects.filter(**{lookup: client}).order_by("pk").values()
        digest.update(f"{model._meta.label}:{list(rows)!r}".encode())
    return digest.hexdigest()
