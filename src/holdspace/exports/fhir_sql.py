"""On PostgreSQL the largest types are read as a raw dump and written from templates.

A network export holds millions of QuestionnaireResponses and vital-sign and score
Observations. Here the database does no more than a raw dump of their rows does (`COPY (SELECT
<the columns>) TO STDOUT`, text format), and each NDJSON line is one %-format of bytes: the
resource's fixed parts serialised once per export, with only ids, references, times, numbers
and answer items put in. A QuestionnaireResponse's items come from a table made once per
instrument (the JSON text of each answered item, for every value the instrument's options
allow), looked up by the answer as jsonb writes it; a value outside those tables is mapped by
measures.fhir.response_items, as the Python path maps it.

The templates are not written by hand: each is the resource that fhir.py's own builder makes
from marker values (`@@at@@`, 987654301, ...), serialised, with every marker replaced by a
`%s`. So the two paths cannot differ in shape, and tests/exports/test_fhir_sql.py exports the
same records through both and compares them resource by resource (values too: timestamps,
decimals, escaping).

Each line comes with a shape tag (which optional elements it has), so the export's Checker
still validates the first resources of each type and the first of every new shape.

The Python path (fhir.py) stays for SQLite, for the smaller types, and for the Patients of an
identified or de-identified export.
"""

from __future__ import annotations

import datetime as dt
import operator
import re
import select
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson
import psycopg
from django.db import connection
from django.db.models import BooleanField, ExpressionWrapper, Max, Min, Q, QuerySet
from django.db.models.functions import Coalesce
from psycopg import pq

from holdspace.measures import fhir as measures_fhir
from holdspace.measures import library
from holdspace.people.models import Client
from holdspace.screening.models import MedicalHistory, VitalsReading
from holdspace.sessions import fhir as sessions_fhir
from holdspace.sessions.models import VitalReading

from . import fhir
from .deid import Privacy

# Text format, as a raw dump: the database writes each value as its type's text (what
# `COPY ... TO` of the table does), tab-separated, NULL as \N, a backslash in a value doubled.
NULL = b"\\N"
# Rows handed on together: the export's loop and the file see one block per BLOCK rows.
BLOCK = 1000


def handles(resource_type: str, privacy: Privacy) -> bool:
    if connection.vendor != "postgresql":
        return False
    if resource_type == "Patient":
        return not privacy.identified and not privacy.deidentified
    return resource_type in ("Observation", "QuestionnaireResponse")


_ESCAPES = {b"b": b"\b", b"f": b"\f", b"n": b"\n", b"r": b"\r", b"t": b"\t", b"v": b"\v"}
_ESCAPED = re.compile(rb"\\(.)", re.DOTALL)


def _unescape(field: bytes) -> str:
    """A text field of COPY's text format as the text it holds."""
    if b"\\" in field:
        field = _ESCAPED.sub(lambda m: _ESCAPES.get(m.group(1), m.group(1)), field)
    return field.decode()


def _json(value: object) -> bytes:
    """orjson's text, copied: orjson hands back bytes that hold some 4 KB whatever their
    length, which a cache of them would keep."""
    return bytes(memoryview(orjson.dumps(value)))


