"""Every read of outcomes goes through here, with the outcomes policy applied.

The cohort rows are read in a constant number of queries whatever the number of clients:
scores, first medicine sessions, party uses and courses each come in one query over the
clients the member may see (people.selectors.clients_visible_to).
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import json
import pickle
import zlib
from array import array
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Max, Min, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from holdspace.core.lookups import InIds
from holdspace.courses.models import Course, Visit, VisitKind
from holdspace.measures import library
from holdspace.measures.definitions import Definition
from holdspace.measures.models import Score
from holdspace.people import selectors as people_selectors
from holdspace.people.models import Client, Membership, Phase
from holdspace.screening.models import Context, Decision, PriorExperience, ScreeningDecision
from holdspace.sessions.models import AdverseEvent, MedicineSession, Valence

from . import freshness, grouping, model, picking, policies, studies_hooks
from .rows import PACKED_AT, Categoriser, ClientRow, Observation, build_row, unpack
from .summary import summarise

PARTY_CONTEXTS = (Context.PARTY, Context.FESTIVAL)
PHASE_ORDER = [choice.value for choice in Phase]
GROUP_AT = PACKED_AT["group"]


@dataclass(frozen=True)
class CohortFilter:
    instrument: str
    group_by: str = ""
    date_from: dt.date | None = None  # course start date, inclusive
    date_to: dt.date | None = None
    template: str = ""  # protocol template key
    phase: str = ""  # phase reached: this phase or any later one
    # Studies (holdspace.studies through studies_hooks): leave out one study site's clients
    # (its Site id) or the clients with a major protocol deviation.
    exclude_site: int | None = None
    exclude_major_deviations: bool = False


def cohort_clients(membership: Membership | None, flt: CohortFilter) -> QuerySet[Client]:
    """The clients of the cohort: 403 for a role that may not read it."""
    if not policies.can_view_cohort(membership):
        raise PermissionDenied(_("Outcomes are for medical leads and researchers."))
    clients = people_selectors.clients_visible_to(membership)
    if flt.phase:
        clients = clients.filter(phase__in=PHASE_ORDER[PHASE_ORDER.index(flt.phase) :])
    if flt.date_from or flt.date_to or flt.template:
        courses = Course.objects.all()
        if flt.date_from:
            courses = courses.filter(start_date__gte=flt.date_from)
        if flt.date_to:
            courses = courses.filter(start_date__lte=flt.date_to)
        if flt.template:
            courses = courses.filter(template_key=flt.template)
        clients = clients.filter(courses__in=courses)
    left_out = studies_hooks.excluded(membership, flt.exclude_site, flt.exclude_major_deviations)
    if left_out:
        clients = clients.exclude(pk__in=left_out)
    return clients.distinct()


def first_medicine_sessions(clients: QuerySet[Client]) -> dict[int, dt.date]:
    rows = (
        Visit.objects.filter(
            course__clients__in=clients, kind=VisitKind.MEDICINE_SESSION, cancelled=False
        )
        .values("course__clients")
        .annotate(first=Min("starts_at"))
    )
    return {row["course__clients"]: row["first"].date() for row in rows}


def party_uses(clients: QuerySet[Client]) -> dict[int, int]:
    rows = (
        PriorExperience.objects.filter(client__in=clients, context__in=PARTY_CONTEXTS)
        .values("client")
        .annotate(total=Sum("times"))
    )
    return {row["client"]: int(row["total"] or 0) for row in rows}


def latest_courses(clients: QuerySet[Client]) -> dict[int, dict[str, object]]:
    """The newest course per client (its template and how it ended)."""
    found: dict[int, dict[str, object]] = {}
    rows = (
        Course.objects.filter(clients__in=clients)
        .order_by("created_at", "pk")
        .values(
            "pk",
            "clients",
            "template_key",
            "template_name",
            "status",
            "start_date",
            "closed_reason",
        )
    )
    for row in rows:
        found[row["clients"]] = dict(row)
    return found


def adverse_events(clients: QuerySet[Client]) -> dict[int, tuple[int, int, int, int]]:
    """Counts per client in rows.EVENT_KINDS order (all, pleasant, abuse potential, serious),
    for the clients with at least one."""
    found: dict[int, list[int]] = {}
    for client_id, valence, serious, special in AdverseEvent.objects.filter(
        session__client__in=clients
    ).values_list("session__client", "valence", "serious_criteria", "special_interest"):
        counts = found.setdefault(client_id, [0, 0, 0, 0])
        counts[0] += 1
        counts[1] += valence == Valence.PLEASANT
        counts[2] += "abuse_potential" in (special or [])
        counts[3] += bool(serious)
    return {client_id: (a, b, c, d) for client_id, (a, b, c, d) in found.items()}


def latest_templates(clients: QuerySet[Client]) -> dict[int, str]:
    """The template name of each client's newest course (as latest_courses picks it)."""
    return dict(
        Course.objects.filter(clients__in=clients)
        .order_by("created_at", "pk")
        .values_list("clients", "template_name")
    )


