"""A therapist's private iCal feed."""

from __future__ import annotations

import datetime as dt

import icalendar
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from holdspace.courses import services
from holdspace.courses.models import CalendarFeed
from holdspace.people.actors import Actor

from ..conftest import signed_in
from .conftest import on_team, start_course


def test_the_feed_parses_and_holds_exactly_the_therapists_visits(
    course, clinics, screening, therapist, co_therapist, lead, coordinator, therapist_off_team
):
    # Another course where `therapist` is not on the team: none of its visits may appear.
    from ..factories import MembershipFactory

    third = MembershipFactory(clinic=clinics.north, role="therapist", user__email="t3@north.test")
    on_team(clinics.other_client, co_therapist, third)
    start_course(
        by=coordinator,
        clients=[clinics.other_client],
        therapists=[co_therapist, third],
        lead=lead,
        start=timezone.localdate() + dt.timedelta(days=2),
    )
    token = services.calendar_feed_create(by=Actor.command_line(therapist))
    response = HttpClient().get(reverse("courses:ical_feed", args=[token]))
    assert response.status_code == 200
    calendar = icalendar.Calendar.from_ical(response.content)
    events = list(calendar.walk("VEVENT"))
    expected = set(course.visits.filter(therapists=therapist).values_list("pk", flat=True))
    assert {int(str(e["uid"]).split("-")[1].split("@")[0]) for e in events} == expected
    summaries = " ".join(str(e["summary"]) for e in events)
    identity = clinics.client.identity
    assert identity.family_name not in summaries and identity.given_name not in summaries
    assert clinics.client.code in summaries
    assert clinics.other_client.code not in summaries


def test_the_token_is_stored_hashed_and_a_revoked_link_says_so(therapist):
    token = services.calendar_feed_create(by=Actor.command_line(therapist))
    feed = CalendarFeed.objects.get()
    assert token not in feed.token_hash and len(feed.token_hash) == 64
    services.calendar_feed_revoke(by=Actor.command_line(therapist))
    response = HttpClient().get(reverse("courses:ical_feed", args=[token]))
    assert response.status_code == 404
    assert "revoked" in response.content.decode()


def test_a_new_link_revokes_the_old_one_and_is_shown_once(therapist):
    browser = signed_in(therapist)
    browser.post(reverse("courses:feed_create"))
    first = browser.get(reverse("courses:calendars")).content.decode()
    assert "/calendar.ics" in first
    again = browser.get(reverse("courses:calendars")).content.decode()
    assert "/calendar.ics" not in again
    browser.post(reverse("courses:feed_create"))
    assert CalendarFeed.objects.filter(revoked_at__isnull=True).count() == 1
    assert CalendarFeed.objects.count() == 2


def test_a_wrong_token_gets_404(db):
    assert HttpClient().get(reverse("courses:ical_feed", args=["nonsense"])).status_code == 404
