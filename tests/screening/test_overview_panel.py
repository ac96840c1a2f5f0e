"""The client overview's screening panel reads one client's eligibility in one query and its
medications and the clinic's rule changes by SQL compiled once per process (`core.compiled`):
the same answers as the many-client selectors, and a change shows on the next visit."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from holdspace.people.actors import Actor
from holdspace.screening import engine, selectors, services

from ..conftest import signed_in
from ..factories import PASSWORD, ClientFactory
from .helpers import record

pytestmark = pytest.mark.django_db


def _sign(lead, client, decision="eligible"):  # type: ignore[no-untyped-def]
    services.decision_sign(
        by=Actor.command_line(lead), client=client, decision=decision, reason="", secret=PASSWORD
    )


def _clients(clinics, coordinator, lead):  # type: ignore[no-untyped-def]
    """One client in each state eligibility can be in."""
    made = {
        name: ClientFactory(clinic=clinics.north)
        for name in ("nothing", "pending", "eligible", "deferred", "not_eligible", "outdated")
    }
    for name, client in made.items():
        if name != "nothing":
            record(client, coordinator, {"medical": {}, "psychiatric": {}})
        if name in ("eligible", "deferred", "not_eligible"):
            _sign(lead, client, name)
    _sign(lead, made["outdated"])
    record(made["outdated"], coordinator, {"medication": ("escitalopram", 3)})
    return made


def test_one_client_in_one_query_as_many_clients_say(clinics, coordinator, lead):
    made = _clients(clinics, coordinator, lead)
    many = selectors.screening_eligibility_many(made.values())
    for name, client in made.items():
        with CaptureQueriesContext(connection) as queries:
            one = selectors.screening_eligibility(client)
        assert len(queries) == 1
        assert one == many[client.pk], name
        assert one.status == {"nothing": "not_started", "pending": "pending_decision"}.get(
            name, name
        )


def test_the_queries_are_compiled_once_for_every_client(clinics, coordinator, lead, monkeypatch):
    made = _clients(clinics, coordinator, lead)
    built: list[str] = []
    for module, name in (
        (selectors, "_eligibility_query"),
        (engine, "_one_client_medications"),
        (engine, "_override_query"),
    ):
        original = getattr(module, name)
        monkeypatch.setattr(
            module, name, lambda *a, _o=original, _n=name, **k: built.append(_n) or _o(*a, **k)
        )
    for kept in (selectors._eligibility_sql, engine._medications_sql, engine._override_sql):
        kept.clear()
    for client in made.values():
        selectors.screening_eligibility(client)
        selectors.earliest_medicine_session_date(client)
    assert sorted(built) == ["_eligibility_query", "_one_client_medications", "_override_query"]


def _panel(member, client) -> str:  # type: ignore[no-untyped-def]
    page = signed_in(member).get(reverse("people:client_detail", args=[client.code]))
    return page.content.decode().split('class="screening-panel"', 1)[1].split("</article>", 1)[0]


def test_a_change_shows_on_the_next_visit(clinics, coordinator, lead):
    client = clinics.client
    record(client, coordinator, {"medical": {}, "psychiatric": {}})
    assert "Awaiting decision" in _panel(lead, client)
    _sign(lead, client)
    panel = _panel(lead, client)
    assert "Eligible" in panel and "Washout" not in panel
    # A medication that needs a washout: the decision is outdated and the washout shown.
    record(client, coordinator, {"medication": ("escitalopram", 3)})
    panel = _panel(lead, client)
    assert "Decision outdated" in panel and "Washout: no medicine session before" in panel
    # The clinic turns the taper rule off: no washout on the next visit.
    services.rule_override_set(
        by=Actor.command_line(lead),
        rule_id="ssri-snri-taper",
        enabled=False,
        outcome="",
        reason="Ours.",
    )
    assert "Washout" not in _panel(lead, client)