class Template:
    """A resource serialised once, with %s where each marker was: `slots` maps a marker (as it
    appears in the JSON text) to the index of its value in a row of values, or to (format,
    indices) when it takes more than one value (an instant: date and time of day). `line`
    formats one row of `size` values (a tuple) into the NDJSON line, newline included."""

    def __init__(
        self,
        resource: dict[str, Any],
        slots: dict[str, int | tuple[bytes, tuple[int, ...]]],
        size: int,
    ) -> None:
        text = orjson.dumps(resource)
        pattern = re.compile(
            b"|".join(re.escape(m.encode()) for m in sorted(slots, key=len, reverse=True))
        )
        pieces: list[bytes] = []
        indices: list[int] = []
        used = set()
        position = 0
        for found in pattern.finditer(text):
            marker = found.group().decode()
            slot = slots[marker]
            snippet, taken = (b"%s", (slot,)) if isinstance(slot, int) else slot
            pieces += [text[position : found.start()].replace(b"%", b"%%"), snippet]
            indices += taken
            used.add(marker)
            position = found.end()
        pieces += [text[position:].replace(b"%", b"%%"), b"\n"]
        if used != set(slots):
            raise ValueError(f"markers not in the template: {sorted(set(slots) - used)}")
        self.format = b"".join(pieces)
        self.indices = tuple(indices)
        # The row's values in the template's order (none when it is the row's own).
        self.order: Callable[[tuple[Any, ...]], tuple[Any, ...]] | None = None
        if indices != list(range(size)):
            self.order = (
                operator.itemgetter(*indices)
                if len(indices) > 1
                else lambda row: (row[indices[0]],)
            )

    def line(self, row: tuple[Any, ...]) -> bytes:
        order = self.order
        return self.format % (row if order is None else order(row))


def _shifted(day: bytes, days: int) -> bytes:
    """An ISO date moved back by a de-identified client's shift."""
    return (dt.date.fromisoformat(day.decode()) - dt.timedelta(days=days)).isoformat().encode()


_ID = re.compile(rb"[A-Za-z0-9.-]+")  # a FHIR id's characters: JSON text as it is


class Subjects:
    """Per client code (as COPY wrote it): the reference to its Patient as JSON text, and its
    date shift. Bounded: memory must not grow with the client count (the rows of a client
    mostly come together)."""

    LIMIT = 20_000

    def __init__(self, privacy: Privacy) -> None:
        self.privacy = privacy
        self.plain = not privacy.deidentified
        self.found: dict[bytes, tuple[bytes, int]] = {}

    def __call__(self, code: bytes) -> tuple[bytes, int]:
        found = self.found.get(code)
        if found is None:
            if len(self.found) >= self.LIMIT:
                self.found.clear()
            if self.plain and _ID.fullmatch(code):  # the code itself, nothing to escape
                found = self.found[code] = (b'"Patient/' + code + b'"', 0)
            else:
                text = _unescape(code)
                found = self.found[code] = (
                    _json(f"Patient/{self.privacy.subject(text)}"),
                    self.privacy.shift(text),
                )
        return found


@dataclass
class Part:
    """One query of a type: its rows (a queryset, filtered as fhir.py filters them), the
    columns read (names of `values_list`), and what writes the lines of a run of rows."""

    rows: QuerySet[Any]
    fields: tuple[str, ...]
    write: Callable[[list[Any], Lines], Iterator[tuple[list[bytes], bool, int]]]

    def sql(self, first: int, last: int) -> str:
        """The raw columns of the rows with first <= pk < last: Django's own SQL with its
        parameters composed by the driver. Unsorted: NDJSON lines have no order, and a pk
        range read by index comes out nearly in order."""
        rows = self.rows.filter(pk__gte=first, pk__lt=last).order_by()
        sql, params = rows.values_list(*self.fields).query.sql_with_params()
        return str(connection.ops.compose_sql(sql, params))  # type: ignore[attr-defined]  # PostgreSQL's


class Lines:
    """Sorts the lines of a run of rows: a writer puts each line (a resource's, or a reading's
    lines) of a shape the checker has passed into `block`, the others with their shape tag
    into `odd`; `finish` asks the checker about those (`due`, once per row until it passes the
    shape) and hands on the block, then each line to validate on its own."""

    def __init__(self, due: Callable[[bytes], bool]) -> None:
        self.due = due
        self.passed: set[bytes] = set()

    def finish(
        self, block: list[bytes], count: int, odd: list[tuple[bytes, bytes, int]]
    ) -> Iterator[tuple[list[bytes], bool, int]]:
        """(lines, whether to validate them, how many): `count` lines in `block`; `odd` holds
        (shape, lines, how many). Lines are handed on as a list, each item one or more lines
        (the file is written with writev: no copy to join them)."""
        checked = []
        for shape, line, lines in odd:
            if shape in self.passed:
                block.append(line)
                count += lines
            elif self.due(shape):
                checked += line.splitlines(keepends=True)  # a reading's lines, one by one
            else:
                self.passed.add(shape)
                block.append(line)
                count += lines
        if block:
            yield block, False, count
        for line in checked:
            yield [line], True, 1


