"""The Today page's sessions panel: one row per visit and client in the member's session
scope, with the session opened for that client beside it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ..conftest import signed_in

pytestmark = pytest.mark.django_db


def test_a_therapist_sees_only_the_session_rows_of_their_care_team(
    clinics, running, therapist, lead
):
    # A couple's course: the other client is on nobody's care team.
    running.visit.course.clients.add(clinics.other_client)
    monitor = reverse("sessions:monitor", args=[clinics.client.code, running.pk])
    mine = signed_in(therapist).get(reverse("today")).content.decode()
    rows = mine.split("Medicine sessions", 1)[1].split("</article>", 1)[0]
    assert monitor in rows and "(In progress)" in rows
    assert clinics.other_client.code not in rows
    everyone = signed_in(lead).get(reverse("today")).content.decode()
    rows = everyone.split("Medicine sessions", 1)[1].split("</article>", 1)[0]
    assert monitor in rows
    # The other client's row: on the schedule, no session opened for them.
    other = rows.split(clinics.other_client.code, 1)[1].split("</li>", 1)[0]
    assert "Not opened yet" in other and "/sessions/" in other


def test_the_kept_query_reads_fresh_rows_and_each_day_has_its_own(
    clinics, running, lead, monkeypatch
):
    import datetime as dt

    from django.utils import timezone

    from holdspace.sessions import selectors
    from holdspace.sessions.models import SessionStatus

    selectors._sessions_today.clear()
    browser = signed_in(lead)

    def rows() -> str:
        html = browser.get(reverse("today")).content.decode()
        return html.split("Medicine sessions", 1)[1].split("</article>", 1)[0]

    assert "(In progress)" in rows()
    assert len(selectors._sessions_today.kept.rows) == 1
    # A change of the session shows on the next visit: the SQL is kept, never the rows.
    type(running).objects.filter(pk=running.pk).update(status=SessionStatus.ENDED)
    assert "(In progress)" not in rows()
    assert len(selectors._sessions_today.kept.rows) == 1
    # Another day is another query (its own bounds).
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    monkeypatch.setattr(selectors.timezone, "localdate", lambda *args: tomorrow)
    rows()
    assert len(selectors._sessions_today.kept.rows) == 2
