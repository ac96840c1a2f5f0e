"""Every change to exports: start, run, cancel, purge, re-key. Keyword-only, each checks the
policy and writes its audit row in the same transaction.

An export is audited once when started (who, which clients, which types, which profile) and
once per file downloaded; the rows exported are not each logged (a network export holds
millions), the audit row names the scope instead.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import functools
import importlib
import logging
import os
import queue
import re
import select
import shutil
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO, NoReturn

import orjson
import psycopg
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections, transaction
from django.db.models import QuerySet
from django.http import JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import ValidationError as ModelError

from holdspace.people.actors import Actor
from holdspace.people.auditing import audit_write
from holdspace.people.models import Client, Clinic
from holdspace.people.policies import require

from . import fhir_sql, policies
from .deid import Privacy
from .fhir import SOURCES
from .models import (
    ExportFormat,
    ExportJob,
    ExportLevel,
    ExportProfile,
    ExportSettings,
    ExportStatus,
    new_secret,
)
from .selectors import export_clients

# How often a running export writes its progress and looks for a cancel (resources).
CHECK_EVERY = 5000


def export_settings(clinic: Clinic | int) -> ExportSettings:
    clinic_id = clinic if isinstance(clinic, int) else clinic.pk
    found, _created = ExportSettings.objects.get_or_create(clinic_id=clinic_id)
    return found


def job_directory(job: ExportJob) -> Path:
    return Path(settings.VAR_DIR) / "exports" / str(job.pk)


def export_start(
    *,
    by: Actor,
    format: str,
    level: str = ExportLevel.SYSTEM,
    group: str = "",
    types: Iterable[str] = (),
    since: dt.datetime | None = None,
    profile: str = ExportProfile.PSEUDONYMOUS,
    request_url: str = "",
    run: bool = True,
) -> ExportJob:
    """Queue an export and hand it to the background worker. Refuses an unknown type (422),
    a profile the role may not have (403) and a group outside scope (404)."""
    membership = require(by, policies.can_export)
    if not policies.can_export_profile(membership, profile):
        raise PermissionDenied(_("Your role may export pseudonymous or de-identified data only."))
    chosen = list(dict.fromkeys(types))
    unknown = [t for t in chosen if t not in SOURCES]
    if unknown:
        raise ValidationError(
            {
                "_type": [
                    _("Not a type this server exports: %(types)s") % {"types": ", ".join(unknown)}
                ]
            }
        )
    if format not in ExportFormat.values:
        raise ValidationError({"format": [_("Not a known export format.")]})
    export_clients(membership, group)  # 404 before anything is stored
    with transaction.atomic():
        job = ExportJob.objects.create(
            clinic_id=membership.clinic_id,
            requested_by=membership,
            format=format,
            level=level,
            group=group,
            types=chosen,
            since=since,
            profile=profile,
            request_url=request_url[:1000],
            transaction_time=timezone.now(),
        )
        audit_write(
            by,
            "export.start",
            target=job,
            fields=[
                f"format:{format}",
                f"profile:{profile}",
                f"group:{group or 'all'}",
                *[f"type:{t}" for t in chosen or SOURCES],
            ],
        )
    if run:
        from .tasks import export_run_task

        export_run_task.enqueue(job.pk)
    return job


def export_cancel(*, by: Actor, job: ExportJob) -> ExportJob:
    """Cancel a running export, or say that a finished one is no longer needed: its files go."""
    require(by, policies.can_see_job, job)
    with transaction.atomic():
        job.status = ExportStatus.CANCELLED
        job.finished_at = job.finished_at or timezone.now()
        job.save(update_fields=["status", "finished_at"])
        audit_write(by, "export.cancel", target=job)
    shutil.rmtree(job_directory(job), ignore_errors=True)
    return job


def export_file_read(*, by: Actor, job: ExportJob, name: str) -> Path:
    """The path of one finished file, audited; 404-worthy None when it is not one of the
    job's files or has expired."""
    require(by, policies.can_see_job, job)
    names = {str(f["name"]) for f in job.files}
    expired = job.expires_at is not None and job.expires_at <= timezone.now()
    path = job_directory(job) / name
    if job.status != ExportStatus.DONE or name not in names or expired or not path.is_file():
        raise FileNotFoundError(name)
    with transaction.atomic():
        audit_write(by, "export.download", target=job, fields=[name])
    return path


