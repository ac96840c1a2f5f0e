"""An empty POST is a submission, not a page view: it is validated and refused with 422 naming
each missing field, and nothing changes. (`request.POST or None` read it as a GET: 200 and the
blank form, the user's submit silently ignored.)"""

from __future__ import annotations

import pytest
from django.urls import reverse

from holdspace.courses.models import CourseSettings
from holdspace.people.models import Client, Membership
from tests.conftest import signed_in


@pytest.mark.parametrize(
    ("persona", "url_name", "field"),
    [
        ("clinic_admin", "courses:course_settings", "opens_at"),
        ("clinic_admin", "clinic:staff_create", "email"),
        ("therapist", "people:client_create", "given_name"),
    ],
)
def test_an_empty_post_is_refused_with_the_fields_named(clinics, request, persona, url_name, field):
    member = request.getfixturevalue(persona)
    before = (
        Client.objects.count(),
        Membership.objects.count(),
        list(CourseSettings.objects.values_list("opens_at", "closes_at")),
    )
    reply = signed_in(member).post(reverse(url_name), {})
    assert reply.status_code == 422
    assert f'name="{field}"' in reply.content.decode()
    assert 'aria-invalid="true"' in reply.content.decode() or "errorlist" in reply.content.decode()
    after = (
        Client.objects.count(),
        Membership.objects.count(),
        list(CourseSettings.objects.values_list("opens_at", "closes_at")),
    )
    assert after == before
