"""The monitor page itself: its live parts kept for the session's version, a second load
reads no reading for them and draws no chart; its forms' fields are the markup their
template makes, kept while the form is unbound."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from holdspace.core import forms as core_forms
from holdspace.sessions.forms import AdverseEventForm, DoseForm, EndForm, VitalsForm
from holdspace.sessions.models import MedicineSession, VitalReading

from ..conftest import signed_in

pytestmark = pytest.mark.django_db

FIELD = "sessions/_field.html"


def _readings(session: MedicineSession, member, count: int) -> None:  # type: ignore[no-untyped-def]
    assert session.started_at is not None
    VitalReading.objects.bulk_create(
        VitalReading(
            session=session,
            taken_at=session.started_at + dt.timedelta(minutes=2 + i),
            systolic=118,
            diastolic=78,
            heart_rate=72,
            temperature="36.8",
            recorded_by=member,
        )
        for i in range(count)
    )


def _vital_reads(queries: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("SELECT") and 'FROM "medicine_sessions_vitalreading"' in q["sql"]
    ]


def test_a_second_load_reads_no_reading_for_the_kept_parts(running, therapist):  # type: ignore[no-untyped-def]
    _readings(running, therapist, 45)
    running.refresh_from_db()
    browser = signed_in(therapist)
    url = f"/sessions/{running.client.code}/{running.pk}/"
    with CaptureQueriesContext(connection) as first:
        one = browser.get(url)
    with CaptureQueriesContext(connection) as second:
        two = browser.get(url)
    assert one.status_code == two.status_code == 200
    # The first load renders the parts: the readings shown, the runs, the chart's slices.
    assert any("COUNT(" in sql for sql in _vital_reads(first))
    assert any("slice" in sql for sql in _vital_reads(first))
    # The second takes them as kept: only the single readings the page's own cards show
    # (the baseline, the newest for the discharge criteria: one indexed row each).
    assert _vital_reads(second)
    assert all(sql.endswith("LIMIT 1") for sql in _vital_reads(second))
    assert not any("COUNT(" in sql or "slice" in sql for sql in _vital_reads(second))
    assert one.content.count(b'data-live-target="chart"') == 1
    chart = one.content.split(b'data-live-target="chart">')[1].split(b"</div>")[0]
    assert chart and chart in two.content


@pytest.mark.parametrize("language", ["en", "nb"])
def test_a_kept_field_is_the_markup_its_template_makes(running, language):  # type: ignore[no-untyped-def]
    core_forms._UNBOUND_FIELDS.clear()
    forms = [
        VitalsForm(),
        DoseForm(initial={"kind": "initial", "mg": 120}, givers=[(7, "Ada Lovelace")]),
        DoseForm(initial={"kind": "supplemental", "mg": 60}, givers=[(7, "Ada Lovelace")]),
        AdverseEventForm(),
        EndForm(initial={"disposition": None, "companion_name": "Kari"}),
    ]
    with translation.override(language):
        for _twice in range(2):
            for form in forms:
                for field in form:
                    assert field_markup(field) == render_to_string(FIELD, {"field": field})
    # Kept once each: the two dose forms differ in two fields' initial values (kind, mg), so
    # their other fields are one entry each.
    fields = sum(len(form.fields) for form in forms)
    assert len(core_forms._UNBOUND_FIELDS.rows) == fields - (len(DoseForm.base_fields) - 2)


def field_markup(field):  # type: ignore[no-untyped-def]
    return str(core_forms.field_markup(field, FIELD))


def test_a_bound_field_shows_its_error_and_is_not_kept(running):  # type: ignore[no-untyped-def]
    core_forms._UNBOUND_FIELDS.clear()
    bound = VitalsForm({"systolic": "x"})
    assert not bound.is_valid()
    markup = field_markup(bound["systolic"])
    assert "field-error" in markup and "has-error" in markup
    assert 'value="x"' in markup
    assert not core_forms._UNBOUND_FIELDS.rows


def test_new_choices_are_new_markup(running):  # type: ignore[no-untyped-def]
    one = field_markup(DoseForm(givers=[(7, "Ada Lovelace")])["given_by"])
    two = field_markup(DoseForm(givers=[(7, "Ada Lovelace"), (8, "Grace Hopper")])["given_by"])
    assert "Grace Hopper" not in one and "Grace Hopper" in two


def test_the_loaded_tables_are_the_sessions_own_as_a_prefetch_makes_them(  # type: ignore[no-untyped-def]
    clinics, running, therapist, co_therapist
):
    from django.db.models import prefetch_related_objects

    from holdspace.sessions import selectors, services
    from holdspace.sessions.models import MedicineSession as Session

    from .conftest import act, give_initial, make_ready, make_visit

    give_initial(running, therapist)
    other = services.session_open(
        by=act(therapist), visit=make_visit(clinics, therapist), client=clinics.client
    )
    make_ready(other, therapist, co_therapist)
    names = [name for name, _rows in selectors._SESSION_TABLES]
    for session in (running, other):
        loaded = selectors.session_loaded(Session.objects.get(pk=session.pk), every_reading=False)
        prefetched = Session.objects.get(pk=session.pk)
        prefetch_related_objects([prefetched], *names)
        with CaptureQueriesContext(connection) as queries:
            for name in names:
                rows = list(getattr(loaded, name).all())
                assert [r.pk for r in rows] == [r.pk for r in getattr(prefetched, name).all()]
                assert all(r.session is loaded for r in rows)  # no query to reach it
            team = [p.membership.user.email for p in loaded.team.all()]
        assert not queries.captured_queries and len(team) == 2
        # A query on a loaded relation still asks about this session only.
        assert set(loaded.team.values_list("session_id", flat=True)) == {session.pk}
        assert set(loaded.doses.values_list("session_id", flat=True)) <= {session.pk}
    assert running.doses.count() == 1 and other.doses.count() == 0