# Marker values: numbers no reading takes, strings no code holds.
AT, REF, PK = "@@at@@", "@@ref@@", "@@pk@@"
SYSTOLIC, DIASTOLIC, HEART_RATE, SPO2, HEIGHT = (
    987654301,
    987654302,
    987654303,
    987654304,
    987654305,
)
TEMPERATURE, WEIGHT, TOTAL = 987654.25, 987655.25, 987656.25
# A timestamptz as COPY writes it in UTC (`2026-11-30 17:48:02.12+00`) goes in as its date and
# its time of day as Python's isoformat() writes them (microseconds only when not zero, then
# all six digits): `time = at[11:-3]`, padded with zeros to 15 characters when it has a
# fraction.
INSTANT = b"%sT%s+00:00"
NUMBER = 987654306


def _patient_queries(
    clients: QuerySet[Client], since: dt.datetime | None, privacy: Privacy, clinic_id: int
) -> Iterator[Part]:
    rows = clients.order_by("pk")
    if since is not None:
        rows = rows.filter(updated_at__gte=since)
    made = Template(
        fhir.patient("@@subject@@", fhir.patient_system(privacy)), {'"@@subject@@"': 0}, 1
    )

    def write(chunk: list[Any], lines: Lines) -> Iterator[tuple[list[bytes], bool, int]]:
        made_lines = []
        for data in chunk:
            subject = _json(privacy.subject(_unescape(data[:-1])))
            made_lines.append((b"patient", made.line((subject,)), 1))
        yield from lines.finish([], 0, made_lines)

    yield Part(rows, ("code",), write)


def _vital_templates(
    prefix: str, made: list[tuple[str, dict[str, Any]]], values: dict[str, int], size: int
) -> list[tuple[bytes, Template, tuple[int, ...]]]:
    """(tag, template, indices of the values it needs) for each Observation the builder makes
    of a reading. Row values (`size` of them): pk, subject, date, time, then the reading's
    columns."""
    found = []
    for suffix, fields in made:
        resource = fhir.vital_observation(prefix, PK, suffix, fields)
        text = orjson.dumps(resource).decode()
        measured = {marker: index for marker, index in values.items() if marker in text}
        slots: dict[str, int | tuple[bytes, tuple[int, ...]]] = {
            PK: 0,
            f'"{REF}"': 1,
            AT: (INSTANT, (2, 3)),
            **measured,
        }
        found.append(
            (
                f"{prefix}-{suffix}".encode(),
                Template(resource, slots, size),
                tuple(measured.values()),
            )
        )
    return found


def _vitals(
    rows: QuerySet[Any],
    fields: tuple[str, ...],
    templates: list[tuple[bytes, Template, tuple[int, ...]]],
    subjects: Subjects,
) -> Part:
    """Rows of (pk, code, time, values...): each reading's Observations in one block, those
    whose value is NULL left out (as the builder leaves them out); the tag names the lines
    present, in order."""

    # Per set of values present (NULL or not, a tuple of bools): the tags of the lines made,
    # all the lines as one format, the row's values in its order, and how many lines.
    made: dict[tuple[bool, ...], tuple[bytes, bytes, Callable[[Any], Any], int]] = {}

    def lines_of(missing: tuple[bool, ...]) -> tuple[bytes, bytes, Callable[[Any], Any], int]:
        present = [
            (tag, template)
            for tag, template, needs in templates
            if not any(missing[i - 4] for i in needs)
        ]
        indices = [index for _tag, template in present for index in template.indices]
        found = made[missing] = (
            b",".join(tag for tag, _template in present),
            b"".join(template.format for _tag, template in present),
            operator.itemgetter(*indices) if indices else lambda row: (),
            len(present),
        )
        return found

    def write(chunk: list[Any], lines: Lines) -> Iterator[tuple[list[bytes], bool, int]]:
        block = []
        count = 0
        odd = []
        passed = lines.passed
        known = subjects.found
        is_null = NULL.__eq__
        for data in chunk:
            pk, code, at, *values = data[:-1].split(b"\t")
            found = known.get(code) or subjects(code)
            time = at[11:-3]
            if len(time) != 8 and len(time) != 15:
                time = time.ljust(15, b"0")
            day = at[:10] if not found[1] else _shifted(at[:10], found[1])
            missing = tuple(map(is_null, values))
            tags, form, order, n = made.get(missing) or lines_of(missing)
            if not n:
                continue
            reading = form % order((pk, found[0], day, time, *values))
            if tags in passed:
                block.append(reading)
                count += n
            else:
                odd.append((tags, reading, n))
        yield from lines.finish(block, count, odd)

    return Part(rows, fields, write)


