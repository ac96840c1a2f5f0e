"""The baseline and endpoint of every client, chosen inside the database (window functions).

The same rules as `rows.pick_baseline` and `rows.pick_endpoint`, written a second time in SQL
so a cohort's rows need one row per client from the database instead of every score;
`tests/outcomes/test_picking.py` holds the two to the same answers, ties included. Scores are
in the order (observed_on, id), as in Python. SQL that runs on PostgreSQL and SQLite alike,
except the UTC date of the first medicine session (one expression per vendor).

Baseline: the (last) score at the `baseline` timepoint, else the last before the first
medicine session's date, else the first score. Endpoint: among the scores after the baseline
that are not follow-ups, the (last) one at the `end` timepoint, else the last one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import QuerySet

from holdspace.courses.models import Course, Visit, VisitKind
from holdspace.measures.models import Assignment, Response, Score
from holdspace.people.models import Client

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


class Picked(NamedTuple):
    baseline: float
    baseline_on: dt.date
    baseline_band: str
    baseline_source: str
    endpoint: float | None
    endpoint_on: dt.date | None
    endpoint_source: str | None


def _date(value: Any) -> dt.date | None:
    # SQLite hands dates back as text through a raw cursor.
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _first_session_date() -> str:
    if connection.vendor == "postgresql":
        return "CAST(MIN(v.starts_at) AT TIME ZONE 'UTC' AS date)"
    return "date(MIN(v.starts_at))"  # SQLite keeps UTC text: its date part


def picked(
    clients: QuerySet[Client], instrument_code: str
) -> tuple[dict[int, Picked], dict[int, dict[str, float]]]:
    """{client id: baseline and endpoint} and {client id: {follow-up timepoint: score}} for
    every client of `clients` with a score on the instrument, in one query."""
    members, member_params = clients.order_by().values("pk").query.sql_with_params()
    n = len(FOLLOW_UP_PREFIX)
    through = Course.clients.through._meta.db_table
    # Only table names from the models, a length and the ORM's own compiled client subquery
    # are put into the text; every value, the subquery's included, is a query parameter.
    scores = f"""
        cl(id) AS ({members}),
        s AS (
            SELECT sc.client_id AS c, sc.observed_on AS d, sc.total AS t, sc.band AS band,
                   COALESCE(a.timepoint, '') AS tp,
                   ROW_NUMBER() OVER (PARTITION BY sc.client_id
                                      ORDER BY sc.observed_on, sc.id) AS n
            FROM {Score._meta.db_table} sc
            JOIN {Response._meta.db_table} r ON r.id = sc.response_id
            LEFT JOIN {Assignment._meta.db_table} a ON a.id = r.assignment_id
            WHERE sc.client_id IN (SELECT id FROM cl) AND sc.instrument_code = %s
              AND sc.total IS NOT NULL
        )"""  # noqa: S608
    # One pass over the scores: window aggregates per client say which position is the
    # baseline (b) and the endpoint, then one GROUP BY takes their values. No self-join, so
    # the plan stays linear in the number of scores whatever the planner's estimates.
    sql = f"""
        WITH {scores},
        f AS (
            SELECT cc.client_id AS c, {_first_session_date()} AS first
            FROM {Visit._meta.db_table} v JOIN {through} cc ON cc.course_id = v.course_id
            WHERE v.kind = %s AND v.cancelled = %s AND cc.client_id IN (SELECT id FROM cl)
            GROUP BY cc.client_id
        ),
        s1 AS (
            SELECT s.*,
                   MAX(CASE WHEN s.tp = %s THEN s.n END) OVER (PARTITION BY s.c) AS at_tp,
                   MAX(CASE WHEN s.d < f.first THEN s.n END) OVER (PARTITION BY s.c)
                       AS before_first
            FROM s LEFT JOIN f ON f.c = s.c
        ),
        s2 AS (SELECT s1.*, COALESCE(at_tp, before_first, 1) AS b FROM s1),
        s3 AS (
            SELECT s2.*,
                   MAX(CASE WHEN n > b AND tp = %s THEN n END) OVER (PARTITION BY c) AS at_end,
                   MAX(CASE WHEN n > b AND SUBSTR(tp, 1, {n}) <> %s THEN n END)
                       OVER (PARTITION BY c) AS last
            FROM s2
        ),
        s4 AS (SELECT s3.*, COALESCE(at_end, last) AS e FROM s3)
        SELECT 0, c, 0,
               MAX(CASE WHEN n = b THEN t END), MAX(CASE WHEN n = b THEN d END),
               MAX(CASE WHEN n = b THEN band END),
               CASE WHEN MAX(at_tp) IS NOT NULL THEN %s
                    WHEN MAX(before_first) IS NOT NULL THEN %s ELSE %s END,
               MAX(CASE WHEN n = e THEN t END), MAX(CASE WHEN n = e THEN d END),
               CASE WHEN MAX(at_end) IS NOT NULL THEN %s WHEN MAX(last) IS NOT NULL THEN %s END
        FROM s4
        GROUP BY c
        UNION ALL
        SELECT 1, c, n, t, NULL, NULL, tp, NULL, NULL, NULL FROM s WHERE SUBSTR(tp, 1, {n}) = %s
        ORDER BY 1, 2, 3
    """  # noqa: S608
    params = [
        *member_params,
        instrument_code,
        VisitKind.MEDICINE_SESSION.value,
        False,
        BASELINE_TIMEPOINT,
        ENDPOINT_TIMEPOINT,
        FOLLOW_UP_PREFIX,
        BASELINE_AT_TIMEPOINT,
        BASELINE_BEFORE_FIRST_SESSION,
        BASELINE_FIRST_RESPONSE,
        ENDPOINT_AT_TIMEPOINT,
        ENDPOINT_LAST_RESPONSE,
        FOLLOW_UP_PREFIX,
    ]
    found: dict[int, Picked] = {}
    follow_ups: dict[int, dict[str, float]] = {}
    # One query: a row per client (kind 0), then each follow-up score in order (kind 1; the
    # last at each follow-up timepoint is its own column, never the endpoint).
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for kind, c, _n, bt, bd, band, bsrc, et, ed, esrc in cursor.fetchall():
            if kind:
                follow_ups.setdefault(c, {})[bsrc] = float(bt)
                continue
            found[c] = Picked(
                float(bt), _date(bd), band or "", bsrc,  # type: ignore[arg-type]
                None if et is None else float(et), _date(ed), esrc,
            )  # fmt: skip
    return found, follow_ups
