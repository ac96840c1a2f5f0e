"""Per-client outcome rows: baseline, endpoint, change and the instrument's categories.

Pure functions over plain values, so every choice can be tested without a database. Every
threshold comes from the instrument's data file (`outcomes` and `change` blocks); none is here.
Never carries a last observation forward: a client without a later response has no endpoint.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from typing import NamedTuple, cast

from holdspace.measures.definitions import Definition

# Timepoint names written by courses.schedule.measure_due_dates.
BASELINE_TIMEPOINT = "baseline"
ENDPOINT_TIMEPOINT = "end"
FOLLOW_UP_PREFIX = "follow_up_"

# Why a baseline or endpoint was chosen, in the order they are tried.
BASELINE_AT_TIMEPOINT = "baseline_timepoint"
BASELINE_BEFORE_FIRST_SESSION = "last_before_first_medicine_session"
BASELINE_FIRST_RESPONSE = "first_response"
ENDPOINT_AT_TIMEPOINT = "protocol_endpoint"
ENDPOINT_LAST_RESPONSE = "last_response"

# Prior party use groups (issue 11): recorded party and festival uses, summed.
PARTY_USE_GROUPS = ("none", "1-9", "10-49", "50+")


def party_use_group(uses: int) -> str:
    if uses <= 0:
        return "none"
    if uses < 10:
        return "1-9"
    if uses < 50:
        return "10-49"
    return "50+"


class Observation(NamedTuple):
    # A named tuple, not a dataclass: the cohort makes one per score (millions at network
    # scale) and a tuple is several times cheaper to build.
    observed_on: dt.date
    total: float
    timepoint: str = ""
    band: str = ""


@dataclass
class ClientRow:
    code: str
    baseline: float | None = None
    endpoint: float | None = None
    change: float | None = None
    baseline_on: dt.date | None = None
    endpoint_on: dt.date | None = None
    baseline_source: str | None = None
    endpoint_source: str | None = None
    baseline_band: str = ""
    reliable_change: str | None = None  # "improved", "deteriorated", "no reliable change"
    clinically_meaningful: bool | None = None
    response: bool | None = None
    remission: bool | None = None
    diagnosis_at_baseline: bool | None = None
    diagnosis_at_endpoint: bool | None = None
    prior_party_uses: int = 0
    group: str = ""
    template: str = ""
    # Values of grouping factors read from other apps (grouping.Factor.load), e.g. "sex".
    attributes: dict[str, str] = field(default_factory=dict)
    follow_ups: dict[str, float] = field(default_factory=dict)
    # Adverse events of the client's medicine sessions: all, pleasant, abuse potential, serious.
    adverse_events: dict[str, int] = field(default_factory=dict)
    scores: list[tuple[dt.date, float, str]] = field(default_factory=list)


def pick_baseline(
    observations: Sequence[Observation], first_medicine_session: dt.date | None
) -> tuple[Observation, str] | None:
    """The response at the baseline timepoint, else the last before the first medicine
    session, else the first response. `observations` are in date order."""
    if not observations:
        return None
    at_baseline = [o for o in observations if o.timepoint == BASELINE_TIMEPOINT]
    if at_baseline:
        return at_baseline[-1], BASELINE_AT_TIMEPOINT
    if first_medicine_session is not None:
        before = [o for o in observations if o.observed_on < first_medicine_session]
        if before:
            return before[-1], BASELINE_BEFORE_FIRST_SESSION
    return observations[0], BASELINE_FIRST_RESPONSE


def pick_endpoint(
    observations: Sequence[Observation], baseline: Observation
) -> tuple[Observation, str] | None:
    """The response at the protocol's endpoint timepoint, else the last response after the
    baseline (follow-ups are their own columns, not endpoints). None when there is none."""
    # By identity, not equality: two scores on the same day with the same total and timepoint
    # are equal tuples, and the one after the baseline is a later response, not the baseline.
    start = next(i for i, o in enumerate(observations) if o is baseline)
    later = [o for o in observations[start + 1 :] if not o.timepoint.startswith(FOLLOW_UP_PREFIX)]
    at_end = [o for o in later if o.timepoint == ENDPOINT_TIMEPOINT]
    if at_end:
        return at_end[-1], ENDPOINT_AT_TIMEPOINT
    if later:
        return later[-1], ENDPOINT_LAST_RESPONSE
    return None


# A row's categories, in the order of a packed row (see pack): reliable change, clinically
# meaningful change, response, remission, diagnosis at baseline, diagnosis at endpoint.
Categories = tuple[str | None, bool | None, bool | None, bool | None, bool | None, bool | None]


def categories_of(
    baseline: float | None, endpoint: float | None, definition: Definition
) -> Categories:
    """The categories of a baseline and endpoint from the instrument's data file. A category
    the file does not define, or that needs a value the row lacks, is None (not applicable),
    never False."""
    at_baseline = at_endpoint = meaningful = response = remitted = None
    reliable: str | None = None
    rules = definition.outcomes
    if rules is not None and rules.provisional_diagnosis is not None:
        cut = rules.provisional_diagnosis.at_least
        if baseline is not None:
            at_baseline = baseline >= cut
        if endpoint is not None:
            at_endpoint = endpoint >= cut
    if baseline is None or endpoint is None:
        return None, None, None, None, at_baseline, at_endpoint
    lower_is_better = definition.change is None or definition.change.better == "lower"
    improvement = baseline - endpoint if lower_is_better else endpoint - baseline
    if definition.change is not None and definition.change.meaningful is not None:
        meaningful = improvement >= definition.change.meaningful
    if rules is None:
        return None, meaningful, None, None, at_baseline, at_endpoint
    if rules.reliable_change is not None:
        threshold = rules.reliable_change.threshold
        if improvement >= threshold:
            reliable = "improved"
        elif -improvement >= threshold:
            reliable = "deteriorated"
        else:
            reliable = "no reliable change"
    if rules.response is not None:
        if rules.response.points is not None:
            response = improvement >= rules.response.points
        elif rules.response.percent is not None and baseline > 0:
            response = 100 * improvement / baseline >= rules.response.percent
    remission = rules.remission
    # Remission means crossing the cut-off: a baseline already at or below it does not count.
    if remission is not None and lower_is_better and baseline > remission.at_most:
        remitted = endpoint <= remission.at_most
        if remission.needs_reliable_change:
            remitted = remitted and reliable == "improved"
    return reliable, meaningful, response, remitted, at_baseline, at_endpoint


class Categoriser:
    """categories_of for one definition, remembered per (baseline, endpoint): the categories
    depend on nothing else, and a cohort of tens of thousands of clients has a few thousand
    distinct pairs at most (totals are small whole numbers on most instruments)."""

    def __init__(self, definition: Definition) -> None:
        self.definition = definition
        self.seen: dict[tuple[float | None, float | None], Categories] = {}

    def __call__(self, baseline: float | None, endpoint: float | None) -> Categories:
        key = (baseline, endpoint)
        found = self.seen.get(key)
        if found is None:
            found = self.seen[key] = categories_of(baseline, endpoint, self.definition)
        return found


def categorise(row: ClientRow, definition: Definition) -> None:
    """Fill the row's categories from the instrument's data file (categories_of)."""
    (
        row.reliable_change,
        row.clinically_meaningful,
        row.response,
        row.remission,
        row.diagnosis_at_baseline,
        row.diagnosis_at_endpoint,
    ) = categories_of(row.baseline, row.endpoint, definition)


def build_row(
    *,
    code: str,
    observations: Sequence[Observation],
    first_medicine_session: dt.date | None,
    definition: Definition,
    prior_party_uses: int = 0,
    template: str = "",
) -> ClientRow:
    row = ClientRow(code=code, prior_party_uses=prior_party_uses, template=template)
    row.scores = [(o.observed_on, o.total, o.timepoint) for o in observations]
    for o in observations:
        if o.timepoint.startswith(FOLLOW_UP_PREFIX):
            row.follow_ups[o.timepoint] = o.total
    picked = pick_baseline(observations, first_medicine_session)
    if picked is None:
        return row
    baseline, row.baseline_source = picked
    row.baseline, row.baseline_on, row.baseline_band = (
        baseline.total,
        baseline.observed_on,
        baseline.band,
    )
    ended = pick_endpoint(observations, baseline)
    if ended is not None:
        endpoint, row.endpoint_source = ended
        row.endpoint, row.endpoint_on = endpoint.total, endpoint.observed_on
        row.change = row.endpoint - row.baseline
    categorise(row, definition)
    return row


# A cached row, as plain values (see pack): pickling 25,000 ClientRows with their score
# histories took seconds and 16 MB; these tuples take a sixth of the space and time. Dates are
# kept as ordinals and the three dicts as tuples (None when empty): date objects and dicts are
# what pickling spends its time on (25,000 rows: about 10x faster both ways without them).
_PACKED = (
    "code", "baseline", "endpoint", "change", "baseline_on", "endpoint_on", "baseline_source",
    "endpoint_source", "baseline_band", "reliable_change", "clinically_meaningful", "response",
    "remission", "diagnosis_at_baseline", "diagnosis_at_endpoint", "prior_party_uses", "group",
    "template", "attributes", "follow_ups", "adverse_events",
)  # fmt: skip
EVENT_KINDS = ("all", "pleasant", "abuse_potential", "serious")
PACKED_AT = {name: i for i, name in enumerate(_PACKED)}  # a field's place in a packed row


_packed_values = operator.attrgetter(*_PACKED)  # one C call a row, not one getattr a field


def pack(rows: Sequence[ClientRow]) -> list[tuple[object, ...]]:
    """The rows as tuples of plain values for the cache, without the score histories (only
    the mixed model reads those, and its result is cached with the summary)."""
    packed = []
    for row in rows:
        values = _packed_values(row)
        on, until, attributes, follow_ups, events = values[4], values[5], *values[18:]
        counts = tuple(events.get(kind, 0) for kind in EVENT_KINDS) if events else ()
        packed.append(
            (
                *values[:4],
                on.toordinal() if on is not None else None,
                until.toordinal() if until is not None else None,
                *values[6:18],
                tuple(attributes.items()) if attributes else None,
                tuple(follow_ups.items()) if follow_ups else None,
                counts if any(counts) else None,  # most clients have none
            )
        )
    return packed


_NO_EVENTS = (0, 0, 0, 0)


def _as_day(ordinal: object) -> dt.date | None:
    return dt.date.fromordinal(ordinal) if ordinal is not None else None  # type: ignore[arg-type]


def _as_dict(items: object) -> dict[str, object]:
    return dict(items) if items else {}  # type: ignore[call-overload]


def _as_events(counts: object) -> dict[str, int]:
    return dict(zip(EVENT_KINDS, cast("tuple[int, ...]", counts or _NO_EVENTS), strict=True))


class _FromPacked:
    """A field of a PackedRow: read from its packed tuple when first asked for, then kept in
    the row's own __dict__ (which comes first from then on: this is a non-data descriptor,
    so setting the field, or changing a dict field in place, works as on any ClientRow)."""

    __slots__ = ("at", "convert", "name")

    def __init__(self, name: str, convert: Callable[[object], object] | None) -> None:
        self.name, self.at, self.convert = name, PACKED_AT.get(name), convert

    def __get__(self, row: object, owner: type | None = None) -> object:
        if row is None:
            return self
        state = row.__dict__
        value = state["_packed"][self.at] if self.at is not None else None
        if self.convert is not None:
            value = self.convert(value)
        state[self.name] = value
        return value


class PackedRow(ClientRow):
    """A ClientRow made from its packed tuple (see pack) without reading it: each field is
    unpacked when first read (25,000 rows of a network-scale cohort cost a tuple each until
    then). Equal to the ClientRow with the same fields, and the same in every other use."""

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ClientRow):
            return NotImplemented
        # (Defining __eq__ leaves it unhashable, as ClientRow.)
        return all(getattr(self, name) == getattr(other, name) for name in _FIELDS)


_CONVERT: dict[str, Callable[[object], object]] = {
    "baseline_on": _as_day,
    "endpoint_on": _as_day,
    "attributes": _as_dict,
    "follow_ups": _as_dict,
    "adverse_events": _as_events,
    "scores": lambda _value: [],
}
_FIELDS = tuple(f.name for f in fields(ClientRow))
for _name in _FIELDS:
    setattr(PackedRow, _name, _FromPacked(_name, _CONVERT.get(_name)))


def unpack(packed: Sequence[tuple[object, ...]]) -> list[ClientRow]:
    """The rows of their packed tuples (PackedRows: each field is read when first asked)."""
    if packed and len(packed[0]) != len(_PACKED):
        raise ValueError("not a packed row")
    new = object.__new__
    rows: list[ClientRow] = []
    append = rows.append
    for values in packed:
        row = new(PackedRow)
        row.__dict__ = {"_packed": values}
        append(row)
    return rows