@dataclass
class Cohort:
    """The cohort's rows (cached as plain tuples, see rows.pack) and their cache key.

    The rows are built as those tuples too (a full rebuild makes no ClientRow), and are
    unpacked only when asked for (`rows`, `first`); the summary without the model reads
    the tuples (summary.columns_of_packed).
    """

    packed: list[tuple[object, ...]]
    key: str
    clients: QuerySet[Client]
    filter: CohortFilter
    definition: Definition
    loaded: dict[int, str] | None
    fresh: list[ClientRow] | None = None

    @property
    def rows(self) -> list[ClientRow]:
        if self.fresh is None:
            # Tens of thousands of rows and dicts set off full collections (twice the time).
            with collector_paused():
                self.fresh = unpack(self.packed)
        return self.fresh

    def first(self, n: int) -> list[ClientRow]:
        return self.fresh[:n] if self.fresh is not None else unpack(self.packed[:n])

    def codes_with_endpoint(self) -> set[str]:
        return {str(values[0]) for values in self.packed if values[2] is not None}


# Bump when the rows or the summary are built differently, so older cached results are not
# used. Cached for a day at most; any watched write makes them unreachable at once.
ROWS_VERSION = 3
CACHE_SECONDS = 24 * 3600


def cohort(membership: Membership | None, flt: CohortFilter) -> Cohort:
    """The cohort's per-client rows, kept in the cache and brought up to date per client.

    The rows are cached under a key of everything a row depends on but the data: the
    instrument's definition as the clinic uses it, the grouping, the language (group names are
    translated) and the grouping factor's values read live from another app; not the reader
    or the rest of the filter, which only choose clients, so every reader and filter of the
    clinic shares them. Beside them: the clinic's data version they were read at
    (freshness.py) and the clients they cover. A read rebuilds only the rows of its clients
    written since that version (`freshness.changed_since`) or not yet covered, forgets the
    other clients written since (they are rebuilt when asked for), and returns the rows of
    the clients in its cohort (read live on every call); a clinic-wide change (`everything`)
    rebuilds them all. So a read right after a write never finds the row from before it, and
    the first read after one client's write picks one client, not the clinic.
    """
    clients = cohort_clients(membership, flt)
    assert membership is not None  # noqa: S101  (cohort_clients refused None)
    clinic_id = membership.clinic_id
    definition = library.definition_for(clinic_id, flt.instrument)
    factor = grouping.FACTORS.get(flt.group_by)
    loaded = (
        factor.load(clients, membership) if factor is not None and factor.load is not None else None
    )
    # Read before any data: rows read after it are at least as new as this version.
    state = freshness.state_of(clinic_id)
    ids = array("q", clients.order_by("pk").values_list("pk", flat=True))
    base = hashlib.sha256(
        json.dumps(
            [
                ROWS_VERSION,
                flt.instrument,
                flt.group_by,
                definition.model_dump(mode="json"),
                get_language(),
                sorted((loaded or {}).items()),
            ],
            default=str,
            sort_keys=True,
        ).encode()
    )
    rows_key = f"outcomes.cohort.{clinic_id}.{base.hexdigest()}"
    # These exact rows (the reader, the filter, the data version and the clients): the key of
    # their summary.
    exact = base.copy()
    exact.update(json.dumps([membership.pk, asdict(flt)], default=str, sort_keys=True).encode())
    exact.update(f".{state.version}.".encode())
    exact.update(ids.tobytes())
    found = Cohort(
        [], f"outcomes.cohort.{clinic_id}.{exact.hexdigest()}", clients, flt, definition, loaded
    )
    with collector_paused():
        # The rows' version is kept apart too, so rows a clinic-wide change made stale are
        # not read (unpickling 25,000 rows costs about as much as building a tenth of them).
        # Only a hint: the rows carry their own version, which is what decides.
        at = cache.get(f"{rows_key}.at")
        cached = cache.get(rows_key) if at is not None and at >= state.everything else None
        if cached is None or cached[0] < state.everything:
            built = _build_rows_by_id(clients, definition, flt.group_by, loaded)
            found.packed = [values for _client_id, values in built]
            row_ids = array("q", (client_id for client_id, _values in built))
            _keep(rows_key, state.version, ids, row_ids, found.packed)
        else:
            found.packed = _brought_up_to_date(
                cached, state.version, ids, clinic_id, rows_key, definition, flt.group_by, loaded
            )
    return found


