"""A query compiled once for any value it compares with (`CompiledQueries.bound`): later runs
with another value read that value's rows, the ORM's own answer, converted as the ORM does."""

from __future__ import annotations

import datetime as dt

import pytest

from holdspace.core.compiled import CompiledQueries, compile_bound
from holdspace.core.lookups import InIds
from holdspace.people.models import Client

from ..factories import ClientFactory

pytestmark = pytest.mark.django_db


def _codes_and_times(client_id: int):  # type: ignore[no-untyped-def]
    return Client.objects.filter(pk=client_id).values_list("code", "created_at")


def test_built_once_and_run_with_each_value(clinics):
    built = []

    def build(client_id: int):  # type: ignore[no-untyped-def]
        built.append(client_id)
        return _codes_and_times(client_id)

    queries = CompiledQueries()
    for client in (clinics.client, clinics.other_client, clinics.south_client, clinics.client):
        rows = queries.bound("codes", build, client_id=client.pk).rows()
        assert rows == list(_codes_and_times(client.pk))  # the same values, datetimes too
        assert isinstance(rows[0][1], dt.datetime)
    assert len(built) == 1  # compiled for the first client only


def test_a_new_row_shows_on_the_next_run(clinics):
    queries = CompiledQueries()

    def build(clinic_id: int):  # type: ignore[no-untyped-def]
        return Client.objects.filter(clinic_id=clinic_id).order_by("code").values_list("code")

    before = queries.bound("clinic", build, clinic_id=clinics.north.pk).rows()
    added = ClientFactory(clinic=clinics.north)
    after = queries.bound("clinic", build, clinic_id=clinics.north.pk).rows()
    assert (added.code,) not in before and (added.code,) in after


def test_a_value_written_into_the_sql_is_refused(clinics):
    # InIds writes its ids into the SQL text: the kept SQL would not follow the value.
    with pytest.raises(ValueError, match="not a parameter"):
        compile_bound(
            lambda client_id: Client.objects.filter(InIds("id", [client_id])), ("client_id",)
        )