def _observation_queries(
    clients: QuerySet[Client], since: dt.datetime | None, privacy: Privacy, clinic_id: int
) -> Iterator[Part]:
    subjects = Subjects(privacy)
    vitals = sessions_fhir.VitalSigns()
    subject = {"reference": REF}
    reading = vitals.reading(
        subject=subject,
        taken_at=AT,
        systolic=SYSTOLIC,
        diastolic=DIASTOLIC,
        heart_rate=HEART_RATE,
        temperature=TEMPERATURE,
        spo2=SPO2,
    )
    # Each value as its column's text (an integer, or a numeric as PostgreSQL writes it).
    values = {
        str(SYSTOLIC): 4,
        str(DIASTOLIC): 5,
        str(HEART_RATE): 6,
        str(TEMPERATURE): 7,
        str(SPO2): 8,
    }
    readings = VitalReading.objects.filter(session__client__in=clients).order_by("pk")
    if since is not None:
        readings = readings.filter(recorded_at__gte=since)
    templates = _vital_templates("vital", reading, values, 9)
    yield _vitals(readings, fhir.SESSION_READING_COLUMNS, templates, subjects)

    baseline = VitalsReading.objects.filter(client__in=clients).order_by("pk")
    if since is not None:
        baseline = baseline.filter(recorded_at__gte=since)
    templates = _vital_templates("baseline", reading[:3], values, 8)
    yield _vitals(baseline, fhir.BASELINE_READING_COLUMNS, templates, subjects)

    histories = MedicalHistory.objects.filter(client__in=clients).order_by("pk")
    histories = histories.filter(Q(weight_kg__isnull=False) | Q(height_cm__isnull=False))
    if since is not None:
        histories = histories.filter(recorded_at__gte=since)
    fields: tuple[str, ...] = ("pk", "client__code", "recorded_at", "weight_kg", "height_cm")
    body = vitals.body(subject=subject, at=AT, weight_kg=WEIGHT, height_cm=HEIGHT)
    templates = _vital_templates("history", body, {str(WEIGHT): 4, str(HEIGHT): 5}, 6)
    yield _vitals(histories, fields, templates, subjects)

    yield _scores_query(clients, since, subjects, clinic_id)


def _total(text: bytes) -> bytes:
    """A float8 as Python writes it: 14.0, where PostgreSQL writes 14."""
    if text.lstrip(b"-").isdigit():
        return text + b".0"
    if b"e" in text:
        value = float(text)
        if value.is_integer() and abs(value) < 1e16:
            return b"%d.0" % int(value)
    return text


