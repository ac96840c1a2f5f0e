"""Django's database sessions, with the read every request makes written once.

`SessionStore` is Django's own (`django.contrib.sessions.backends.db`) in all but how it reads
a session: Django builds and compiles `Session.objects.get(...)` through the ORM on every
request, which takes longer than the database takes to answer; here it is one fixed statement
with the same conditions (this key, not expired) and the expiry compared as Django adapts it.
"""

from __future__ import annotations

from functools import cache
from types import SimpleNamespace
from typing import Any

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.db import connections, router
from django.utils import timezone

from .compiled import prepared_cursor


@cache
def _read_sql(alias: str) -> str:
    quote = connections[alias].ops.quote_name
    columns = {field.name: str(field.column) for field in Session._meta.concrete_fields}
    key, data, expiry = (
        quote(columns[name]) for name in ("session_key", "session_data", "expire_date")
    )
    table = quote(Session._meta.db_table)
    # Names from the model, quoted by the backend; the values are parameters.
    return f"SELECT {data} FROM {table} WHERE {key} = %s AND {expiry} > %s"  # noqa: S608


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> Any:
        alias = router.db_for_read(self.model)
        connection = connections[alias]
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with prepared_cursor(connection) as cursor:
            cursor.execute(_read_sql(alias), [self.session_key, now])
            row = cursor.fetchone()
        if row is None:  # none, or expired: as Session.DoesNotExist in Django's own
            self._session_key = None
            return None
        return SimpleNamespace(session_data=row[0])