def exports_purge(*, now: dt.datetime | None = None) -> int:
    """Delete the files of every expired export (run by the worker before each export, and
    by `holdspace export purge`)."""
    now = now or timezone.now()
    count = 0
    for job in ExportJob.objects.filter(expires_at__lte=now, status=ExportStatus.DONE):
        shutil.rmtree(job_directory(job), ignore_errors=True)
        job.files = []
        job.save(update_fields=["files"])
        count += 1
    return count


def export_settings_update(*, by: Actor, files_expire_hours: int) -> ExportSettings:
    """Set how long export files are kept (1 hour to 30 days). Medical leads only."""
    membership = require(by, policies.can_manage_export_settings)
    if not 1 <= files_expire_hours <= 24 * 30:
        raise ValidationError({"files_expire_hours": [_("Between 1 and 720 hours.")]})
    with transaction.atomic():
        found = export_settings(membership.clinic_id)
        found.files_expire_hours = files_expire_hours
        found.save(update_fields=["files_expire_hours"])
        audit_write(by, "export.settings", target=found, fields=["files_expire_hours"])
    return found


def export_rekey(*, by: Actor) -> ExportSettings:
    """Give the clinic a new de-identification secret: every date shift and research id
    changes from the next export on. Medical leads only."""
    membership = require(by, policies.can_manage_export_settings)
    with transaction.atomic():
        found = export_settings(membership.clinic_id)
        found.deid_secret = new_secret()
        found.rekeyed_at = timezone.now()
        found.save(update_fields=["deid_secret", "rekeyed_at"])
        audit_write(by, "export.rekey", target=found)
    return found


class Cancelled(Exception):
    pass


ProgressHook = Callable[[int], None]
_hooks: dict[int, ProgressHook] = {}


def _progress(job: ExportJob, percent: int) -> None:
    """Write progress; raise Cancelled when someone cancelled meanwhile."""
    updated = (
        ExportJob.objects.filter(pk=job.pk)
        .exclude(status=ExportStatus.CANCELLED)
        .update(progress=min(99, percent))
    )
    if not updated:
        raise Cancelled
    hook = _hooks.get(job.pk)
    if hook is not None:
        hook(percent)


def export_run(
    job_id: int, *, on_progress: ProgressHook | None = None, validate_every: bool = False
) -> ExportJob:
    """Do the work of one export (called by the background task, or by `holdspace export`
    with a progress hook). `validate_every` checks every FHIR resource with fhir.resources
    (slow; `holdspace export fhir --validate`), else a sample (see Checker)."""
    if on_progress is not None:
        _hooks[job_id] = on_progress
    try:
        return _export_run(job_id, validate_every)
    finally:
        _hooks.pop(job_id, None)


def _export_run(job_id: int, validate_every: bool) -> ExportJob:
    exports_purge()
    job = ExportJob.objects.select_related("requested_by__clinic", "clinic").get(pk=job_id)
    if job.status != ExportStatus.QUEUED:
        return job
    job.status = ExportStatus.RUNNING
    job.save(update_fields=["status"])
    directory = job_directory(job)
    # Only what this run writes: a directory an earlier database left under the same job id
    # (a restored backup, a re-created database) is not this job's.
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    try:
        if job.format == ExportFormat.FHIR:
            files = _write_fhir(job, directory, Checker(every=validate_every))
        else:
            from .tables import write_tables

            files = write_tables(job, directory, _privacy(job), _clients(job), _progress)
    except Cancelled:
        shutil.rmtree(directory, ignore_errors=True)
        job.refresh_from_db()
        return job
    except Exception as exc:
        # Say what failed without clinical content; the operator's log has the traceback.
        job.status = ExportStatus.FAILED
        job.errors = [f"The export failed ({type(exc).__name__})."]
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "errors", "finished_at"])
        shutil.rmtree(directory, ignore_errors=True)
        raise
    hours = export_settings(job.clinic_id).files_expire_hours
    job.files = files
    job.finished_at = timezone.now()
    job.expires_at = job.finished_at + dt.timedelta(hours=hours)
    job.progress = 100
    job.status = ExportStatus.DONE
    updated = ExportJob.objects.filter(pk=job.pk, status=ExportStatus.RUNNING).update(
        files=files,
        finished_at=job.finished_at,
        expires_at=job.expires_at,
        progress=100,
        status=ExportStatus.DONE,
    )
    if not updated:  # cancelled at the last moment
        shutil.rmtree(directory, ignore_errors=True)
        job.refresh_from_db()
    return job