def _scores_query(
    clients: QuerySet[Client], since: dt.datetime | None, subjects: Subjects, clinic_id: int
) -> Part:
    from holdspace.measures.models import Score

    scores = Score.objects.filter(client__in=clients, total__isnull=False).order_by("pk")
    if since is not None:
        scores = scores.filter(scored_at__gte=since)
    fields = (
        "pk",
        "client__code",
        "observed_on",
        "total",
        "response_id",
        "instrument_code",
        "band",
    )
    texts = fhir.score_texts(clinic_id)
    concepts: dict[bytes, bytes] = {}
    bands: dict[bytes, bytes] = {}
    # Row values: pk, concept, subject, date, total, response, band.
    slots: dict[str, int | tuple[bytes, tuple[int, ...]]] = {
        PK: 0,
        '"@@concept@@"': 1,
        f'"{REF}"': 2,
        AT: 3,
        str(TOTAL): 4,
        "@@response@@": 5,
    }
    made = {
        band: Template(
            fhir.score_observation(
                PK,
                "@@response@@",
                concept="@@concept@@",
                subject={"reference": REF},
                at=AT,
                total=TOTAL,
                band=band,
            ),
            slots | ({'"@@band@@"': 6} if band else {}),
            7 if band else 6,
        )
        for band in ("", "@@band@@")
    }
    plain, banded = made[""], made["@@band@@"]
    if plain.order is not None or banded.order is not None:
        raise ValueError("the score template takes its values in another order")

    def write(chunk: list[Any], lines: Lines) -> Iterator[tuple[list[bytes], bool, int]]:
        block = []
        odd = []
        passed = lines.passed
        known = subjects.found
        for data in chunk:
            pk, code, day, total, response, instrument, band = data[:-1].split(b"\t")
            concept = concepts.get(instrument)
            if concept is None:
                if len(concepts) >= Subjects.LIMIT:
                    concepts.clear()
                concept = concepts[instrument] = _json(
                    fhir.score_concept(_unescape(instrument), texts)
                )
            found = known.get(code) or subjects(code)
            if found[1]:
                day = _shifted(day, found[1])
            if total.isdigit():  # a float as Python writes it: 14.0, where PostgreSQL writes 14
                total += b".0"
            else:
                total = _total(total)
            if band and band != NULL:
                text = bands.get(band)
                if text is None:
                    if len(bands) >= Subjects.LIMIT:
                        bands.clear()
                    text = bands[band] = _json(_unescape(band))
                shape = b"score-band"
                line = banded.format % (pk, concept, found[0], day, total, response, text)
            else:
                shape = b"score"
                line = plain.format % (pk, concept, found[0], day, total, response)
            if shape in passed:
                block.append(line)
            else:
                odd.append((shape, line, 1))
        yield from lines.finish(block, len(block), odd)

    return Part(scores, fields, write)


class Pairs(dict[bytes, bytes]):
    """Answer (as jsonb writes it) -> its item's JSON text. A number item's answer is not in
    the table: it is made on the way, its value as jsonb wrote it (a JSON number) put into
    the item's text, as the previous version's SQL did; any other answer not found raises
    KeyError."""

    def __init__(self, numbers: dict[bytes, tuple[bytes, bytes]]) -> None:
        super().__init__()
        self.numbers = numbers

    def __missing__(self, pair: bytes) -> bytes:
        link, _colon, value = pair.partition(b": ")
        around = self.numbers.get(link)
        if around is None or not _NUMBER.fullmatch(value):
            raise KeyError(pair)
        return around[0] + value + around[1]


_NUMBER = re.compile(rb"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")


