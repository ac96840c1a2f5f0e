"""Queries whose SQL depends only on who asks, compiled from the ORM once per process.

Building and compiling an ORM query (scopes as EXISTS, subqueries, a UNION) costs
milliseconds of CPU on every request, often more than the database takes to run it. When a
query's SQL and parameters are fixed by a key (a member's id, role and clinic, say), the
compiled SQL is kept (bounded, least recently used dropped first) and later requests only
run it. The key must hold everything the query is built from: what the query reads is never
kept, only how to ask for it.

A query that differs from one request to the next only in a value it compares with (the
client of an overview, say) is compiled once for every value (`CompiledQueries.bound`): it is
built with a stand-in for each such value (an integer or a text) and run with the request's
own in its place. Its rows come as tuples (`rows()`) or, for a queryset of models with
`select_related`, as the model instances the ORM would make (`objects()`).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field, replace
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import QuerySet
from django.db.models.query import ModelIterable, get_related_populators
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
    # For a queryset of models: the compiler's klass_info, select and annotation columns, to
    # make each row into its model and its select_related models (`objects`).
    models: tuple[Any, Any, dict[str, int]] | None = field(default=None, compare=False)

    def objects(self) -> list[Any]:
        """The rows as model instances, as iterating the queryset makes them (its model, the
        models of its select_related, its annotations)."""
        if not self.sql:  # a query that can have no rows (`.none()`)
            return []
        if self.models is None:
            raise ValueError("not a queryset of models")
        klass_info, select, annotations = self.models
        rows = self.rows()
        if not rows:
            return []
        model = klass_info["model"]
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        names = [column[0].target.attname for column in select[start:end]]
        # (django-stubs name a later Django's extra argument)
        populators = get_related_populators(klass_info, select, self.alias)  # type: ignore[call-arg]
        made = []
        for row in rows:
            obj = model.from_db(self.alias, names, row[start:end])
            for populator in populators:
                populator.populate(row, obj)
            for name, position in annotations.items():
                setattr(obj, name, row[position])
            made.append(obj)
        return made

    def rows(self) -> list[tuple[Any, ...]]:
        if not self.sql:
            return []
        connection = connections[self.alias]
        with prepared_cursor(connection) as cursor:
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


def prepared_cursor(connection: BaseDatabaseWrapper) -> Any:
    """A cursor for SQL that is run again and again with other values (this module's, and the
    session read): on PostgreSQL one that sends the values apart from the statement, so the
    connection prepares the statement once (psycopg, from its second run: settings'
    `prepare_threshold`) and later runs skip PostgreSQL's parsing and planning, which took
    longer than running these small queries (0.4 -> 0.16 ms for the member's query, 1.4 ->
    0.3 ms for the banners). Django's own queries keep Django's client-side binding. Wrapped
    as Django wraps its cursors: execute wrappers and error translation apply."""
    if (
        connection.vendor != "postgresql"
        or connection.settings_dict.get("OPTIONS", {}).get("prepare_threshold") is None
        # Logging queries (DEBUG, a test capturing them): Django's cursor, whose log shows
        # each statement's text, which a prepared statement's run does not give back.
        or connection.queries_logged
    ):
        return connection.cursor()
    from django.db.backends.postgresql.base import ServerBindingCursor

    # As Django's own cursor(): a kept connection the server dropped is replaced first.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        cursor = ServerBindingCursor(connection.connection)  # type: ignore[call-arg]
        return connection._prepare_cursor(cursor)  # type: ignore[attr-defined]


def compile_query(query: QuerySet[Any]) -> Compiled:
    compiler = query.query.get_compiler(using=query.db)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        return Compiled(query.db, "", ())
    columns = tuple(selected[0] for selected in compiler.select[: compiler.col_count])
    models = None
    if issubclass(query._iterable_class, ModelIterable) and compiler.klass_info:
        models = (compiler.klass_info, compiler.select, dict(compiler.annotation_col_map))
    return Compiled(query.db, sql, tuple(params), columns, models)


# Stand-ins for the values a bound query is run with: integers no table holds (ids are
# positive) and inside every backend's integer range, and texts no code or key takes, so the
# ORM passes them on as parameters like any other value.
_STAND_INS = tuple(-1_987_654_301 - i for i in range(8))
_BIGINT = (-(2**63), 2**63 - 1)
# Mixed case: a build that upper()s or lower()s a text value changes it, and is refused.
_TEXT_STAND_INS = tuple(f"~Holdspace-Stand-In-{i}~" for i in range(8))


@dataclass(frozen=True)
class Bound:
    """A compiled query and where in its parameters each named value goes."""

    compiled: Compiled
    slots: tuple[tuple[int, str], ...]  # (parameter index, value name)

    def bind(self, values: dict[str, int | str]) -> Compiled:
        if not self.compiled.sql:
            return self.compiled
        if any(
            isinstance(value, int) and not _BIGINT[0] <= value <= _BIGINT[1]
            for value in values.values()
        ):
            # No row holds a number the database's integers cannot (the ORM answers such a
            # lookup with no rows too, rather than sending it).
            return replace(self.compiled, sql="", params=())
        params = list(self.compiled.params)
        for index, name in self.slots:
            params[index] = values[name]
        return replace(self.compiled, params=tuple(params))


def compile_bound(
    build: Callable[..., QuerySet[Any]], names: tuple[str, ...], texts: tuple[str, ...] = ()
) -> Bound:
    """`build(**stand_ins)` compiled, each stand-in's parameter positions found (`texts`: the
    names whose values are text, the others integers). Refused (ValueError) when the ORM did
    not pass a value on as a parameter of its own (wrote it into the SQL, or changed it): the
    query would then not follow the value."""
    if len(names) > len(_STAND_INS):
        raise ValueError("too many bound values")
    stand_ins: dict[str, int | str] = {
        name: (_TEXT_STAND_INS[i] if name in texts else _STAND_INS[i])
        for i, name in enumerate(names)
    }
    compiled = compile_query(build(**stand_ins))
    if not compiled.sql:
        return Bound(compiled, ())
    by_value = {value: name for name, value in stand_ins.items()}
    slots = tuple(
        (i, by_value[param])
        for i, param in enumerate(compiled.params)
        if isinstance(param, int | str) and not isinstance(param, bool) and param in by_value
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

    def bound(
        self, key: Hashable, build: Callable[..., QuerySet[Any]], **values: int | str
    ) -> Compiled:
        names = tuple(sorted(values))
        texts = tuple(name for name in names if isinstance(values[name], str))
        found = self.kept_bound.get((key, names, texts))
        if found is None:
            found = compile_bound(build, names, texts)
            self.kept_bound.put((key, names, texts), found)
        return found.bind(values)

    def exists(
        self, key: Hashable, build: Callable[..., QuerySet[Any]], **values: int | str
    ) -> bool:
        """Whether `build(**values)` has any row (`bound`, asking for one primary key)."""
        return bool(
            self.bound(
                key, lambda **names: build(**names).order_by().values_list("pk")[:1], **values
            ).rows()
        )

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