def _privacy(job: ExportJob) -> Privacy:
    return Privacy(
        profile=job.profile,
        secret=export_settings(job.clinic_id).deid_secret,
        today=timezone.localdate(),
    )


def _clients(job: ExportJob) -> QuerySet[Client]:
    return export_clients(job.requested_by, job.group)


class Checker:
    """Validates resources with fhir.resources' R4B models before they are written.

    Validating a resource costs about a millisecond, fifty times the cost of writing it, so a
    network export cannot afford it for each of millions of lines. Every resource of a type is
    built by one function from typed columns, so what can vary between two resources of a type
    is which elements are present; the checker therefore validates the first FIRST resources
    of each type and then every resource whose set of elements it has not seen yet in this
    export. `every=True` validates every resource (`holdspace export fhir --validate`; the
    test suite validates every line it downloads). A resource that fails is not written: it
    becomes an OperationOutcome in the export's error file, which the manifest lists."""

    FIRST = 100

    def __init__(self, *, every: bool = False) -> None:
        self.every = every
        self.seen: dict[str, int] = {}
        self.shapes: set[tuple[str, ...]] = set()
        self.models: dict[str, Any] = {}

    def problem(self, resource: dict[str, Any]) -> tuple[str, str] | None:
        """None when the resource is valid or needs no check; else (what is wrong, where: the
        first element refused), naming elements and rules but never values (they may be
        clinical)."""
        kind = resource["resourceType"]
        if not self.due(kind, (kind, *resource)):
            return None
        return self.invalid(resource)

    def due(self, kind: str, shape: tuple[Any, ...]) -> bool:
        """Whether the next resource of `kind` with this shape is to be validated (a line
        fhir_sql wrote comes with a tag naming its shape in place of its elements)."""
        if self.every:
            return True
        count = self.seen.get(kind, 0)
        self.seen[kind] = count + 1
        if count >= self.FIRST and shape in self.shapes:
            return False
        self.shapes.add(shape)
        return True

    def invalid(self, resource: dict[str, Any]) -> tuple[str, str] | None:
        """What is wrong with the resource (see problem), or None."""
        kind = resource["resourceType"]
        model = self.models.get(kind)
        if model is None:
            module = importlib.import_module(f"fhir.resources.R4B.{kind.lower()}")
            model = self.models[kind] = getattr(module, kind)
        try:
            model.model_validate(resource)
        except ModelError as exc:
            places = [
                ".".join([kind, *(str(part) for part in error["loc"])])
                for error in exc.errors()[:5]
            ]
            reasons = "; ".join(
                f"{place}: {error['type']}"
                for place, error in zip(places, exc.errors()[:5], strict=True)
            )
            return reasons, places[0] if places else kind
        except ValueError:
            return f"{kind}: not a valid resource", kind
        return None


def _json_default(value: object) -> object:
    if isinstance(value, decimal.Decimal):
        return float(value)
    raise TypeError(type(value).__name__)


def _dumps(resource: dict[str, Any]) -> bytes:
    """One NDJSON line: compact UTF-8 JSON and a newline (orjson)."""
    return orjson.dumps(resource, default=_json_default, option=orjson.OPT_APPEND_NEWLINE)


