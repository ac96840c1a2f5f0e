"""The baseline and endpoint of every client, chosen inside the database (one GROUP BY).

The same rules as `rows.pick_baseline` and `rows.pick_endpoint`, written a second time in SQL
so a cohort's rows need one row per client from the database instead of every score;
`tests/outcomes/test_picking.py` holds the two to the same answers, ties included. Scores are
in the order (observed_on, id), as in Python. SQL that runs on PostgreSQL and SQLite alike,
except a few expressions (dates, joined text; one per vendor).

Baseline: the (last) score at the `baseline` timepoint, else the last before the first
medicine session's date, else the first score. Endpoint: among the scores after the baseline
that are not follow-ups, the (last) one at the `end` timepoint, else the last one.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from django.db import connection
from django.db.models import QuerySet

from holdspace.courses.models import Course, Visit, VisitKind
from holdspace.measures.models import Score
from holdspace.people.models import Client
from holdspace.screening.models import Context, PriorExperience

from .rows import (
    BASELINE_AT_TIMEPOINT,
    BASELINE_BEFORE_FIRST_SESSION,
    BASELINE_FIRST_RESPONSE,
    BASELINE_TIMEPOINT,
    ENDPOINT_AT_TIMEPOINT,
    ENDPOINT_LAST_RESPONSE,
    ENDPOINT_TIMEPOINT,
    FOLLOW_UP_PREFIX,
)


def _first_session_date() -> str:
    if connection.vendor == "postgresql":
        return "CAST(MIN(v.starts_at) AT TIME ZONE 'UTC' AS date)"
    return "date(MIN(v.starts_at))"  # SQLite keeps UTC text: its date part


# A score's place in the (observed_on, id) order as one integer: days since 2000-01-01 times
# 2^40, plus the id (ids below 2^40; any date from year 1 to 9999 stays inside 64 bits). So
# "the last score at a timepoint" is a plain MAX over the client's scores, with no row number
# and no sort by date.
_KEY_BITS = 40
_KEY_SHIFT = 2**_KEY_BITS


def _order_key() -> str:
    if connection.vendor == "postgresql":
        return f"(sc.observed_on - DATE '2000-01-01')::bigint * {_KEY_SHIFT} + sc.id"
    return f"CAST(julianday(sc.observed_on) - 2451544.5 AS INTEGER) * {_KEY_SHIFT} + sc.id"


def _score_of(alias: str, key: str) -> str:
    """The join condition that finds the score of a key (see _order_key) through the covering
    index on (client, instrument, date, id, ...): client, instrument, the key's day and id.
    One %s parameter: the instrument."""
    if connection.vendor == "postgresql":
        day = f"DATE '2000-01-01' + CAST({key} >> {_KEY_BITS} AS integer)"
    else:
        day = f"date('2000-01-01', ({key} >> {_KEY_BITS}) || ' days')"
    return (
        f"{alias}.client_id = g.c AND {alias}.instrument_code = %s "
        f"AND {alias}.observed_on = {day} AND {alias}.id = ({key} & {_KEY_SHIFT - 1})"
    )


def _ordinal(column: str) -> str:
    """A date column as its proleptic Gregorian ordinal (date.toordinal), in SQL."""
    if connection.vendor == "postgresql":
        return f"({column} - DATE '0001-01-01' + 1)"
    return f"CAST(julianday({column}) - 1721424.5 AS INTEGER)"


# A client's follow-up scores are joined as one text, each score as a record of its key,
# total and timepoint: the records with _APART between them, a record's fields with
# _FIELDS_APART (any text can be a timepoint; a control character is in none).
_APART = "\x1f"
_FIELDS_APART = "\x1e"


def _joined(expression: str, apart: str = "','") -> str:
    """The non-null values of `expression` in a group as one text, `apart` (SQL) apart. The
    texts joined in one group list their rows in the same order: one pass over them."""
    if connection.vendor == "postgresql":
        return f"STRING_AGG({expression}, {apart})"
    return f"GROUP_CONCAT({expression}, {apart})"


def _char(code: int) -> str:
    return f"CHR({code})" if connection.vendor == "postgresql" else f"CHAR({code})"


def _starts(column: str) -> str:
    """`column` starts with the %s parameter (FOLLOW_UP_PREFIX). On PostgreSQL a comparison of
    bytes in place (starts_with), where SUBSTR made a new text a score."""
    if connection.vendor == "postgresql":
        return f"starts_with({column}, %s)"
    return f"SUBSTR({column}, 1, {len(FOLLOW_UP_PREFIX)}) = %s"


def _text(column: str) -> str:
    """A double as text that reads back as the same number (float('...'): a double's
    shortest round-trip text on PostgreSQL, 17 significant digits on SQLite)."""
    if connection.vendor == "postgresql":
        return f"CAST({column} AS text)"
    return f"PRINTF('%%!.17g', {column})"


def _last_follow_ups(records: str) -> dict[str, float]:
    """The last score at each follow-up timepoint, from picked's joined records, the
    timepoints in the order of their first score (as rows.build_row fills them)."""
    last: dict[str, float] = {}
    scores = []
    for record in records.split(_APART):
        key, total, tp = record.split(_FIELDS_APART, 2)
        scores.append((int(key), tp, total))
    for _key, tp, total in sorted(scores):
        last[tp] = float(total)
    return last


# Why the baseline and the endpoint were chosen, by the small number the query returns.
BASELINE_SOURCES = (BASELINE_AT_TIMEPOINT, BASELINE_BEFORE_FIRST_SESSION, BASELINE_FIRST_RESPONSE)
ENDPOINT_SOURCES = (None, ENDPOINT_LAST_RESPONSE, ENDPOINT_AT_TIMEPOINT)


class Found(NamedTuple):
    """One client's picks and facts, as `picked` returns them: dates as ordinals
    (date.toordinal), sources as BASELINE_SOURCES / ENDPOINT_SOURCES name them."""

    client_id: int
    code: str
    baseline: float
    baseline_on: int
    baseline_band: str
    baseline_source: str
    endpoint: float | None
    endpoint_on: int | None
    endpoint_source: str | None
    party_uses: int
    template: str


def picked(
    clients: QuerySet[Client], instrument_code: str
) -> tuple[list[tuple[Any, ...]], dict[int, dict[str, float]]]:
    """One row per client of `clients` with a score on the instrument, in one query: the
    fields of `Found` (client id, code, baseline and endpoint with their dates as ordinals and
    why they were picked, recorded party and festival uses, the newest course's template
    name), as plain tuples; and {client id: {follow-up timepoint: score}}."""
    members, member_params = clients.order_by().values("pk").query.sql_with_params()
    through = Course.clients.through._meta.db_table
    # Only table names from the models, a length, a constant and the ORM's own compiled
    # client subquery are put into the text; every value, the subquery's included, is a
    # query parameter.
    #
    # One pass over the cohort's scores, narrow rows (the timepoint is on the score: no join
    # to the response and assignment), grouped by client: the keys (see _order_key) of the
    # last score at the baseline timepoint, the last before the first medicine session, the
    # first, the last at the endpoint timepoint and the last that is not a follow-up, and the
    # follow-ups joined as text (rare; _last_follow_ups picks the last at each timepoint). The
    # baseline is the first of the first three that exists; the endpoint the last at the
    # endpoint timepoint if it comes after the baseline, else the last non-follow-up if that
    # does. The two picked scores' total, band and date are then read back by their keys
    # (_score_of: one probe each of the covering index). Beside them: the client's code, party
    # uses and newest template (what three small queries did). A window over every score (the
    # earlier form) kept each client's rows to hand them back: at network scale the window
    # took about twice as long as the scan under it; the GROUP BY about nothing more.
    #
    # For PostgreSQL's planner (the answer is the same in any order): the scores are joined to
    # the client ids in id order, so each client's scores come from the covering index on
    # (client, instrument, date, id, total, timepoint, band) one client after another, already
    # grouped (an index-only scan and no sort of every score; a semi-join `IN (...)` hashed
    # them and sorted them all again, spilling to disk at network scale); the first medicine
    # sessions come from the covering index on visits (course, kind, cancelled, start) and are
    # merged in client order. The key is computed once a score.
    key = _order_key()
    # A follow-up score as one record (key, total, timepoint; see _last_follow_ups): one
    # aggregate where three joined columns (timepoints, keys, totals) made three, and the
    # test for a follow-up made once more per score for each (`fu` is not computed once: the
    # planner writes it out at every use; starts_with compares bytes in place where SUBSTR
    # made a new text). At network scale (25,000 clients, 460,000 scores, load ~6, four
    # runs alternated) the query took 850 to 1,010 ms with the three, 710 to 900 ms with
    # one; a GROUP BY of the same scores without any joined column, 150 to 170 ms.
    record = (
        f"CASE WHEN fu THEN CAST(k AS text) || {_char(30)} || {_text('t')} || {_char(30)} || tp END"
    )
    sql = f"""
        WITH cl(id) AS ({members}),
        f AS (
            SELECT cc.client_id AS c, {_first_session_date()} AS first
            FROM {Visit._meta.db_table} v JOIN {through} cc ON cc.course_id = v.course_id
            WHERE v.kind = %s AND v.cancelled = %s AND cc.client_id IN (SELECT id FROM cl)
            GROUP BY cc.client_id
        ),
        g AS (
            SELECT c, b,
                   CASE WHEN end_k > b THEN end_k WHEN last_k > b THEN last_k END AS e,
                   CASE WHEN at_tp IS NOT NULL THEN 0 WHEN before_first IS NOT NULL THEN 1
                        ELSE 2 END AS b_source,
                   CASE WHEN end_k > b THEN 2 WHEN last_k > b THEN 1 ELSE 0 END AS e_source,
                   fu
            FROM (
                SELECT c, at_tp, before_first, end_k, last_k, fu,
                       COALESCE(at_tp, before_first, first_k) AS b
                FROM (
                    SELECT c,
                           MAX(CASE WHEN tp = %s THEN k END) AS at_tp,
                           MAX(CASE WHEN d < first THEN k END) AS before_first,
                           MIN(k) AS first_k,
                           MAX(CASE WHEN tp = %s THEN k END) AS end_k,
                           MAX(CASE WHEN fu THEN NULL ELSE k END) AS last_k,
                           {_joined(record, _char(31))} AS fu
                    FROM (
                        SELECT sc.client_id AS c, {key} AS k, sc.timepoint AS tp,
                               sc.total AS t, sc.observed_on AS d, f.first AS first,
                               {_starts("sc.timepoint")} AS fu
                        FROM (SELECT DISTINCT id FROM cl ORDER BY id) o
                        JOIN {Score._meta.db_table} sc ON sc.client_id = o.id
                        LEFT JOIN f ON f.c = sc.client_id
                        WHERE sc.instrument_code = %s AND sc.total IS NOT NULL
                    ) i
                    GROUP BY c
                ) a
            ) x
        ),
        pu AS (
            SELECT pe.client_id AS c, SUM(pe.times) AS n
            FROM {PriorExperience._meta.db_table} pe
            WHERE pe.context IN (%s, %s) AND pe.client_id IN (SELECT id FROM cl)
            GROUP BY pe.client_id
        ),
        tpl AS (
            SELECT c, name FROM (
                SELECT cc.client_id AS c, co.template_name AS name,
                       ROW_NUMBER() OVER (
                           PARTITION BY cc.client_id ORDER BY co.created_at DESC, co.id DESC
                       ) AS r
                FROM {Course._meta.db_table} co JOIN {through} cc ON cc.course_id = co.id
                WHERE cc.client_id IN (SELECT id FROM cl)
            ) y
            WHERE r = 1
        )
        SELECT g.c, pc.code, sb.total, {_ordinal("sb.observed_on")}, sb.band, g.b_source,
               se.total, {_ordinal("se.observed_on")}, g.e_source,
               COALESCE(pu.n, 0), COALESCE(tpl.name, ''), g.fu
        FROM g JOIN {Client._meta.db_table} pc ON pc.id = g.c
        JOIN {Score._meta.db_table} sb ON {_score_of("sb", "g.b")}
        LEFT JOIN {Score._meta.db_table} se ON {_score_of("se", "g.e")}
        LEFT JOIN pu ON pu.c = g.c LEFT JOIN tpl ON tpl.c = g.c
    """  # noqa: S608
    params = [
        *member_params,
        VisitKind.MEDICINE_SESSION.value,
        False,
        BASELINE_TIMEPOINT,
        ENDPOINT_TIMEPOINT,
        FOLLOW_UP_PREFIX,
        instrument_code,
        Context.PARTY.value,
        Context.FESTIVAL.value,
        instrument_code,
        instrument_code,
    ]
    found: list[tuple[Any, ...]] = []
    follow_ups: dict[int, dict[str, float]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    b_sources, e_sources = BASELINE_SOURCES, ENDPOINT_SOURCES
    for c, code, bt, bd, band, bs, et, ed, es, uses, template, fu in rows:
        found.append(
            (
                c,
                code,
                float(bt),
                int(bd),
                band or "",
                b_sources[bs],
                float(et) if et is not None else None,
                int(ed) if ed is not None else None,
                e_sources[es],
                int(uses),
                template,
            )
        )
        if fu is not None:
            follow_ups[c] = _last_follow_ups(fu)
    return found, follow_ups
