"""Each role lands on a Today page of its own, and its navigation never leads to a 403."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from holdspace.integration.models import IntegrationNote
from holdspace.portal.models import PortalAccount

from ..conftest import signed_in

pytestmark = pytest.mark.django_db


def _nav_links(html: str) -> list[str]:
    nav = html.split('aria-label="Arc of care"', 1)[1].split("</ul>", 1)[0]
    return re.findall(r'href="([^"]+)"', nav)


@pytest.mark.parametrize(
    "persona", ["therapist", "lead", "coordinator", "researcher", "clinic_admin"]
)
def test_every_staff_role_lands_on_today_and_every_nav_link_opens(persona, request):
    member = request.getfixturevalue(persona)
    browser = signed_in(member)
    landing = browser.get("/")
    assert landing.status_code == 302 and landing["Location"] == reverse("today")
    page = browser.get(reverse("today"))
    assert page.status_code == 200
    links = _nav_links(page.content.decode())
    assert reverse("today") in links
    for link in links:
        assert browser.get(link).status_code == 200, (persona, link)


def test_a_researcher_is_not_offered_sessions_or_courses(researcher):
    links = _nav_links(signed_in(researcher).get(reverse("today")).content.decode())
    assert reverse("sessions:home") not in links
    assert reverse("courses:home") not in links
    assert reverse("people:client_list") in links


def test_the_researcher_sees_the_cohort_by_phase_without_names(clinics, researcher):
    body = signed_in(researcher).get(reverse("today")).content.decode()
    assert "Clients by phase" in body
    assert clinics.client.identity.family_name not in body


def test_the_cohort_counts_are_compiled_once_per_clinic_and_read_fresh(clinics, researcher, lead):
    from holdspace.people import today
    from holdspace.people.models import Client

    from ..factories import ClientFactory

    today._phase_counts.clear()

    def total(member) -> int:  # type: ignore[no-untyped-def]
        body = signed_in(member).get(reverse("today")).content.decode()
        return int(re.search(r"All</th><td>(\d+)</td>", body).group(1))  # type: ignore[union-attr]

    before = Client.objects.filter(clinic=clinics.north).count()
    assert total(researcher) == before
    kept = today._phase_counts.kept.get(clinics.north.pk)
    assert kept is not None
    ClientFactory(clinic=clinics.north)
    ClientFactory(clinic=clinics.south)  # another clinic's: not counted
    assert total(lead) == before + 1
    # Both members of the clinic: the query compiled for the first, run again for the second.
    assert today._phase_counts.kept.get(clinics.north.pk) is kept


def test_the_clinic_admin_has_staff_settings_and_audit_in_the_navigation(clinic_admin):
    links = _nav_links(signed_in(clinic_admin).get(reverse("today")).content.decode())
    assert reverse("clinic:staff_list") in links
    assert reverse("clinic:clinic_settings") in links
    assert reverse("audit:audit_log") in links


def test_the_therapist_sees_their_unsigned_notes(clinics, therapist):
    from holdspace.courses.models import Course

    course = Course.objects.create(
        clinic=clinics.north,
        template_key="x",
        template_name="x",
        protocol={},
        start_date="2026-01-01",
        created_by=therapist,
        status="active",
    )
    note = IntegrationNote.objects.create(
        course=course, client=clinics.client, text="draft", author=therapist
    )
    body = signed_in(therapist).get(reverse("today")).content.decode()
    assert "Notes to sign" in body
    assert reverse("integration:note", args=[clinics.client.code, note.pk]) in body
    assert "draft" not in body  # the panel links to the note; it does not quote it


def test_the_coordinator_sees_invitations_not_yet_accepted(clinics, coordinator, therapist):
    signed_in(therapist).post(
        reverse("portal:invite", args=[clinics.client.code]), {"email": "c@example.org"}
    )
    assert PortalAccount.objects.filter(client=clinics.client).exists()
    body = signed_in(coordinator).get(reverse("today")).content.decode()
    assert "Portal invitations not yet accepted" in body
    assert clinics.client.code in body
