"""On PostgreSQL the database writes the NDJSON lines of the largest types itself.

A network export holds millions of QuestionnaireResponses and vital-sign and score
Observations; building each as Python dicts costs several times what reading its row costs.
Here each such resource is one row of `COPY (SELECT <JSON text>) TO STDOUT`, streamed into the
file as the database sends it.

The SQL is not written by hand: each template is the resource that fhir.py's own builder makes
from marker values (`@@at@@`, 987654301, ...), serialised, with every marker replaced by the SQL
expression of its column. So the two paths cannot differ in shape, and
tests/exports/test_fhir_sql.py exports the same records through both and compares them
resource by resource (values too: timestamps, decimals, escaping).

Each line comes with a shape tag (which optional elements it has), so the export's Checker
still validates the first resources of each type and the first of every new shape.

The Python path (fhir.py) stays for SQLite, for the smaller types, for the Patients of an
identified or de-identified export, and for a response with an answer the SQL has no item for
(handed back by `lines`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson
from django.db import connection
from django.db.models import Max, Min, Q, QuerySet

from holdspace.measures import fhir as measures_fhir
from holdspace.measures import library
from holdspace.people.models import Client
from holdspace.screening.models import MedicalHistory, VitalsReading
from holdspace.sessions import fhir as sessions_fhir
from holdspace.sessions.models import VitalReading

from . import fhir
from .deid import Privacy, research_id, shift_days

# Binary: each value's bytes as they are (text-format COPY would double every backslash, CSV
# would look at every byte for characters to quote), after its length. A row is a field count
# (2 bytes), then per field its length (4 bytes, -1 for NULL) and bytes; the first row comes
# after a 19-byte header, and a last message (-1 as the field count) ends the data.
COPY_OPTIONS = "WITH (FORMAT binary)"
HEADER = 19
NEWLINE = "e'\\n'"
DEID_TABLE = "hs_export_deid"


def handles(resource_type: str, privacy: Privacy) -> bool:
    if connection.vendor != "postgresql":
        return False
    if resource_type == "Patient":
        return not privacy.identified and not privacy.deidentified
    return resource_type in ("Observation", "QuestionnaireResponse")


def _text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _literal(text: str) -> str:
    """`text` as an SQL literal, or nothing for nothing (a template's empty piece)."""
    return _text(text) if text else ""


def template(
    resource: dict[str, Any],
    slots: dict[str, str],
    nullable: tuple[str, ...] = (),
    *,
    line: bool = True,
) -> str:
    """The SQL expression that yields `resource` serialised (and a newline, when it is a
    whole NDJSON `line`), each marker (a key of `slots`, as it appears in the JSON text)
    replaced by its SQL expression; NULL when a `nullable` slot is. One concat() call: a
    chain of || copies the growing line at each step."""
    text = orjson.dumps(resource).decode()
    pattern = re.compile("|".join(re.escape(m) for m in sorted(slots, key=len, reverse=True)))
    pieces = []
    position = 0
    used = set()
    for found in pattern.finditer(text):
        pieces += [_literal(text[position : found.start()]), f"({slots[found.group()]})"]
        used.add(found.group())
        position = found.end()
    pieces += [_literal(text[position:]), NEWLINE if line else ""]
    if used != set(slots):
        raise ValueError(f"markers not in the template: {sorted(set(slots) - used)}")
    made = _concat([piece for piece in pieces if piece])
    if not nullable:
        return made
    missing = " OR ".join(f"({slots[marker]}) IS NULL" for marker in nullable)
    return f"CASE WHEN {missing} THEN NULL ELSE {made} END"


def _concat(pieces: list[str]) -> str:
    """concat() of the pieces (a function takes at most 100 arguments)."""
    if len(pieces) <= 90:
        return "concat(" + ", ".join(pieces) + ")"
    return _concat([_concat(pieces[i : i + 90]) for i in range(0, len(pieces), 90)])


class Columns:
    """SQL for one export's values: subject and timestamps, shifted when de-identified (the
    per-client research id and shift come from a temporary table, as r.subject, r.shift)."""

    def __init__(self, privacy: Privacy) -> None:
        self.deidentified = privacy.deidentified

    def subject(self, code: str) -> str:
        return "r.subject" if self.deidentified else code

    def reference(self, code: str) -> str:
        return f"to_json('Patient/' || {self.subject(code)})::text"

    def instant(self, column: str) -> str:
        """As Python's isoformat() of the UTC datetime: microseconds only when not zero."""
        utc = f"({column} AT TIME ZONE 'UTC')"
        if self.deidentified:
            utc = f"({utc} - r.shift * interval '1 day')"
        return (
            f"to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN "
            f"extract(microseconds FROM {utc})::bigint % 1000000 = 0 THEN '' "
            f"ELSE to_char({utc}, '.US') END || '+00:00'"
        )

    def day(self, column: str) -> str:
        shifted = f"({column} - r.shift)" if self.deidentified else column
        return f"to_char({shifted}, 'YYYY-MM-DD')"


@dataclass
class Part:
    """One query of a type: its rows (a queryset, filtered as fhir.py filters them), the
    columns read as `r(<name>, ...)` (name = field), and what to select as (tag, lines) from
    them. A NULL line (a value the builder would leave out) comes as an empty line, which
    `lines` skips."""

    rows: QuerySet[Any]
    fields: dict[str, str]
    select: str
    columns: Columns

    def sql(self, first: int, last: int) -> str:
        """SELECT (tag, line) for the rows with first <= pk < last. Every piece is Django's
        own SQL with its parameters composed by the driver, or a template whose literals
        _literal quoted: no value is pasted in unquoted. One flat query, no filter on the
        line: so PostgreSQL computes each expression once per row, and may hand the work to
        parallel workers."""
        # Unsorted: a sort of the rows (answers and all) costs more than the order is worth
        # (NDJSON lines have no order; a pk range read by index comes out nearly in order).
        rows = self.rows.filter(pk__gte=first, pk__lt=last).order_by()
        rows = rows.values_list(*self.fields.values())
        sql, params = rows.query.sql_with_params()
        inner = connection.ops.compose_sql(sql, params)  # type: ignore[attr-defined]  # PostgreSQL's
        source = f"({inner}) AS r({', '.join(self.fields)})"
        if self.columns.deidentified:
            source = (
                f"(SELECT r.*, p.subject, p.shift FROM {source} "  # noqa: S608
                f"JOIN {DEID_TABLE} p ON p.code = r.code) AS r"
            )
        return f"SELECT {self.select} FROM {source}"  # noqa: S608


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


def _vital_lines(
    prefix: str, made: list[tuple[str, dict[str, Any]]], values: dict[str, str], columns: Columns
) -> str:
    """(tag, lines) of one reading: every Observation the builder makes of it in one COPY row,
    its lines joined by newlines (one message for up to five resources: each message costs the
    database and the export more than its bytes do). A line whose value column is NULL is
    left out, as the builder leaves it out; the tag names the lines present, in order."""
    tags = []
    lines = []
    for suffix, fields in made:
        resource = fhir.vital_observation(prefix, PK, suffix, fields)
        text = orjson.dumps(resource).decode()
        slots = {f'"{REF}"': columns.reference("r.code"), AT: columns.instant("r.at"), PK: "r.pk"}
        measured = {marker: sql for marker, sql in values.items() if marker in text}
        present = " AND ".join(f"({sql}) IS NOT NULL" for sql in measured.values()) or "true"
        tags.append(f"CASE WHEN {present} THEN '{prefix}-{suffix}' END")
        lines.append(template(resource, slots | measured, nullable=tuple(measured)))
    # concat and concat_ws skip NULLs (the lines and tags left out).
    return f"concat_ws(',', {', '.join(tags)}), concat({', '.join(lines)})"


def _vitals(rows: QuerySet[Any], fields: dict[str, str], lines: str, columns: Columns) -> Part:
    return Part(rows, fields, lines, columns)


def _observation_queries(
    clients: QuerySet[Client], since: dt.datetime | None, privacy: Privacy, clinic_id: int
) -> Iterator[Part]:
    columns = Columns(privacy)
    vitals = sessions_fhir.VitalSigns()
    subject = {"reference": REF}
    numbers = {
        str(SYSTOLIC): "r.systolic::text",
        str(DIASTOLIC): "r.diastolic::text",
        str(HEART_RATE): "r.heart_rate::text",
        str(TEMPERATURE): "r.temperature::text",
        str(SPO2): "r.spo2::text",
        str(WEIGHT): "r.weight_kg::text",
        str(HEIGHT): "r.height_cm::text",
    }
    reading = vitals.reading(
        subject=subject,
        taken_at=AT,
        systolic=SYSTOLIC,
        diastolic=DIASTOLIC,
        heart_rate=HEART_RATE,
        temperature=TEMPERATURE,
        spo2=SPO2,
    )

    readings = VitalReading.objects.filter(session__client__in=clients).order_by("pk")
    if since is not None:
        readings = readings.filter(recorded_at__gte=since)
    fields: dict[str, str] = {
        "pk": "pk",
        "code": "session__client__code",
        "at": "taken_at",
        "systolic": "systolic",
        "diastolic": "diastolic",
        "heart_rate": "heart_rate",
        "temperature": "temperature",
        "spo2": "spo2",
    }
    yield _vitals(readings, fields, _vital_lines("vital", reading, numbers, columns), columns)

    baseline = VitalsReading.objects.filter(client__in=clients).order_by("pk")
    if since is not None:
        baseline = baseline.filter(recorded_at__gte=since)
    fields = {
        "pk": "pk",
        "code": "client__code",
        "at": "measured_at",
        "systolic": "systolic",
        "diastolic": "diastolic",
        "heart_rate": "heart_rate",
        "temperature": "temperature_c",
    }
    lines = _vital_lines("baseline", reading[:3], numbers, columns)
    yield _vitals(baseline, fields, lines, columns)

    histories = MedicalHistory.objects.filter(client__in=clients).order_by("pk")
    histories = histories.filter(Q(weight_kg__isnull=False) | Q(height_cm__isnull=False))
    if since is not None:
        histories = histories.filter(recorded_at__gte=since)
    fields = {
        "pk": "pk",
        "code": "client__code",
        "at": "recorded_at",
        "weight_kg": "weight_kg",
        "height_cm": "height_cm",
    }
    body = vitals.body(subject=subject, at=AT, weight_kg=WEIGHT, height_cm=HEIGHT)
    yield _vitals(histories, fields, _vital_lines("history", body, numbers, columns), columns)

    yield _scores_query(clients, since, columns, clinic_id)


def _scores_query(
    clients: QuerySet[Client], since: dt.datetime | None, columns: Columns, clinic_id: int
) -> Part:
    from holdspace.measures.models import Score

    scores = Score.objects.filter(client__in=clients, total__isnull=False).order_by("pk")
    if since is not None:
        scores = scores.filter(scored_at__gte=since)
    fields = {
        "pk": "pk",
        "response_id": "response_id",
        "code": "client__code",
        "instrument_code": "instrument_code",
        "total": "total",
        "band": "band",
        "observed_on": "observed_on",
    }
    texts = fhir.score_texts(clinic_id)
    known = [
        f"WHEN {_literal(code)} THEN "
        + _literal(orjson.dumps(fhir.score_concept(code, texts)).decode())
        for code in sorted(texts)
    ]
    concept = f"CASE r.instrument_code {' '.join(known)} ELSE {_other_concept()} END"
    slots: dict[str, str] = {
        '"@@concept@@"': concept,
        f'"{REF}"': columns.reference("r.code"),
        AT: columns.day("r.observed_on"),
        PK: "r.pk",
        "@@response@@": "r.response_id",
        # A float as Python writes it: 14.0, where PostgreSQL writes 14.
        str(TOTAL): "CASE WHEN r.total = trunc(r.total) AND abs(r.total) < 1e16 "
        "THEN trunc(r.total)::bigint::text || '.0' ELSE r.total::text END",
    }
    made = {
        band: fhir.score_observation(
            PK,
            "@@response@@",
            concept="@@concept@@",
            subject={"reference": REF},
            at=AT,
            total=TOTAL,
            band=band,
        )
        for band in ("", "@@band@@")
    }
    plain = template(made[""], slots)
    banded = template(made["@@band@@"], slots | {'"@@band@@"': "to_json(r.band)::text"})
    select = (
        "CASE WHEN r.band <> '' THEN 'score-band' ELSE 'score' END, "
        f"CASE WHEN r.band <> '' THEN {banded} ELSE {plain} END"
    )
    return Part(scores, fields, select, columns)


def _other_concept() -> str:
    """An instrument the clinic no longer has: its code and "<code> total"."""
    made = fhir.score_concept("@@instrument@@", {})
    text = orjson.dumps(made).decode().replace("@@instrument@@ total", "@@text@@")
    return template(
        orjson.loads(text),
        {
            '"@@instrument@@"': "to_json(r.instrument_code)::text",
            '"@@text@@"': "to_json(r.instrument_code || ' total')::text",
        },
        line=False,
    )


def _patient_queries(
    clients: QuerySet[Client], since: dt.datetime | None, privacy: Privacy, clinic_id: int
) -> Iterator[Part]:
    rows = clients.order_by("pk")
    if since is not None:
        rows = rows.filter(updated_at__gte=since)
    columns = Columns(privacy)
    made = fhir.patient("@@subject@@", fhir.patient_system(privacy))
    line = template(made, {'"@@subject@@"': f"to_json({columns.subject('r.code')})::text"})
    yield Part(rows, {"pk": "pk", "code": "code"}, f"'patient', {line}", columns)


# An answer with no item here: the line holds this character, and the Python path writes that
# response instead (found by `lines` with one memchr per line).
FALLBACK = "chr(3)"
INTEGER, NUMBER = 987654306, 987654307


def _answer(item: Any, definition: Any) -> str:
    """SQL for one answered item of `r.answers` as JSON text, as measures.fhir.response_items
    makes it: NULL when not answered, FALLBACK when the value is not one mapped here. Values
    are matched as jsonb writes them (`->>`: cheaper than comparing jsonb): 1.0 for option 1
    is not matched, so Python writes that response."""
    key = _text(item.link_id)
    present = f"r.answers ? {key}"

    def made(answer: object) -> str:
        [built] = measures_fhir.response_items({item.link_id: answer}, definition)
        return orjson.dumps(built).decode()

    if item.type == "number":  # any value, written as it is stored
        found = template(
            orjson.loads(made(NUMBER)), {str(NUMBER): f"(r.answers -> {key})::text"}, line=False
        )
        return f"CASE WHEN {present} THEN {found} END"
    value = f"(r.answers ->> {key})"
    if item.type == "scale-0-100":  # a whole number, as int() reads it
        whole = template(orjson.loads(made(INTEGER)), {str(INTEGER): value}, line=False)
        return f"CASE WHEN {value} ~ '^-?[0-9]+$' THEN {whole} WHEN {present} THEN {FALLBACK} END"
    values: list[object] = [True, False, 0, 1] if item.type == "yes-no" else []
    values += [
        int(option.value) if option.value == int(option.value) else option.value
        for option in item.options
    ]
    cases = " ".join(
        f"WHEN {_text(orjson.dumps(answer).decode())} THEN {_text(made(answer))}"
        for answer in dict.fromkeys(values)
    )
    # Not answered: NULL (left out). Answered with another value (or JSON null): FALLBACK.
    return f"CASE {value} {cases} ELSE CASE WHEN {present} THEN {FALLBACK} END END"


def _items(definition: Any) -> str:
    """The answered items of a response, comma-separated, in the definition's order."""
    answers = [_answer(item, definition) for item in definition.items]
    if not answers:
        return "''"
    # concat_ws skips NULLs (unanswered items); a function takes at most 100 arguments.
    parts = [
        "concat_ws(',', " + ", ".join(answers[i : i + 90]) + ")" for i in range(0, len(answers), 90)
    ]
    return "concat_ws(',', " + ", ".join(f"NULLIF({p}, '')" for p in parts) + ")"


def _response_queries(
    clients: QuerySet[Client], since: dt.datetime | None, privacy: Privacy, clinic_id: int
) -> Iterator[Part]:
    columns = Columns(privacy)
    definitions = library.definitions_for(clinic_id)
    rows = fhir.response_rows(clients, since, definitions)
    fields = {
        "pk": "pk",
        "code": "client__code",
        "instrument_code": "instrument_code",
        "version": "definition_version",
        "answers": "answers",
        "submitted_at": "submitted_at",
        "updated_at": "updated_at",
    }
    items: list[str] = []
    references = []
    for code, definition in sorted(definitions.items()):
        before, _marker, after = measures_fhir.questionnaire_reference(
            definition, "@@version@@"
        ).partition("@@version@@")
        references.append(
            f"WHEN {_literal(code)} THEN "
            f"to_json({_text(before)} || r.version || {_text(after)})::text"
        )
        items.append(f"WHEN {_literal(code)} THEN {_items(definition)}")
    made = fhir.questionnaire_response(
        PK,
        questionnaire="@@questionnaire@@",
        status="@@status@@",
        subject={"reference": REF},
        authored=AT,
        items="@@items@@",
    )
    completed, in_progress = fhir.response_status(True), fhir.response_status(None)
    line = template(
        made,
        {
            PK: "r.pk",
            '"@@questionnaire@@"': f"CASE r.instrument_code {' '.join(references)} END",
            '"@@status@@"': f"CASE WHEN r.submitted_at IS NULL THEN "
            f"{_literal(orjson.dumps(in_progress).decode())} "
            f"ELSE {_literal(orjson.dumps(completed).decode())} END",
            f'"{REF}"': columns.reference("r.code"),
            AT: columns.instant("coalesce(r.submitted_at, r.updated_at)"),
            '"@@items@@"': f"'[' || CASE r.instrument_code {' '.join(items)} END || ']'",
        },
    )
    yield Part(rows, fields, "'qr', " + line, columns)


QUERIES = {
    "Patient": _patient_queries,
    "QuestionnaireResponse": _response_queries,
    "Observation": _observation_queries,
}


# Rows per COPY: between two, the export writes its progress and looks for a cancel (on the
# same connection, which is busy during a COPY; and the same one, so it sees what the export's
# transaction sees).
STEP = 200_000


def lines(
    resource_type: str,
    clients: QuerySet[Client],
    since: dt.datetime | None,
    privacy: Privacy,
    clinic_id: int,
    between: Callable[[], None],
) -> Iterator[tuple[bytes, bytes]]:
    """(shape tag, NDJSON lines each with its newline) for each row, as PostgreSQL writes
    them: one resource per row, or a reading's vital signs (the tag then names each line's
    shape, comma-separated); in runs of STEP primary keys with `between()` called after each."""
    connection.ensure_connection()
    with connection.connection.cursor() as cursor:
        if privacy.deidentified:
            _fill_deid(cursor, clients, privacy)
        # A memoize cache keyed on whole rows costs more than it saves here. JIT compiling
        # these long expressions (once per run, in each parallel worker) costs more than
        # evaluating them: 0.7 s to 9.7 s of a 200,000-row run that takes 2 s without it.
        cursor.execute("SET enable_memoize = off")
        cursor.execute("SET jit = off")
        try:
            for part in QUERIES[resource_type](clients, since, privacy, clinic_id):
                bounds = part.rows.model.objects.aggregate(first=Min("pk"), last=Max("pk"))
                if bounds["first"] is None:
                    continue
                for first in range(bounds["first"], bounds["last"] + 1, STEP):
                    query = part.sql(first, first + STEP)
                    handed_back = []
                    with cursor.copy(f"COPY ({query}) TO STDOUT {COPY_OPTIONS}") as copy:
                        start = HEADER
                        for data in copy:  # one row per message
                            row = bytes(data)
                            end = start + 6 + int.from_bytes(row[start + 2 : start + 6])
                            shape, line = row[start + 6 : end], row[end + 4 :]
                            start = 0
                            if len(line) < 2:  # NULL or empty: what the builder leaves out
                                continue
                            if b"\x03" in line:  # an answer SQL has no item for
                                handed_back.append(int(line.split(b'"qr-', 1)[1].split(b'"')[0]))
                            else:
                                yield shape, line
                    if handed_back:
                        for resource in fhir.questionnaire_responses(
                            clients, since, privacy, clinic_id, only=handed_back
                        ):
                            shape = ("python:" + ",".join(resource)).encode()
                            yield shape, orjson.dumps(resource, option=orjson.OPT_APPEND_NEWLINE)
                    between()
        finally:
            cursor.execute("RESET enable_memoize")
            cursor.execute("RESET jit")
            if privacy.deidentified:
                cursor.execute(f"DROP TABLE IF EXISTS {DEID_TABLE}")


def _fill_deid(cursor: Any, clients: QuerySet[Client], privacy: Privacy) -> None:
    """Each client's research id and date shift (HMACs under the clinic's secret, computed
    here as deid.py does) in a temporary table the queries join."""
    cursor.execute(
        f"CREATE TEMPORARY TABLE {DEID_TABLE} (code text PRIMARY KEY, subject text, shift int)"
    )
    last = 0
    rows = clients.order_by("pk").values_list("pk", "code")
    # In pages, each read before its COPY: the connection can do one thing at a time.
    while page := list(rows.filter(pk__gt=last)[: fhir.CHUNK]):
        with cursor.copy(f"COPY {DEID_TABLE} (code, subject, shift) FROM STDIN") as copy:
            for _pk, code in page:
                copy.write_row(
                    (code, research_id(privacy.secret, code), shift_days(privacy.secret, code))
                )
        last = page[-1][0]
    cursor.execute(f"ANALYZE {DEID_TABLE}")
