"""Queries whose SQL depends only on who asks, compiled from the ORM once per process.

Building and compiling an ORM query (scopes as EXISTS, subqueries, a UNION) costs
milliseconds of CPU on every request, often more than the database takes to run it. When a
query's SQL and parameters are fixed by a key (a member's id, role and clinic, say), the
compiled SQL is kept (bounded, least recently used dropped first) and later requests only
run it. The key must hold everything the query is built from: what the query reads is never
kept, only how to ask for it.

A query that differs from one request to the next only in a value it compares with (the
client of an overview, say) is compiled once for every value (`CompiledQueries.bound`): it is
built with a stand-in for each such value and run with the request's own in its place.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet
from django.utils import timezone

from .memo import BoundedMemo


@dataclass(frozen=True)
class Compiled:
    alias: str
    sql: str  # "" when the query can have no rows (`.none()`, an empty IN)
    params: tuple[Any, ...]
    # The selected expressions, for the database's converters (SQLite's datetimes, say): the
    # rows come as the ORM would give them.
    columns: tuple[Any, ...] = ()

    def rows(self) -> list[tuple[Any, ...]]:
        if not self.sql:
            return []
        connection = connections[self.alias]
        with connection.cursor() as cursor:
            cursor.execute(self.sql, self.params)
            rows = cursor.fetchall()
        converters = []
        for i, column in enumerate(self.columns):
            found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            if found:
                converters.append((i, found, column))
        if not converters or not rows:
            return rows
        converted = []
        for row in rows:
            values = list(row)
            for i, found, column in converters:
                for convert in found:
                    values[i] = convert(values[i], column, connection)
            converted.append(tuple(values))
        return converted


def compile_query(query: QuerySet[Any]) -> Compiled:
    compiler = query.query.get_compiler(using=query.db)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        return Compiled(query.db, "", ())
    columns = tuple(selected[0] for selected in compiler.select[: compiler.col_count])
    return Compiled(query.db, sql, tuple(params), columns)


# Stand-ins for the values a bound query is run with: integers no table holds (ids are
# positive) and inside every backend's integer range, so the ORM passes them on as
# parameters like any other value.
_STAND_INS = tuple(-1_987_654_301 - i for i in range(8))


@dataclass(frozen=True)
class Bound:
    """A compiled query and where in its parameters each named value goes."""

    compiled: Compiled
    slots: tuple[tuple[int, str], ...]  # (parameter index, value name)

    def bind(self, values: dict[str, int]) -> Compiled:
        if not self.compiled.sql:
            return self.compiled
        params = list(self.compiled.params)
        for index, name in self.slots:
            params[index] = values[name]
        return replace(self.compiled, params=tuple(params))


def compile_bound(build: Callable[..., QuerySet[Any]], names: tuple[str, ...]) -> Bound:
    """`build(**stand_ins)` compiled, each stand-in's parameter positions found. Refused
    (ValueError) when the ORM did not pass a value on as a parameter of its own (wrote it
    into the SQL, or changed it): the query would then not follow the value."""
    if len(names) > len(_STAND_INS):
        raise ValueError("too many bound values")
    stand_ins = dict(zip(names, _STAND_INS, strict=False))
    compiled = compile_query(build(**stand_ins))
    if not compiled.sql:
        return Bound(compiled, ())
    by_value = {value: name for name, value in stand_ins.items()}
    slots = tuple(
        (i, by_value[param])
        for i, param in enumerate(compiled.params)
        if isinstance(param, int) and param in by_value
    )
    if {name for _i, name in slots} != set(names) or any(
        str(value) in compiled.sql for value in stand_ins.values()
    ):
        raise ValueError("a bound value is not a parameter of the query")
    return Bound(compiled, slots)


class CompiledQueries:
    """One kind of query, compiled once per key (`get(key, build)`: `build` makes the
    queryset, or a `Compiled`, when the key is new; `bound(key, build, **values)`: `build`
    takes the values by name and the query is compiled once for any values)."""

    def __init__(self, kept: int = 4096) -> None:
        self.kept: BoundedMemo[Compiled] = BoundedMemo(kept, lambda _compiled: 1)
        self.kept_bound: BoundedMemo[Bound] = BoundedMemo(kept, lambda _bound: 1)

    def get(self, key: Hashable, build: Callable[[], QuerySet[Any] | Compiled]) -> Compiled:
        found = self.kept.get(key)
        if found is None:
            built = build()  # a queryset, or SQL already made from one
            found = built if isinstance(built, Compiled) else compile_query(built)
            self.kept.put(key, found)
        return found

    def bound(self, key: Hashable, build: Callable[..., QuerySet[Any]], **values: int) -> Compiled:
        names = tuple(sorted(values))
        found = self.kept_bound.get((key, names))
        if found is None:
            found = compile_bound(build, names)
            self.kept_bound.put((key, names), found)
        return found.bind(values)

    def clear(self) -> None:
        self.kept.clear()
        self.kept_bound.clear()


def member_day_key(member: Any) -> tuple[Any, ...]:
    """The key of a query built from who asks (a membership: its id, role and clinic) and
    today's bounds in the current time zone: everything such a query's SQL is made from."""
    return (
        member.pk,
        member.role,
        member.clinic_id,
        timezone.localdate(),
        timezone.get_current_timezone_name(),
    )