class Items:
    """The answered items of a QuestionnaireResponse of one instrument as JSON text, in the
    definition's order, as measures.fhir.response_items makes them.

    `pairs` maps each answer as jsonb writes it (`"<link id>": <value>`, for every value the
    item's options or type allow, and any number for a number item) to its item's JSON text.
    jsonb writes the keys of an object in its own order (shorter first, then bytewise): when
    that is the definition's order (link ids 1..n), a response is its answers split at ", "
    and looked up (else `pairs` is empty). Any answer not found (a value outside the options,
    a string, null) sends the response to `mapped`, which maps each value by the builder
    itself."""

    def __init__(self, definition: Any) -> None:
        self.definition = definition
        links = [item.link_id for item in definition.items]
        jsonb_order = sorted(links, key=lambda link: (len(link.encode()), link.encode()))
        numbers = {}
        for item in definition.items:
            if item.type == "number":
                [built] = measures_fhir.response_items({item.link_id: NUMBER}, definition)
                before, _marker, after = _json(built).partition(str(NUMBER).encode())
                numbers[orjson.dumps(item.link_id)] = (before, after)
        pairs = Pairs(numbers if links == jsonb_order else {})
        for item in definition.items if links == jsonb_order else ():
            for value in self._values(item):
                [built] = measures_fhir.response_items({item.link_id: value}, definition)
                pair = orjson.dumps(item.link_id) + b": " + orjson.dumps(value)
                pairs[pair] = _json(built)
        if links == jsonb_order:
            pairs[b""] = b""  # no answers: no items
        self.pairs = pairs

    @staticmethod
    def _values(item: Any) -> list[object]:
        """The values (as jsonb writes them) whose item is the same whatever their JSON type
        (1, 1.0, true): the options' values, yes and no, the whole numbers of a scale."""
        if item.type == "number":
            return []
        if item.type == "scale-0-100":
            return list(range(101))
        values: list[object] = [True, False, 0, 1] if item.type == "yes-no" else []
        return values + [
            int(option.value) if option.value == int(option.value) else option.value
            for option in item.options
        ]

    def mapped(self, answers: bytes) -> bytes:
        """The items of answers (as COPY wrote them) not all in `pairs`, joined by commas:
        each mapped by the builder itself."""
        values = orjson.loads(_unescape(answers)) if answers != NULL else {}
        built = measures_fhir.response_items(values, self.definition)
        return b",".join([orjson.dumps(item) for item in built])


def _response_queries(
    clients: QuerySet[Client], since: dt.datetime | None, privacy: Privacy, clinic_id: int
) -> Iterator[Part]:
    subjects = Subjects(privacy)
    definitions = library.definitions_for(clinic_id)
    # The time it was authored as fhir.py takes it, and whether it is still open (t or f,
    # then the newline): one timestamp to write and read, not two.
    rows = fhir.response_rows(clients, since, definitions).annotate(
        authored=Coalesce("submitted_at", "updated_at"),
        still_open=ExpressionWrapper(Q(submitted_at__isnull=True), output_field=BooleanField()),
    )
    fields = (
        "pk",
        "client__code",
        "instrument_code",
        "definition_version",
        "answers",
        "authored",
        "still_open",
    )
    items = {code.encode(): Items(definition) for code, definition in definitions.items()}
    questionnaires: dict[tuple[bytes, bytes], bytes] = {}
    statuses = {
        True: _json(fhir.response_status(True)),
        False: _json(fhir.response_status(None)),
    }
    # Row values: pk, questionnaire, status, subject, date, time, items.
    made = Template(
        fhir.questionnaire_response(
            PK,
            questionnaire="@@questionnaire@@",
            status="@@status@@",
            subject={"reference": REF},
            authored=AT,
            items="@@items@@",
        ),
        {
            PK: 0,
            '"@@questionnaire@@"': 1,
            '"@@status@@"': 2,
            f'"{REF}"': 3,
            AT: (INSTANT, (4, 5)),
            '"@@items@@"': (b"[%s]", (6,)),
        },
        7,
    )
    if made.order is not None:
        raise ValueError("the QuestionnaireResponse template takes its values in another order")
    line = made.format
    tables = {code: found.pairs for code, found in items.items()}

    def write(chunk: list[Any], lines: Lines) -> Iterator[tuple[list[bytes], bool, int]]:
        # The hot loop of a network export (millions of rows): lookups inlined.
        block = []
        odd = []
        passed = lines.passed
        known = subjects.found
        for data in chunk:
            pk, code, instrument, version, answers, at, still_open = data.split(b"\t")
            questionnaire = questionnaires.get((instrument, version))
            if questionnaire is None:
                if len(questionnaires) >= Subjects.LIMIT:
                    questionnaires.clear()
                questionnaire = questionnaires[instrument, version] = _json(
                    measures_fhir.questionnaire_reference(
                        definitions[_unescape(instrument)], _unescape(version)
                    )
                )
            found = known.get(code) or subjects(code)
            status = statuses[still_open[0] != 116]  # 116: t
            time = at[11:-3]
            if len(time) != 8 and len(time) != 15:
                time = time.ljust(15, b"0")
            day = at[:10] if not found[1] else _shifted(at[:10], found[1])
            pairs = tables[instrument]
            try:
                answered = b",".join(map(pairs.__getitem__, answers[1:-1].split(b", ")))
                shape = b"qr"
            except KeyError:
                answered = items[instrument].mapped(answers)
                shape = b"qr-mapped"
            made_line = line % (pk, questionnaire, status, found[0], day, time, answered)
            if shape in passed:
                block.append(made_line)
            else:
                odd.append((shape, made_line, 1))
        yield from lines.finish(block, len(block), odd)

    yield Part(rows, fields, write)


