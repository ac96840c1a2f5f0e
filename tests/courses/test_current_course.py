"""The client's current course, as the overview and the preparation and integration pages ask
for it: active before proposed, the newest first, closed ones never, in one query."""

from __future__ import annotations

import copy

import pytest
from django.db import connection
from django.db.models.base import ModelState
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from holdspace.courses import selectors
from holdspace.courses import views as course_views
from holdspace.courses.models import Course, CourseStatus
from holdspace.courses.selectors import current_course

from ..conftest import signed_in

pytestmark = pytest.mark.django_db


def _another(course: Course, status: str) -> Course:
    """A later course of the same client (made after `course`)."""
    later = copy.copy(course)
    later.pk = later.id = None
    later._state = ModelState()
    later.status = status
    later.save()
    later.clients.set(course.clients.all())
    return later


def test_an_active_course_comes_before_a_newer_proposed_one(course, clinics):
    Course.objects.filter(pk=course.pk).update(status=CourseStatus.ACTIVE)
    newer = _another(course, CourseStatus.PROPOSED)
    with CaptureQueriesContext(connection) as queries:
        found = current_course(clinics.client, with_clients=False)
    assert found == course
    assert len(queries) == 1
    Course.objects.filter(pk=course.pk).update(status=CourseStatus.PROPOSED)
    assert current_course(clinics.client) == newer


def test_a_closed_course_is_never_current(course, clinics):
    Course.objects.filter(pk=course.pk).update(status=CourseStatus.PROPOSED)
    _another(course, CourseStatus.CLOSED)
    assert current_course(clinics.client) == course
    Course.objects.filter(pk=course.pk).update(status=CourseStatus.CLOSED)
    assert current_course(clinics.client) is None
    assert current_course(clinics.other_client) is None


def test_the_clients_come_with_the_course_unless_left_out(course, clinics):
    with CaptureQueriesContext(connection) as queries:
        found = current_course(clinics.client)
        assert found is not None
        assert list(found.clients.all()) == [clinics.client]
    assert len(queries) == 2  # the course, then its clients


def _course_panel(member, client) -> str:  # type: ignore[no-untyped-def]
    page = signed_in(member).get(reverse("people:client_detail", args=[client.code]))
    return page.content.decode().split("<h2>Course</h2>", 1)[1].split("</article>", 1)[0]


def test_the_overview_compiles_its_query_once_and_shows_a_change_next_visit(
    course, clinics, therapist, monkeypatch
):
    built = []
    original = selectors.current_course_query
    monkeypatch.setattr(
        selectors,
        "current_course_query",
        lambda client_id: built.append(client_id) or original(client_id),
    )
    course_views._current_course_sql.clear()
    assert f"/{course.pk}/" in _course_panel(therapist, clinics.client)
    newer = _another(course, CourseStatus.PROPOSED)
    Course.objects.filter(pk=course.pk).update(status=CourseStatus.CLOSED)
    panel = _course_panel(therapist, clinics.client)
    assert f"/{newer.pk}/" in panel and f"/{course.pk}/" not in panel
    Course.objects.filter(pk=newer.pk).update(status=CourseStatus.CLOSED)
    assert "No course yet." in _course_panel(therapist, clinics.client)
    assert len(built) == 1  # compiled on the first visit only
