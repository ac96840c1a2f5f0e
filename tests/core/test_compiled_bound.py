"""A query compiled once for any value it compares with (`CompiledQueries.bound`): later runs
with another value read that value's rows, the ORM's own answer, converted as the ORM does."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

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


def test_models_with_their_related_models_as_the_orm_makes_them(clinics):
    from holdspace.people.models import Client as ClientModel

    queries = CompiledQueries()

    def build(code: str):  # type: ignore[no-untyped-def]
        return (
            ClientModel.objects.filter(code=code)
            .select_related("clinic", "identity")
            .order_by("pk")
        )

    for client in (clinics.client, clinics.south_client, clinics.client):
        [made] = queries.bound("by code", build, code=client.code).objects()
        orm = build(client.code).get()
        assert (made.pk, made.code, made.created_at, made.phase) == (
            orm.pk,
            orm.code,
            orm.created_at,
            orm.phase,
        )
        # The related models came with the row: no query to reach them.
        assert "clinic" in made._state.fields_cache and made.clinic.name == orm.clinic.name
    assert queries.bound("by code", build, code="HS-NOSUCH").objects() == []
    assert len(queries.kept_bound.rows) == 1  # one text value, compiled once


def test_a_number_no_integer_column_holds_finds_nothing(clinics):
    queries = CompiledQueries()
    rows = queries.bound("huge", _codes_and_times, client_id=2**70).rows()
    assert rows == []
    assert queries.bound("huge", _codes_and_times, client_id=clinics.client.pk).rows()


def test_a_text_value_written_into_the_sql_is_refused(clinics):
    with pytest.raises(ValueError, match="not a parameter"):
        compile_bound(
            lambda code: Client.objects.filter(code=code.lower()), ("code",), texts=("code",)
        )


def test_a_query_with_no_rows_makes_no_models(clinics):
    queries = CompiledQueries()
    assert queries.bound("none", lambda code: Client.objects.none(), code="HS-X").objects() == []


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="prepared statements: PostgreSQL only"
)
def test_on_postgresql_a_repeated_query_is_prepared_and_answers_the_same(clinics):
    queries = CompiledQueries()
    for client in (clinics.client, clinics.other_client, clinics.client, clinics.south_client):
        rows = queries.bound("prepared", _codes_and_times, client_id=client.pk).rows()
        assert rows == list(_codes_and_times(client.pk))
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [statement for (statement,) in cursor.fetchall()]
    assert any('"people_client"."code"' in statement for statement in prepared)
    # Django's own queries are not prepared (its cursor binds on the client).
    assert not any("pg_prepared_statements" in statement for statement in prepared)


def test_exists_answers_as_the_orm_for_each_value(clinics):
    """`exists`: whether the query has a row, compiled once for any value."""
    queries = CompiledQueries()

    def build(clinic_id: int, code: str):  # type: ignore[no-untyped-def]
        return Client.objects.filter(clinic_id=clinic_id, code=code)

    cases = [
        (clinics.north.pk, clinics.client.code),
        (clinics.north.pk, clinics.south_client.code),  # another clinic's client
        (clinics.south.pk, clinics.south_client.code),
        (clinics.north.pk, "HS-NOSUCH"),
        (2**70, clinics.client.code),  # no integer column holds it: no row, as the ORM says
    ]
    for clinic_id, code in cases:
        expected = clinic_id < 2**63 and build(clinic_id, code).exists()
        assert queries.exists("client", build, clinic_id=clinic_id, code=code) is expected
    assert [queries.exists("client", build, clinic_id=c, code=k) for c, k in cases[:3]] == [
        True,
        False,
        True,
    ]