QUERIES = {
    "Patient": _patient_queries,
    "QuestionnaireResponse": _response_queries,
    "Observation": _observation_queries,
}


# Rows per COPY: between two, the export writes its progress and looks for a cancel (on the
# same connection, which is busy during a COPY; and the same one, so it sees what the export's
# transaction sees).
STEP = 200_000
# Session settings the parsing above relies on: times in UTC as `2026-11-30 17:48:02+00`,
# floats in their shortest exact form. And no JIT: compiling a query's expressions, once per
# run of STEP rows, costs more than these plain queries spend evaluating them.
SETTINGS = {"TimeZone": "UTC", "DateStyle": "ISO, MDY", "extra_float_digits": "1", "jit": "off"}


def _rows(database: psycopg.Connection[Any]) -> Iterator[list[bytes]]:
    """The rows of the COPY under way, BLOCK at a time, read from libpq itself (psycopg's
    `pgconn`): a row costs some 0.2 us here where psycopg's Copy iteration takes 0.7 us (at
    millions of rows, seconds). Waits on the socket only when libpq has no whole row yet."""
    pgconn = database.pgconn
    get = pgconn.get_copy_data
    waiting = select.poll()
    waiting.register(pgconn.socket, select.POLLIN)
    chunk: list[bytes] = []
    while True:
        size, data = get(1)  # 1: do not block
        if size > 0:
            chunk.append(bytes(data))
            if len(chunk) >= BLOCK:
                yield chunk
                chunk = []
        elif size == 0:  # no whole row buffered: wait for the server
            waiting.poll()
            pgconn.consume_input()
        else:  # -1: the COPY is done (-2: an error, which its result holds)
            break
    if chunk:
        yield chunk
    while (result := pgconn.get_result()) is not None:
        if result.status != pq.ExecStatus.COMMAND_OK:
            raise psycopg.errors.error_from_result(result, encoding=database.info.encoding)


def lines(
    resource_type: str,
    clients: QuerySet[Client],
    since: dt.datetime | None,
    privacy: Privacy,
    clinic_id: int,
    between: Callable[[], None],
    due: Callable[[bytes], bool],
) -> Iterator[tuple[list[bytes], bool, int]]:
    """(NDJSON lines each with its newline, whether to validate them) from the raw rows:
    blocks of lines of the shapes `due` (the checker, asked with each line's shape tag until
    it passes that shape) no longer wants to see, and one line at a time of the others; in
    runs of STEP primary keys with `between()` called after each."""
    connection.ensure_connection()
    collect = Lines(due)
    with connection.connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f"current_setting('{name}')" for name in SETTINGS))
        before = dict(zip(SETTINGS, cursor.fetchone() or (), strict=True))
        for name, value in SETTINGS.items():
            cursor.execute(f"SELECT set_config('{name}', %s, false)", [value])
        try:
            for part in QUERIES[resource_type](clients, since, privacy, clinic_id):
                bounds = part.rows.model.objects.aggregate(first=Min("pk"), last=Max("pk"))
                if bounds["first"] is None:
                    continue
                for first in range(bounds["first"], bounds["last"] + 1, STEP):
                    with cursor.copy(f"COPY ({part.sql(first, first + STEP)}) TO STDOUT"):
                        for chunk in _rows(cursor.connection):
                            yield from part.write(chunk, collect)
                    between()
        finally:
            for name, value in before.items():
                cursor.execute(f"SELECT set_config('{name}', %s, false)", [value])
