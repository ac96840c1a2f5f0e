"""When a clinic's cohort rows may have changed, and for which clients.

Two counters: `CohortDataVersion`, one per clinic, raised by every write that can change a
cohort row of the clinic; and `ClientDataVersion`, one per client, set to the clinic's raised
counter by every such write about that client (both in the write's transaction: a post_save /
post_delete / m2m_changed receiver per model, connected in `apps.py`: outcomes sits above every
app it watches, so none of them imports outcomes). A reader in another transaction sees the
new counters exactly when it sees the new data (they commit with the write), so rows cached
at clinic version v are reused for every client whose version is at most v and rebuilt for
the others (`changed_since`). A write whose clients are not known raises the clinic's
`everything` to its new version instead: every row cached before it is rebuilt.

What is watched: scores and responses (and the assignment that gives a response its
timepoint), courses and their clients, visits (the first medicine session picks a baseline),
medicine sessions and their adverse events, intake's prior experiences (party use) and medical
history (sex), and the client itself (code, clinic). All by client but a course's deletion and
the clearing of a course's clients (everything).

Not watched, because the cohort reads it live on every request: which clients are in the
cohort (the phase is moved by `.update()` every hour; study exclusions: rows of clients that
left are dropped, clients that came are built) and a grouping factor read from another app
(study arms, unblinding: part of the cache key). Bulk loaders that bypass `save()` must call
`bump_all()` (`network_demo` does, at the end).

Writers of one clinic wait for each other on its counter row from the write to the commit:
the writes watched are a clinic's staff entering scores, visits and events, a few a minute.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.db.models import F, Model, QuerySet
from django.db.models.signals import m2m_changed, post_delete, post_save

from holdspace.courses.models import Course, Visit
from holdspace.measures.models import Assignment, Response, Score
from holdspace.people.models import Client, Clinic
from holdspace.screening.models import MedicalHistory, PriorExperience
from holdspace.sessions.models import AdverseEvent, MedicineSession

from .models import ClientDataVersion, CohortDataVersion


class State(NamedTuple):
    version: int  # raised by every watched write of the clinic
    everything: int  # the version at which every row of the clinic last changed


def state_of(clinic_id: int) -> State:
    found = CohortDataVersion.objects.filter(clinic_id=clinic_id).values_list(
        "version", "everything"
    )
    for version, everything in found:
        return State(int(version), int(everything))
    # A clinic made before this table: start its counter (a racing writer's row wins).
    row, _created = CohortDataVersion.objects.get_or_create(clinic_id=clinic_id)
    return State(int(row.version), int(row.everything))


def version_of(clinic_id: int) -> int:
    return state_of(clinic_id).version


def changed_since(clinic_id: int, version: int) -> set[int]:
    """The clients of the clinic written since its counter was at `version` (one index scan)."""
    return set(
        ClientDataVersion.objects.filter(clinic_id=clinic_id, version__gt=version).values_list(
            "client_id", flat=True
        )
    )


def _everything(clinics: QuerySet[CohortDataVersion]) -> None:
    # Both set from the old version: `everything` becomes the raised version.
    clinics.update(version=F("version") + 1, everything=F("version") + 1)


def bump_clinic(clinic_id: int) -> None:
    """Every cached row of the clinic is stale (rebuilt at the next read)."""
    _everything(CohortDataVersion.objects.filter(clinic_id=clinic_id))


def bump_all() -> None:
    """After a bulk load that bypassed save(): every clinic's cached cohort is stale."""
    for clinic_id in Clinic.objects.values_list("pk", flat=True):
        CohortDataVersion.objects.get_or_create(clinic_id=clinic_id)
    _everything(CohortDataVersion.objects.all())


def _raised(clinic_id: int) -> int | None:
    """The clinic's counter raised by one, in one statement (it locks the row to the commit)."""
    table = CohortDataVersion._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET version = version + 1 WHERE clinic_id = %s RETURNING version",  # noqa: S608  (the model's table)
            [clinic_id],
        )
        found = cursor.fetchone()
    return int(found[0]) if found is not None else None