def _keep(
    rows_key: str,
    version: int,
    ids: array[int],
    row_ids: array[int],
    packed: list[tuple[object, ...]],
) -> None:
    """Cache the rows (with the clients they cover and the version they were read at).

    The rows are pickled and compressed here (zlib's fastest level): at network scale the
    pickle is about 2.5 MB and the database cache wrote it in about 150 ms (base64 text,
    compressed again by PostgreSQL); compressed, about 0.45 MB in about 20 + 30 ms."""
    rows = zlib.compress(pickle.dumps(packed, pickle.HIGHEST_PROTOCOL), 1)
    blob = (version, ids.tobytes(), row_ids.tobytes(), rows)
    cache.set_many({rows_key: blob, f"{rows_key}.at": version}, CACHE_SECONDS)


def _brought_up_to_date(
    cached: tuple[int, bytes, bytes, bytes],
    version: int,
    ids: array[int],
    clinic_id: int,
    rows_key: str,
    definition: Definition,
    group_by: str,
    loaded: dict[int, str] | None,
) -> list[tuple[object, ...]]:
    """The rows of the cohort's clients (`ids`): cached ones kept, those of clients written
    since they were read or not covered yet built again; cached again at the version read
    with every client they now cover (unless nothing changed)."""
    was, covered_bytes, row_ids_bytes, rows = cached
    packed = pickle.loads(zlib.decompress(rows))  # noqa: S301  (our own cache entry, see _keep)
    # Rows a concurrent reader cached at a later version are at least that new.
    version = max(was, version)
    covered = array("q")
    covered.frombytes(covered_bytes)
    row_ids = array("q")
    row_ids.frombytes(row_ids_bytes)
    if was == version and covered == ids:
        return packed
    changed = freshness.changed_since(clinic_id, was) if was != version else set()
    before = set(covered)
    stale = [i for i in ids if i in changed or i not in before]
    kept = list(zip(row_ids, packed, strict=True))
    if stale or was != version:
        # Clients written since and not rebuilt now are forgotten: built when asked for.
        kept = [(i, values) for i, values in kept if i not in changed]
        if stale:
            kept.extend(
                _build_rows_by_id(
                    Client.objects.filter(InIds(F("pk"), stale)), definition, group_by, loaded
                )
            )
            kept.sort(key=lambda pair: str(pair[1][0]))  # by code, as a full build sorts
        _keep(
            rows_key,
            version,
            array("q", sorted(before.difference(changed).union(stale))),
            array("q", (i for i, _v in kept)),
            [values for _i, values in kept],
        )
    # Only the cohort's own clients: the rows also cover other readers' and filters'.
    wanted = set(ids)
    return [values for i, values in kept if i in wanted]


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while a cohort's rows and summary are built.
    Tens of thousands of rows, dicts and tuples, none in a cycle, set off full collections
    over every object of the process; at network scale the cold summary took about 0.25 s
    (17%) longer with them (bench/outcomes.py's cohort, 25,000 clients). Reference counting
    still frees everything at once; the collector is back on afterwards (unless it was off)."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def cohort_rows(membership: Membership | None, flt: CohortFilter) -> list[ClientRow]:
    """One row per client of the cohort with at least one score on the instrument, with its
    score history (`row.scores`, which summarise's mixed model reads)."""
    found = cohort(membership, flt)
    rows = found.rows
    _attach_histories(rows, found.clients, found.definition.code)
    return rows


def cohort_summary(found: Cohort, *, with_model: bool = True) -> dict[str, Any]:
    """The summary of the cohort's rows (summary.summarise), cached beside them: the same
    rows always give the same summary, so a warm page fits and sums nothing."""
    key = f"{found.key}.summary.{with_model}.{model.MAX_CLIENTS}"
    summary = cache.get(key)
    if summary is None:
        with collector_paused():
            # Without the model, the summary is read from the packed rows (no ClientRows).
            rows: list[ClientRow] | list[tuple[object, ...]] = found.packed
            if with_model:
                # The model reads every score; the rows (picked in SQL or cached) carry none.
                rows = found.rows
                _attach_histories(rows, found.clients, found.definition.code)
            summary = summarise(
                rows,
                instrument=found.filter.instrument,
                group_by=found.filter.group_by,
                with_model=with_model,
                model_max_clients=model.MAX_CLIENTS,
                model_cached=True,
            )
        cache.set(key, summary, CACHE_SECONDS)
    return summary


def _attach_histories(rows: list[ClientRow], clients: QuerySet[Client], code: str) -> None:
    """Each row's scores in date order, (observed_on, total, timepoint), in one query."""
    by_code = {row.code: row for row in rows}
    for row in rows:
        row.scores = []
    scores = (
        Score.objects.filter(client__in=clients, instrument_code=code, total__isnull=False)
        .order_by("client_id", "observed_on", "pk")
        .values_list("client__code", "observed_on", "total", "timepoint")
    )
    for client_code, observed_on, total, timepoint in scores:
        found = by_code.get(client_code)
        if found is not None:
            found.scores.append((observed_on, float(total or 0), timepoint or ""))


def _build_rows(
    clients: QuerySet[Client],
    definition: Definition,
    group_by: str,
    loaded: dict[int, str] | None,
    *,
    histories: bool = False,
) -> list[ClientRow]:
    built = _build_rows_by_id(clients, definition, group_by, loaded, histories=histories)
    return unpack([values for _client_id, values in built])


def _build_rows_by_id(
    clients: QuerySet[Client],
    definition: Definition,
    group_by: str,
    loaded: dict[int, str] | None,
    *,
    histories: bool = False,
) -> list[tuple[int, tuple[object, ...]]]:
    """(client id, row packed as rows.pack packs it) in the order of the codes: one row per
    client of `clients` with at least one score on the instrument.

    A fixed number of set-based queries whatever the number of clients: the picking query
    (with the code, party uses and newest template) and the adverse events.
    The database picks each baseline and endpoint and sends one row per client (picking.py);
    with `histories` (the reference the tests hold it to) every score is read and they are
    picked in Python (rows.build_row). Both give the same rows. The rows are made as the
    tuples the cache keeps, without a ClientRow each (tens of thousands at network scale);
    categories are looked up per (baseline, endpoint) pair (rows.Categoriser).
    """
    events = adverse_events(clients)
    found, follow_ups = (
        _picked_in_python(clients, definition)
        if histories
        else picking.picked(clients, definition.code)
    )
    factor = grouping.FACTORS.get(group_by)
    key = factor.key if factor is not None and loaded is not None else None
    everyone = grouping.group_of(ClientRow(code=""), "", definition)
    categorised = Categoriser(definition)
    result: list[tuple[int, tuple[object, ...]]] = []
    append = result.append
    for client_id, code, b, b_on, band, b_source, e, e_on, e_source, uses, template in found:
        follow = follow_ups.get(client_id)
        values: tuple[object, ...] = (
            code,
            b,
            e,
            e - b if e is not None else None,
            b_on,
            e_on,
            b_source,
            e_source,
            band,
            *categorised(b, e),
            uses,
            everyone,
            template,
            ((key, loaded.get(client_id, "")),) if key is not None else None,  # type: ignore[union-attr]
            tuple(follow.items()) if follow else None,
            events.get(client_id),
        )
        if factor is not None:
            # The factor names the group from the row (and its other apps' values).
            group = grouping.group_of(unpack([values])[0], group_by, definition)
            values = (*values[:GROUP_AT], group, *values[GROUP_AT + 1 :])
        append((client_id, values))
    result.sort(key=lambda pair: pair[1][0])  # type: ignore[arg-type, return-value]
    return result


def _picked_in_python(
    clients: QuerySet[Client], definition: Definition
) -> tuple[list[tuple[Any, ...]], dict[int, dict[str, float]]]:
    """What picking.picked returns, from every score picked by rows.build_row and the
    codes, party uses and newest templates read by queries of their own."""
    codes = dict(clients.values_list("pk", "code"))
    parties = party_uses(clients)
    templates = latest_templates(clients)
    sessions = first_medicine_sessions(clients)
    observations: dict[int, list[Observation]] = defaultdict(list)
    scores = (
        Score.objects.filter(
            client__in=clients, instrument_code=definition.code, total__isnull=False
        )
        .order_by("client_id", "observed_on", "pk")
        .values_list("client_id", "observed_on", "total", "band", "timepoint")
    )
    for client_id, observed_on, total, band, timepoint in scores:
        observations[client_id].append(
            Observation(observed_on, float(total or 0), timepoint or "", band or "")
        )
    found: list[tuple[Any, ...]] = []
    follow_ups: dict[int, dict[str, float]] = {}
    for client_id, seen in observations.items():
        row = build_row(
            code="",
            observations=seen,
            first_medicine_session=sessions.get(client_id),
            definition=definition,
        )
        assert row.baseline is not None and row.baseline_on is not None  # noqa: S101  (scores seen)
        found.append(
            (
                client_id,
                codes[client_id],
                row.baseline,
                row.baseline_on.toordinal(),
                row.baseline_band,
                str(row.baseline_source),
                row.endpoint,
                row.endpoint_on.toordinal() if row.endpoint_on is not None else None,
                row.endpoint_source,
                parties.get(client_id, 0),
                str(templates.get(client_id) or ""),
            )
        )
        if row.follow_ups:
            follow_ups[client_id] = row.follow_ups
    return found, follow_ups


FLOW_STEPS = (
    "screened",
    "eligible",
    "started_preparation",
    "dosed_1",
    "dosed_2",
    "dosed_3",
    "integration_complete",
    "endpoint_measured",
)
IN_PROGRESS = "in_progress"


def cohort_flow(clients: QuerySet[Client], rows: Sequence[ClientRow] | Cohort) -> dict[str, object]:
    """CONSORT-style counts from screened to endpoint measured, with why people left each step.

    Screened: a signed screening decision or a course. Eligible: the latest decision says
    eligible. Started preparation: a preparation visit has begun. Dosed n: n medicine sessions
    started. Integration complete: the course's last integration visit is past. Endpoint
    measured: the row has an endpoint. A client who stops at a step is counted under the reason
    their course was closed with, the screening decision that stopped them, or "in progress".
    """
    now = timezone.now()
    ids = dict(clients.values_list("pk", "code"))
    decisions: dict[int, str] = {}
    for client_id, decision in (
        ScreeningDecision.objects.filter(client__in=clients)
        .order_by("signed_at", "pk")
        .values_list("client_id", "decision")
    ):
        decisions[client_id] = decision
    courses = latest_courses(clients)
    preparing = set(
        Visit.objects.filter(
            course__clients__in=clients,
            kind=VisitKind.PREPARATION,
            cancelled=False,
            starts_at__lte=now,
        ).values_list("course__clients", flat=True)
    )
    dosed = dict(
        MedicineSession.objects.filter(client__in=clients, started_at__isnull=False)
        .values("client")
        .annotate(n=Count("pk"))
        .values_list("client", "n")
    )
    last_integration = dict(
        Visit.objects.filter(
            course__clients__in=clients, kind=VisitKind.INTEGRATION, cancelled=False
        )
        .values("course__clients")
        .annotate(last=Max("starts_at"))
        .values_list("course__clients", "last")
    )
    measured = (
        rows.codes_with_endpoint()
        if isinstance(rows, Cohort)
        else {row.code for row in rows if row.endpoint is not None}
    )
    reached = dict.fromkeys(FLOW_STEPS, 0)
    left: dict[str, dict[str, int]] = {step: {} for step in FLOW_STEPS}
    for client_id, code in ids.items():
        course = courses.get(client_id)
        last = last_integration.get(client_id)
        conditions = (
            client_id in decisions or course is not None,
            decisions.get(client_id) == Decision.ELIGIBLE,
            client_id in preparing,
            dosed.get(client_id, 0) >= 1,
            dosed.get(client_id, 0) >= 2,
            dosed.get(client_id, 0) >= 3,
            last is not None and last <= now,
            code in measured,
        )
        for i, step in enumerate(FLOW_STEPS):
            if not conditions[i]:
                break
            reached[step] += 1
            stops_here = i + 1 < len(FLOW_STEPS) and not conditions[i + 1]
            if stops_here:
                reason = str((course or {}).get("closed_reason") or "")
                if not reason and step == "screened":
                    reason = decisions.get(client_id, "")
                reason = reason or IN_PROGRESS
                left[step][reason] = left[step].get(reason, 0) + 1
    return {
        "steps": [{"step": step, "n": reached[step], "left": left[step]} for step in FLOW_STEPS]
    }


def difference_for_user(membership: Membership | None, code: str) -> dict[str, object]:
    """One client's difference page: 404 outside scope, 403 for a role that may not read it."""
    from .difference import difference_of

    client = people_selectors.client_for_user(membership, code)
    if not policies.can_view_difference(membership, client):
        raise PermissionDenied(_("This page is for the client's care team."))
    return {"client": client, **difference_of(client)}
