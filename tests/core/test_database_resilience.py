"""Kept PostgreSQL connections that the server drops cost no request and no write.

The requests go through Django's real WSGI handler (the test client skips the connection
checks a server does at each request), signed in, each one writing an audit row. Between
rounds another connection terminates the app's connection, as a database restart would.
"""

from __future__ import annotations

import io
from wsgiref.util import setup_testing_defaults

import psycopg
import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection

from holdspace.audit.models import AuditEvent

from ..conftest import signed_in

pytestmark = pytest.mark.django_db(transaction=True)

ROUNDS, PER_ROUND = 4, 15


def _terminate_other_backends() -> int:
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as killer:
        row = killer.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()
    return int(row[0]) if row else 0


def test_dropped_connections_fail_no_request_and_lose_no_write(clinics, lead, settings):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no server connections to drop.")
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True
    assert settings.DATABASES["default"]["CONN_MAX_AGE"] > 0  # connections are kept
    cookie = signed_in(lead).cookies["sessionid"].value
    handler = WSGIHandler()

    def visit() -> int:
        environ: dict[str, object] = {
            "PATH_INFO": f"/clients/{clinics.client.code}/",
            "HTTP_COOKIE": f"sessionid={cookie}",
            "SERVER_NAME": "testserver",
            "wsgi.input": io.BytesIO(),
        }
        setup_testing_defaults(environ)
        status: list[str] = []
        body = handler(environ, lambda s, headers, exc_info=None: status.append(s))
        b"".join(body)
        body.close()  # request_finished: the connection is kept (CONN_MAX_AGE)
        return int(status[0].split()[0])

    before = AuditEvent.objects.filter(action="client.view").count()
    statuses, killed = [], 0
    for _round in range(ROUNDS):
        statuses += [visit() for _ in range(PER_ROUND)]
        killed += _terminate_other_backends()
    statuses += [visit() for _ in range(PER_ROUND)]
    assert killed >= ROUNDS  # the app's kept connection really was dropped each time
    assert statuses == [200] * len(statuses)
    # Every answered view wrote its audit row (an acknowledged write); none was lost.
    connection.close()
    after = AuditEvent.objects.filter(action="client.view").count()
    assert after - before == len(statuses)
