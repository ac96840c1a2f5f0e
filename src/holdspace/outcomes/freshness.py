"""When a clinic's cohort rows may have changed: `CohortDataVersion`, one counter per clinic.

Every write that can change a cohort row raises its clinic's counter in the same transaction
(a post_save / post_delete / m2m_changed receiver per model, connected in `apps.py`: outcomes
sits above every app it watches, so none of them imports outcomes). A reader in another
transaction sees the new counter exactly when it sees the new data (the counter row commits
with the write), so rows cached under the old counter are never read again. What is watched:
scores and responses (and the assignment that gives a response its timepoint), courses and
their clients, visits (the first medicine session picks a baseline), medicine sessions and
their adverse events, intake's prior experiences (party use) and medical history (sex), and
the client itself (code, clinic).

Not watched, because the cohort reads it live on every request and puts it into the cache
key instead: which clients are in the cohort (the phase is moved by `.update()` every hour;
study exclusions) and a grouping factor read from another app (study arms, unblinding).
Bulk loaders that bypass `save()` must call `bump_all()` (`network_demo` does, at the end).

Writers of one clinic wait for each other on its counter row from the write to the commit:
the writes watched are a clinic's staff entering scores, visits and events, a few a minute.
"""

from __future__ import annotations

from typing import Any

from django.db.models import F, Model, QuerySet
from django.db.models.signals import m2m_changed, post_delete, post_save

from holdspace.courses.models import Course, Visit
from holdspace.measures.models import Assignment, Response, Score
from holdspace.people.models import Client, Clinic
from holdspace.screening.models import MedicalHistory, PriorExperience
from holdspace.sessions.models import AdverseEvent, MedicineSession

from .models import CohortDataVersion


def version_of(clinic_id: int) -> int:
    found = CohortDataVersion.objects.filter(clinic_id=clinic_id).values_list("version", flat=True)
    for version in found:
        return int(version)
    # A clinic made before this table: start its counter (a racing writer's row wins).
    row, _created = CohortDataVersion.objects.get_or_create(clinic_id=clinic_id)
    return int(row.version)


def _raise(clinics: QuerySet[CohortDataVersion]) -> None:
    clinics.update(version=F("version") + 1)


def bump_clinic(clinic_id: int) -> None:
    _raise(CohortDataVersion.objects.filter(clinic_id=clinic_id))


def bump_all() -> None:
    """After a bulk load that bypassed save(): every clinic's cached cohort is stale."""
    for clinic_id in Clinic.objects.values_list("pk", flat=True):
        CohortDataVersion.objects.get_or_create(clinic_id=clinic_id)
    _raise(CohortDataVersion.objects.all())


def _by_client(instance: Any, **_kwargs: Any) -> None:
    # One UPDATE with the client's clinic as a subquery: no extra read on the write path.
    _raise(CohortDataVersion.objects.filter(clinic__clients=instance.client_id))


def _by_clinic(instance: Any, **_kwargs: Any) -> None:
    bump_clinic(instance.clinic_id)


def _by_visit(instance: Visit, **_kwargs: Any) -> None:
    clinic = Course.objects.filter(pk=instance.course_id).values("clinic_id")
    _raise(CohortDataVersion.objects.filter(clinic__in=clinic))


def _by_adverse_event(instance: AdverseEvent, **_kwargs: Any) -> None:
    clinic = MedicineSession.objects.filter(pk=instance.session_id).values("clinic_id")
    _raise(CohortDataVersion.objects.filter(clinic__in=clinic))


def _by_course_clients(instance: Any, action: str, **_kwargs: Any) -> None:
    if action.startswith("post_"):  # a Course, or a Client when changed from its side
        bump_clinic(instance.clinic_id)


def _clinic_made(instance: Clinic, created: bool, raw: bool = False, **_kwargs: Any) -> None:
    # Every clinic has its counter from the start, so a write never finds it missing.
    if created and not raw:
        CohortDataVersion.objects.get_or_create(clinic_id=instance.pk)


WATCHED: dict[type[Model], Any] = {
    Score: _by_client,
    Response: _by_client,
    Assignment: _by_client,
    PriorExperience: _by_client,
    MedicalHistory: _by_client,
    Client: _by_clinic,
    Course: _by_clinic,
    MedicineSession: _by_clinic,
    Visit: _by_visit,
    AdverseEvent: _by_adverse_event,
}


def connect() -> None:
    for model, receiver in WATCHED.items():
        uid = f"outcomes.freshness.{model._meta.label}"
        post_save.connect(receiver, sender=model, dispatch_uid=uid + ".save")
        post_delete.connect(receiver, sender=model, dispatch_uid=uid + ".delete")
    m2m_changed.connect(
        _by_course_clients,
        sender=Course.clients.through,
        dispatch_uid="outcomes.freshness.course_clients",
    )
    post_save.connect(_clinic_made, sender=Clinic, dispatch_uid="outcomes.freshness.clinic")
