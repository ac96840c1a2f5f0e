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