def bump_clients(pairs: list[tuple[int, int]]) -> None:
    """(client id, clinic id) pairs: raise each clinic's counter once and record the raised
    value as those clients' version."""
    by_clinic: dict[int, list[int]] = defaultdict(list)
    for client_id, clinic_id in pairs:
        by_clinic[clinic_id].append(client_id)
    # One commit for both counters, even when the write itself was in autocommit: a reader
    # who saw the raised clinic counter without the client's would keep its old row for good.
    with transaction.atomic(savepoint=False):
        _record(by_clinic)


def _record(by_clinic: dict[int, list[int]]) -> None:
    for clinic_id, client_ids in by_clinic.items():
        version = _raised(clinic_id)
        if version is None:
            # A clinic made before this table: start its counter, then raise it.
            CohortDataVersion.objects.get_or_create(clinic_id=clinic_id)
            version = _raised(clinic_id) or 0
        ClientDataVersion.objects.bulk_create(
            [
                ClientDataVersion(client_id=client_id, clinic_id=clinic_id, version=version)
                for client_id in sorted(set(client_ids))
            ],
            update_conflicts=True,
            unique_fields=["client"],
            update_fields=["clinic", "version"],
        )


def _bump_of(clients: QuerySet[Client]) -> None:
    bump_clients(list(clients.values_list("pk", "clinic_id")))


def _by_client(instance: Any, **_kwargs: Any) -> None:
    _bump_of(Client.objects.filter(pk=instance.client_id))


def _client_itself(instance: Client, **_kwargs: Any) -> None:
    # Its code or clinic changed (a deleted client is left out by the live read of ids).
    bump_clients([(instance.pk, instance.clinic_id)])


def _course_saved(instance: Course, **_kwargs: Any) -> None:
    _bump_of(Client.objects.filter(courses=instance.pk))


def _course_deleted(instance: Course, **_kwargs: Any) -> None:
    # Its clients are unlinked before this runs: every row of the clinic is rebuilt.
    bump_clinic(instance.clinic_id)


def _by_visit(instance: Visit, **_kwargs: Any) -> None:
    _bump_of(Client.objects.filter(courses=instance.course_id))


def _by_adverse_event(instance: AdverseEvent, **_kwargs: Any) -> None:
    _bump_of(Client.objects.filter(medicine_sessions=instance.session_id))


def _by_course_clients(
    instance: Any, action: str, reverse: bool, pk_set: set[int] | None, **_kwargs: Any
) -> None:
    if not action.startswith("post_"):
        return
    if reverse:  # changed from the client's side: only its own latest course changed
        bump_clients([(instance.pk, instance.clinic_id)])
    elif pk_set:  # a course's clients added or removed
        _bump_of(Client.objects.filter(pk__in=pk_set))
    elif action == "post_clear":  # which clients left is no longer known
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
    Client: _client_itself,
    MedicineSession: _by_client,
    Visit: _by_visit,
    AdverseEvent: _by_adverse_event,
}


def connect() -> None:
    for model, receiver in WATCHED.items():
        uid = f"outcomes.freshness.{model._meta.label}"
        post_save.connect(receiver, sender=model, dispatch_uid=uid + ".save")
        post_delete.connect(receiver, sender=model, dispatch_uid=uid + ".delete")
    uid = "outcomes.freshness.courses.Course"
    post_save.connect(_course_saved, sender=Course, dispatch_uid=uid + ".save")
    post_delete.connect(_course_deleted, sender=Course, dispatch_uid=uid + ".delete")
    m2m_changed.connect(
        _by_course_clients,
        sender=Course.clients.through,
        dispatch_uid="outcomes.freshness.course_clients",
    )
    post_save.connect(_clinic_made, sender=Clinic, dispatch_uid="outcomes.freshness.clinic")
