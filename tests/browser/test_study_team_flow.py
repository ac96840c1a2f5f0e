"""The principal investigator invites a clinic, its medical lead accepts on their Studies page,
and the PI gives a study role on the team page, where a dangerous one is refused beside the
field: in a real browser, at tablet (light) and phone (dark) width, in English and Norwegian."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from holdspace.courses.models import Course, Visit, VisitKind
from holdspace.people.actors import Actor
from holdspace.people.models import Role
from holdspace.sessions.models import MedicineSession
from holdspace.studies import follow_up, services

from ..conftest import signed_in
from ..factories import MembershipFactory
from .conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TABLET = ({"width": 820, "height": 1180}, "light", "tablet")
PHONE = ({"width": 390, "height": 844}, "dark", "phone")
WORDS = {
    "en": ("Team and sites", "Accept", "Give the role", "on the care team"),
    "nb": ("Team og studiesteder", "Godta", "Gi rollen", "behandlerteamet"),
}


def _open(chromium, live_server, member, language, shape):  # type: ignore[no-untyped-def]
    viewport, scheme, _name = shape
    context = chromium.new_context(viewport=viewport, color_scheme=scheme, locale=language)
    context.set_default_timeout(45_000)  # a loaded machine is slow to first paint
    cookie = signed_in(member).cookies["sessionid"].value
    context.add_cookies(
        [
            {"name": "sessionid", "value": cookie, "url": live_server.url},
            {"name": "django_language", "value": language, "url": live_server.url},
        ]
    )
    return context, context.new_page()


def _followed_up(clinics, therapist, coordinator, study):  # type: ignore[no-untyped-def]
    """A randomised client whose last session was seven months ago: one follow-up overdue."""
    actor = Actor.command_line(coordinator)
    services.randomise(
        by=actor,
        enrolment=services.enrol(by=actor, study=study, client=clinics.client, stratum="severe"),
    )
    course = Course.objects.create(
        clinic=clinics.north,
        template_key="mdma-at-ptsd-phase3",
        template_name="MDMA-AT for PTSD",
        protocol={},
        start_date=dt.date(2026, 1, 1),
        created_by=therapist,
        status="active",
    )
    course.clients.add(clinics.client)
    when = timezone.now() - dt.timedelta(days=213)
    visit = Visit.objects.create(
        course=course, kind=VisitKind.MEDICINE_SESSION, number=1, label="Medicine session 1",
        starts_at=when, duration_minutes=480, why="test",
    )  # fmt: skip
    MedicineSession.objects.create(
        clinic=clinics.north, client=clinics.client, visit=visit, started_at=when
    )
    follow_up.follow_ups_schedule(by=Actor.command_line())


@pytest.mark.parametrize("language", ["en", "nb"])
def test_the_pi_invites_a_site_and_gives_roles(
    chromium, live_server, clinics, lead, outsider, therapist, coordinator, language
):
    team_link, accept, give, refused = WORDS[language]
    study = services.study_create(
        by=Actor.command_line(lead),
        code="net",
        title="MDMA-AT across two clinics",
        arms=[("a", "MDMA-assisted therapy", 1), ("b", "Placebo with therapy", 1)],
        sites=[],
        strata=["severe"],
        block_sizes=[2],
        seed="net",
        per_stratum=4,
    )
    _followed_up(clinics, therapist, coordinator, study)
    MembershipFactory(clinic=clinics.north, role=Role.RESEARCHER, user__email="res@north.test")
    for shape in (TABLET, PHONE):
        name = shape[2]
        # The PI opens the team page from the study and invites south.
        context, page = _open(chromium, live_server, lead, language, shape)
        page.goto(f"{live_server.url}/studies/{study.pk}/")
        screenshot(page, f"studies-detail-retention-{language}-{name}")
        page.get_by_role("link", name=team_link).click()
        page.wait_for_url("**/team/")
        if not study.invitations.exists():
            page.locator("details", has=page.locator("input[name=clinic]")).locator(
                "summary"
            ).click()
            page.fill("input[name=clinic]", "south")
            page.locator("form[action$='/sites/invite/'] button").click()
            page.wait_for_url("**/team/")
        # A therapist of an enrolled client is refused as blinded rater, beside the field.
        page.locator("details", has=page.locator("select[name=person]")).locator("summary").click()
        page.select_option("select[name=person]", value=str(therapist.pk))
        page.select_option("select[name=role]", value="blinded_rater")
        page.get_by_role("button", name=give).click()
        assert refused in page.content()
        screenshot(page, f"studies-team-refused-{language}-{name}")
        context.close()
        # South's lead answers the invitation on their Studies page (once).
        if study.sites.count() == 1:
            context, page = _open(chromium, live_server, outsider, language, shape)
            page.goto(f"{live_server.url}/studies/")
            screenshot(page, f"studies-invitation-{language}-{name}")
            page.get_by_role("button", name=accept).first.click()
            page.wait_for_url(f"**/studies/{study.pk}/")
            context.close()
        # The coordinator's Today page lists the overdue follow-up.
        context, page = _open(chromium, live_server, coordinator, language, shape)
        page.goto(f"{live_server.url}/today/")
        assert clinics.client.code in page.content()
        screenshot(page, f"studies-today-follow-ups-{language}-{name}")
        context.close()
    assert study.sites.filter(clinic=clinics.south).exists()
