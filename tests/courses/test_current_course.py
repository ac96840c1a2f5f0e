"""The client's current course, as the overview and the preparation and integration pages ask
for it: active before proposed, the newest first, closed ones never, in one query."""

from __future__ import annotations

import copy

import pytest
from django.db import connection
from django.db.models.base import ModelState
from django.test.utils import CaptureQueriesContext

from holdspace.courses.models import Course, CourseStatus
from holdspace.courses.selectors import current_course

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
