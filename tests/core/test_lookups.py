"""InIds: the same rows as `__in`, with the ids sent as one parameter."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from holdspace.core.lookups import InIds
from holdspace.people.models import Client

from ..factories import ClientFactory

pytestmark = pytest.mark.django_db


def test_in_ids_finds_the_rows_in_finds_with_one_parameter() -> None:
    clients = ClientFactory.create_batch(6)
    wanted = [c.pk for c in clients[::2]] + [10**9]  # and an id that does not exist
    rows = Client.objects.all()
    with CaptureQueriesContext(connection) as queries:
        found = set(rows.filter(InIds(F("id"), wanted)).values_list("pk", flat=True))
    assert found == set(rows.filter(pk__in=wanted).values_list("pk", flat=True))
    assert found == {c.pk for c in clients[::2]}
    sql = queries[0]["sql"]
    assert "= ANY(" in sql or "json_each(" in sql  # one parameter, however many ids
    assert not rows.filter(InIds(F("id"), [])).exists()