ERROR_FILE = "OperationOutcome.ndjson"


def operation_outcome(
    diagnostics: str, *, code: str = "processing", severity: str = "error", expression: str = ""
) -> dict[str, Any]:
    """An OperationOutcome with one issue (FHIR R4), as the Bulk Data IG reports errors."""
    issue: dict[str, Any] = {"severity": severity, "code": code, "diagnostics": diagnostics}
    if expression:
        issue["expression"] = [expression]
    return {"resourceType": "OperationOutcome", "issue": [issue]}


# HTTP status -> OperationOutcome issue code (FHIR R4 IssueType value set).
ISSUE_CODES = {
    400: "structure",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    413: "too-costly",
    422: "invalid",
    429: "throttled",
}


def outcome_response(
    status: int, detail: str, errors: dict[str, list[str]] | None = None
) -> JsonResponse:
    """A refusal as the Bulk Data IG asks for it: an OperationOutcome body with the status.
    Each refused field is one issue naming it in `expression`; otherwise one issue says what
    went wrong."""
    code = ISSUE_CODES.get(status, "exception" if status >= 500 else "processing")
    issues = [
        operation_outcome(str(message), code=code, expression="" if field == "__all__" else field)[
            "issue"
        ][0]
        for field, messages in (errors or {}).items()
        for message in messages
    ] or [operation_outcome(detail, code=code)["issue"][0]]
    return JsonResponse(
        {"resourceType": "OperationOutcome", "issue": issues},
        status=status,
        content_type="application/fhir+json",
    )


# (lines: one or a list of them, problem or None, resource id, how many lines)
Line = tuple[bytes | list[bytes], tuple[str, str] | None, str, int]


def _lines(
    job: ExportJob,
    resource_type: str,
    privacy: Privacy,
    clients: QuerySet[Client],
    checker: Checker,
    on_check: Callable[[], None],
) -> Iterator[Line]:
    """(NDJSON lines, problem or None, resource id, count) of each resource of the type (or
    of a block of lines, each with its newline): written from the raw rows by fhir_sql where
    it can (the large types on PostgreSQL), else built here from fhir.py's dicts.
    `on_check` writes progress and raises Cancelled (every CHECK_EVERY resources, or between
    two of PostgreSQL's runs, when the connection is free)."""
    if fhir_sql.handles(resource_type, privacy):
        # Blocks of lines of shapes the checker has passed, written without asking it again
        # (millions of lines, at a few hundred ns each); the others one line at a time.
        for block, check, count in fhir_sql.lines(
            resource_type,
            clients,
            job.since,
            privacy,
            job.clinic_id,
            between=on_check,
            due=lambda shape: checker.due(resource_type, (resource_type, shape)),
        ):
            if not check:
                yield block, None, "", count
                continue
            resource = orjson.loads(block[0])
            if (problem := checker.invalid(resource)) is not None:
                yield block, problem, str(resource.get("id", "")), 1
            else:
                yield block, None, "", 1
        return
    for count, resource in enumerate(
        SOURCES[resource_type](clients, job.since, privacy, job.clinic_id), 1
    ):
        if count % CHECK_EVERY == 0:
            on_check()
        if (problem := checker.problem(resource)) is not None:
            yield b"", problem, str(resource.get("id", "")), 1
        else:
            yield _dumps(resource), None, "", 1


