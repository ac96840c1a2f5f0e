"""Queries whose SQL depends only on who asks, compiled from the ORM once per process.

Building and compiling an ORM query (scopes as EXISTS, subqueries, a UNION) costs
milliseconds of CPU on every request, often more than the database takes to run it. When a
query's SQL and parameters are fixed by a key (a member's id, role and clinic, say), the
compiled SQL is kept (bounded, least recently used dropped first) and later requests only
run it. The key must hold everything the query is built from: what the query reads is never
kept, only how to ask for it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet

from .memo import BoundedMemo


@dataclass(frozen=True)
class Compiled:
    alias: str
    sql: str  # "" when the query can have no rows (`.none()`, an empty IN)
    params: tuple[Any, ...]

    def rows(self) -> list[tuple[Any, ...]]:
        if not self.sql:
            return []
        with connections[self.alias].cursor() as cursor:
            cursor.execute(self.sql, self.params)
            return cursor.fetchall()


def compile_query(query: QuerySet[Any]) -> Compiled:
    try:
        sql, params = query.query.get_compiler(using=query.db).as_sql()
    except EmptyResultSet:
        return Compiled(query.db, "", ())
    return Compiled(query.db, sql, tuple(params))


class CompiledQueries:
    """One kind of query, compiled once per key (`get(key, build)`: `build` makes the
    queryset when the key is new)."""

    def __init__(self, kept: int = 4096) -> None:
        self.kept: BoundedMemo[Compiled] = BoundedMemo(kept, lambda _compiled: 1)

    def get(self, key: Hashable, build: Callable[[], QuerySet[Any]]) -> Compiled:
        found = self.kept.get(key)
        if found is None:
            found = compile_query(build())
            self.kept.put(key, found)
        return found

    def clear(self) -> None:
        self.kept.clear()
