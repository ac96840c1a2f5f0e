"""The overview's Measures panel makes its assignment and "enter a measure" links from one
reverse() of each URL (`core.links.RowLinks`), not a {% url %} each: the same links, each
shown once a visit, and a new assignment's on the next visit. Its scores and assignments are
read by SQL compiled once per process (`core.compiled`): a new score and alert show on the
next visit."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.urls import reverse

from holdspace.measures import library, panels, services
from holdspace.people.models import CareTeamRole

from ..conftest import signed_in
from ..factories import CareTeamMemberFactory
from .helpers import actor, assign, phq9

pytestmark = pytest.mark.django_db


def _overview(member, client) -> str:  # type: ignore[no-untyped-def]
    page = signed_in(member).get(reverse("people:client_detail", args=[client.code]))
    return page.content.decode()


def test_every_link_as_reverse_makes_it(clinics, therapist):
    client = clinics.client
    made = [assign(therapist, client, code=code) for code in ("PHQ-9", "PCL-5", "GAD-7")]
    # The {% url %} tag asks django.urls.reverse on each use.
    with mock.patch("django.urls.reverse", wraps=reverse) as tag_reverse:
        page = _overview(therapist, client)
    asked = [call.args[0] for call in tag_reverse.call_args_list]
    rows = {"measures:enter", "measures:link_issue", "measures:assignment_cancel"}
    assert not rows & set(asked), asked
    for a in made:
        for name in ("measures:link_issue", "measures:assignment_cancel"):
            assert f'action="{reverse(name, args=[client.code, a.pk])}"' in page
        enter = reverse("measures:enter", args=[client.code, a.instrument_code])
        assert f'<a href="{enter}" role="button"' in page
    for definition in library.definitions_for(client.clinic_id).values():
        if definition.usable:
            enter = reverse("measures:enter", args=[client.code, definition.code])
            assert f'<li><a href="{enter}">' in page
    # A new assignment: its row and links on the next visit.
    added = assign(therapist, client, code="PHQ-9", days=30)
    page = _overview(therapist, client)
    assert f'action="{reverse("measures:assignment_cancel", args=[client.code, added.pk])}"' in page


def test_a_reader_who_may_not_write_gets_no_links(clinics, therapist, researcher):
    a = assign(therapist, clinics.client)
    page = _overview(researcher, clinics.client)
    assert reverse("measures:assignment_cancel", args=[clinics.client.code, a.pk]) not in page


def test_the_panels_queries_are_compiled_once_and_a_new_score_shows(
    clinics, therapist, monkeypatch
):
    built = []
    for kind, build in list(panels._QUERIES.items()):
        monkeypatch.setitem(
            panels._QUERIES,
            kind,
            lambda client_id, _b=build, _k=kind: built.append(_k) or _b(client_id),
        )
    panels._panel_sql.clear()
    CareTeamMemberFactory(
        client=clinics.other_client, membership=therapist, role=CareTeamRole.LEAD_THERAPIST
    )
    page = _overview(therapist, clinics.client)
    assert 'data-instrument="PHQ-9"' not in page and 'aria-label="Safety alerts"' not in page
    # A score whose item 9 is not 0 raises a safety alert: both show on the next visit.
    services.response_record(
        by=actor(therapist),
        client=clinics.client,
        instrument_code="PHQ-9",
        answers=phq9(12, item9=1),
        observed_on=dt.date(2026, 1, 1),
    )
    page = _overview(therapist, clinics.client)
    assert 'data-instrument="PHQ-9"' in page and 'aria-label="Safety alerts"' in page
    page = _overview(therapist, clinics.other_client)
    assert 'data-instrument="PHQ-9"' not in page and 'aria-label="Safety alerts"' not in page
    assert sorted(built) == ["alerts", "assignments", "scores"]