class _Writer:
    """A file written by a thread of its own, so that the export goes on building lines while
    the kernel makes it wait for the disk (a network export writes some 5 GB: on the
    development machine the disk, at about 300 MB/s, takes about as long as building them).
    Single lines are gathered into pieces of PIECE bytes, lists of lines are written as they
    are (writev: no copy to join them); at most QUEUED pieces wait, so memory stays flat.

    Every SETTLED bytes, and at the end, what was written is flushed to the disk and dropped
    from the page cache: an export file is read once, if at all, much later (its download),
    and a network export's 5 GB would otherwise push the database's cached tables out of
    memory. It costs less, too: on the 2-core development VM, 5 GB written plainly took 3.4
    to 13 CPU-s of the kernel's time (the page cache growing), settled in 32 MB steps 1.4 to
    1.5 CPU-s (bench/export.py, docs/exports.md). And the file is on the disk before the
    export says it is done."""

    PIECE = 1 << 20
    QUEUED = 4
    IOV_MAX = 1024  # buffers per writev (POSIX's minimum is 16; Linux takes 1024)
    SETTLED = 32 << 20

    def __init__(self, path: Path) -> None:
        self.file = path.open("wb", buffering=0)
        self.pending: list[bytes] = []
        self.size = 0
        self.queue: queue.Queue[list[bytes] | None] = queue.Queue(self.QUEUED)
        self.failed: OSError | None = None
        self.thread = threading.Thread(target=self._run, name=f"export {path.name}", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        fd = self.file.fileno()
        size = settled = 0
        while (pieces := self.queue.get()) is not None:
            if self.failed is not None:
                continue
            try:
                for start in range(0, len(pieces), self.IOV_MAX):
                    some = pieces[start : start + self.IOV_MAX]
                    length = sum(map(len, some))
                    written = os.writev(fd, some)
                    if written < length:  # a short write: the rest one by one
                        rest = memoryview(b"".join(some))[written:]
                        while rest:
                            rest = rest[os.write(fd, rest) :]
                    size += length
                if size - settled >= self.SETTLED:
                    self._settle(fd, settled, size)
                    settled = size
            except OSError as exc:  # raised by close(), in the export's own thread
                self.failed = exc
        if self.failed is None:
            try:
                self._settle(fd, settled, size)
            except OSError as exc:
                self.failed = exc

    @staticmethod
    def _settle(fd: int, start: int, end: int) -> None:
        """The bytes written so far on the disk, and those from `start` to `end` out of the
        page cache (where the system can be told: not on macOS)."""
        if hasattr(os, "fdatasync"):
            os.fdatasync(fd)
        else:
            os.fsync(fd)
        if hasattr(os, "posix_fadvise") and end > start:
            # Advice only: a file system that takes none is written all the same.
            with contextlib.suppress(OSError):
                os.posix_fadvise(fd, start, end - start, os.POSIX_FADV_DONTNEED)

    def write(self, data: bytes | list[bytes]) -> None:
        if isinstance(data, list):
            if self.pending:
                self.queue.put(self.pending)
                self.pending = []
                self.size = 0
            self.queue.put(data)
            return
        self.pending.append(data)
        self.size += len(data)
        if self.size >= self.PIECE:
            self.queue.put(self.pending)
            self.pending = []
            self.size = 0

    def close(self) -> None:
        """Writes what is left and waits for the thread; raises what writing raised."""
        try:
            if self.pending:
                self.queue.put(self.pending)
                self.pending = []
            self.queue.put(None)
            self.thread.join()
        finally:
            self.file.close()
        if self.failed is not None:
            raise self.failed


def _write_type(
    job: ExportJob,
    directory: Path,
    resource_type: str,
    privacy: Privacy,
    clients: QuerySet[Client],
    checker: Checker,
    on_check: Callable[[], None],
    errors: BinaryIO,
) -> tuple[int, int]:
    """Writes the type's file (`<type>.ndjson`) and an OperationOutcome line in `errors` for
    each resource left out; (resources written, resources left out)."""
    count = failed = 0
    out = _Writer(directory / f"{resource_type}.ndjson")
    try:
        write = out.write
        for line, problem, resource_id, lines in _lines(
            job, resource_type, privacy, clients, checker, on_check
        ):
            if problem is not None:
                failed += 1
                reasons, element = problem
                where = f"{resource_type}/{resource_id}"
                errors.write(
                    _dumps(
                        operation_outcome(
                            f"{where} was left out: it does not validate ({reasons}).",
                            code="invalid",
                            expression=element,
                        )
                    )
                )
                continue
            write(line)
            count += lines
    finally:
        out.close()
    return count, failed


def _write_fhir(job: ExportJob, directory: Path, checker: Checker) -> list[dict[str, object]]:
    privacy = _privacy(job)
    clients = _clients(job)
    types = job.types or list(SOURCES)
    parts = _parts(types, privacy)
    written: dict[str, tuple[int, int]] = {}
    if parts is not None:
        written = _write_fhir_parts(job, directory, checker, privacy, clients, types, parts)
    else:
        with (directory / ERROR_FILE).open("wb") as errors:
            for index, resource_type in enumerate(types):
                percent = int(100 * index / len(types))
                written[resource_type] = _write_type(
                    job,
                    directory,
                    resource_type,
                    privacy,
                    clients,
                    checker,
                    functools.partial(_progress, job, percent),
                    errors,
                )
                _progress(job, int(100 * (index + 1) / len(types)))
    files: list[dict[str, object]] = []
    for resource_type in types:
        name = f"{resource_type}.ndjson"
        count = written[resource_type][0]
        if count:
            files.append(
                {
                    "type": resource_type,
                    "name": name,
                    "count": count,
                    "bytes": (directory / name).stat().st_size,
                }
            )
        else:
            (directory / name).unlink()
    failed = sum(left_out for _count, left_out in written.values())
    if failed:
        files.append(
            {
                "type": "OperationOutcome",
                "name": ERROR_FILE,
                "count": failed,
                "bytes": (directory / ERROR_FILE).stat().st_size,
                "error": True,
            }
        )
    else:
        (directory / ERROR_FILE).unlink()
    return files


# On PostgreSQL an export builds its QuestionnaireResponses (the largest type) in a process of
# its own and its other types in another, so that two cores build lines: one process's main
# thread is otherwise the longest path. (On a 2-core machine that also runs PostgreSQL the
# serial export already keeps both cores busy, and two parts gained little: docs/exports.md.)
# Both read one snapshot of the database, so every file is of the same moment. False: every
# type in the export's own process, one after the other (as on SQLite, and inside a
# transaction).
PARALLEL = True
APART = ("QuestionnaireResponse",)
# How often (seconds) the export looks for a cancel and writes its progress while its parts run.
POLL_SECONDS = 1.0

log = logging.getLogger(__name__)


def _parts(types: list[str], privacy: Privacy) -> list[list[str]] | None:
    """The types each process builds, or None to build them all here: on PostgreSQL when a type
    of APART that fhir_sql writes and some other type are both asked for, and not inside a
    transaction (another connection would not see its uncommitted rows; the tests' are)."""
    if not PARALLEL or connection.vendor != "postgresql" or connection.in_atomic_block:
        return None
    apart = [t for t in types if t in APART and fhir_sql.handles(t, privacy)]
    rest = [t for t in types if t not in apart]
    return [apart, rest] if apart and rest else None


class PartFailed(Exception):
    """A process building part of an export failed (its name says what it raised; its own
    log has the traceback)."""


def _write_fhir_parts(
    job: ExportJob,
    directory: Path,
    checker: Checker,
    privacy: Privacy,
    clients: QuerySet[Client],
    types: list[str],
    parts: list[list[str]],
) -> dict[str, tuple[int, int]]:
    """Each part's types written by a forked process of its own (see _run_part), each reading
    the snapshot a connection of this process exports and holds open until all are done. This
    process meanwhile writes the progress (the share of types done) and looks for a cancel
    every POLL_SECONDS, and on a cancel or a failure kills the parts. The error file is each
    type's left-out lines in the order of the types, as one process would write it."""
    holder = psycopg.connect(**connection.get_connection_params())
    children: dict[int, tuple[int, list[str]]] = {}  # read end of its pipe -> (pid, types)
    try:
        holder.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        found = holder.execute("SELECT pg_export_snapshot()").fetchone()
        snapshot = str(found[0]) if found else ""
        if not re.fullmatch(r"[0-9A-Fa-f-]+", snapshot):
            raise PartFailed(f"not a snapshot id: {snapshot!r}")
        for part in parts:
            read, write = os.pipe()
            pid = os.fork()
            if pid == 0:  # the part's process: never returns
                os.close(read)
                _run_part(job, directory, checker, privacy, clients, part, snapshot, write)
            os.close(write)
            children[read] = (pid, part)
        written = _gather(job, children, len(types))
    finally:
        for read, (pid, _part) in children.items():
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            os.close(read)
        holder.close()
    with (directory / ERROR_FILE).open("wb") as errors:
        for resource_type in types:
            left_out = directory / f".{resource_type}.errors"
            with left_out.open("rb") as part_errors:
                shutil.copyfileobj(part_errors, errors)
            left_out.unlink()
    return written


def _gather(
    job: ExportJob, children: dict[int, tuple[int, list[str]]], type_count: int
) -> dict[str, tuple[int, int]]:
    """(written, left out) per type, as the parts report them (one JSON line per type done)
    through their pipes; removes each part from `children` once it has ended well."""
    written: dict[str, tuple[int, int]] = {}
    waiting = select.poll()
    for read in children:
        waiting.register(read, select.POLLIN)
    received = dict.fromkeys(children, b"")
    checked = time.monotonic()
    while children:
        for read, _event in waiting.poll(int(POLL_SECONDS * 1000)):
            data = os.read(read, 1 << 16)
            if data:
                *messages, received[read] = (received[read] + data).split(b"\n")
                for message in map(orjson.loads, messages):
                    if "error" in message:
                        raise PartFailed(str(message["error"]))
                    written[message["type"]] = (int(message["count"]), int(message["failed"]))
                continue
            waiting.unregister(read)
            pid, types = children.pop(read)
            os.close(read)
            _pid, status, usage = os.wait4(pid, 0)
            if os.waitstatus_to_exitcode(status) != 0 or any(t not in written for t in types):
                raise PartFailed(f"exit status {os.waitstatus_to_exitcode(status)}")
            log.info(
                "export %s, part %s: peak RSS %.0f MB, CPU %.1f s",
                job.pk,
                ",".join(types),
                usage.ru_maxrss / 1024,
                usage.ru_utime + usage.ru_stime,
            )
        if time.monotonic() - checked >= POLL_SECONDS:
            _progress(job, int(100 * len(written) / type_count))
            checked = time.monotonic()
    return written


# The connections a forked part took over from the export's process: kept and never used or
# closed (libpq would end the parent's session on the shared socket).
_inherited: list[object] = []


def _run_part(
    job: ExportJob,
    directory: Path,
    checker: Checker,
    privacy: Privacy,
    clients: QuerySet[Client],
    types: list[str],
    snapshot: str,
    pipe: int,
) -> NoReturn:
    """In a forked process: writes each type's file (and its left-out lines to
    `.<type>.errors`) on a connection of its own in the given snapshot, reports each type done
    as a JSON line on `pipe`, and exits (os._exit: nothing of the parent's is run or closed)."""
    code = 1
    try:
        for name in ("SIGTERM", "SIGINT", "SIGQUIT"):  # db_worker's handlers are its own
            signal.signal(getattr(signal, name), signal.SIG_DFL)
        for wrapper in connections.all(initialized_only=True):
            _inherited.append(wrapper.connection)
            wrapper.connection = None  # a new one on first use
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
            for resource_type in types:
                with (directory / f".{resource_type}.errors").open("wb") as errors:
                    count, failed = _write_type(
                        job, directory, resource_type, privacy, clients, checker, _nothing, errors
                    )
                message = {"type": resource_type, "count": count, "failed": failed}
                os.write(pipe, orjson.dumps(message) + b"\n")
        code = 0
    except BaseException as exc:
        with contextlib.suppress(BaseException):
            log.exception("export %s, part %s failed", job.pk, ",".join(types))
            os.write(pipe, orjson.dumps({"error": type(exc).__name__}) + b"\n")
    finally:
        os._exit(code)


def _nothing() -> None:
    """A part does not write progress: the export's own process does."""
