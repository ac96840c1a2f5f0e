"""A membership test whose list of ids is one query parameter, not one per id.

`filter(client_id__in=ids)` with 200 ids writes 200 placeholders, and psycopg (Django's
client-side binding) splits and quotes each on every query: on the Today page's screening
panel (200 clients, five intake tables) that was most of its time. `InIds(F("client_id"), ids)`
sends the ids as one value: a PostgreSQL array (`= ANY(%s)`), or a JSON list that SQLite reads
with `json_each`. Same rows as `__in`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.db.models import Lookup


class InIds(Lookup):
    lookup_name = "in_ids"
    prepare_rhs = False

    def __init__(self, lhs: Any, rhs: Iterable[int]) -> None:
        super().__init__(lhs, [int(value) for value in rhs])

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs, params = self.process_lhs(compiler, connection)
        sql = f"{lhs} IN (SELECT value FROM json_each(%s))"  # noqa: S608  (lhs: Django's column)
        return sql, (*params, json.dumps(self.rhs))

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s::bigint[])", (*params, self.rhs)
