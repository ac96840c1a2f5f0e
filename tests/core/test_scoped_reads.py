"""The reads that moved out of views into their app's selectors (issue 9): each answers 404
outside the member's scope and 403 for a role that may not read it, and the reads of a record
are audited. One row per (read, who): what an outsider or a wrong role tries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.db.models import Max
from django.test import Client as HttpClient
from django.urls import reverse

from holdspace.api.models import ApiToken
from holdspace.api.services import api_token_create
from holdspace.audit.models import AuditEvent
from holdspace.courses import services as course_services
from holdspace.people.actors import Actor
from holdspace.people.models import CareTeamMember, Client, Membership
from holdspace.portal.models import PortalAccount
from holdspace.screening import services as screening_services
from holdspace.screening.models import Medication

from ..conftest import Clinics, sign_in, signed_in
from ..factories import UserFactory
from ..sessions.conftest import make_visit

pytestmark = pytest.mark.django_db


@dataclass
class World:
    clinics: Clinics
    members: dict[str, Membership]
    placement: CareTeamMember  # the therapist on the client's care team
    medication: Medication  # of clinics.client
    token: ApiToken  # the therapist's own API token
    visit_id: int  # a medicine-session visit of clinics.client


@pytest.fixture
def world(
    clinics: Clinics, therapist: Membership, therapist_off_team: Membership, lead: Membership,
    coordinator: Membership, researcher: Membership, clinic_admin: Membership,
    outsider: Membership,
) -> World:  # fmt: skip
    medication = screening_services.medication_add(
        by=Actor.command_line(lead), client=clinics.client, name="Sertraline", dose="50 mg"
    )
    token, _raw = api_token_create(by=Actor.command_line(therapist), user=therapist.user, name="t")
    return World(
        clinics=clinics,
        members={
            "therapist": therapist,
            "therapist_off_team": therapist_off_team,
            "lead": lead,
            "coordinator": coordinator,
            "researcher": researcher,
            "clinic_admin": clinic_admin,
            "outsider": outsider,
        },
        placement=CareTeamMember.objects.get(client=clinics.client, membership=therapist),
        medication=medication,
        token=token,
        visit_id=make_visit(clinics, therapist).pk,
    )


def _code(w: World) -> str:
    return w.clinics.client.code


def _placement(w: World) -> str:
    return reverse("people:care_team_remove", args=[_code(w), w.placement.pk])


def _placement_other(w: World) -> str:
    return reverse("people:care_team_remove", args=[w.clinics.other_client.code, w.placement.pk])


def _medication(w: World) -> str:
    return reverse("screening:medication_update", args=[_code(w), w.medication.pk])


def _medication_other(w: World) -> str:
    code = w.clinics.other_client.code
    return reverse("screening:medication_update", args=[code, w.medication.pk])


def _visit(w: World) -> str:
    return reverse("sessions:open", args=[_code(w), w.visit_id])


def _visit_other(w: World) -> str:
    return reverse("sessions:open", args=[w.clinics.other_client.code, w.visit_id])


def _token(w: World) -> str:
    return reverse("api_tokens:token_revoke", args=[w.token.pk])


def _page(name: str) -> Callable[[World], str]:
    return lambda w: reverse(name)


# (what, method, url, who, status). `_other`: the id belongs to another client than the code.
Url = Callable[[World], str]
CASES: list[tuple[str, str, Url, str, int]] = [
    # people.selectors.care_team_placement_for_user
    ("care team placement", "post", _placement, "outsider", 404),
    ("care team placement", "post", _placement, "therapist", 403),
    ("care team placement", "post", _placement, "researcher", 403),
    ("care team placement", "post", _placement_other, "coordinator", 404),
    # screening.selectors.medication_for_user
    ("medication", "post", _medication, "outsider", 404),
    ("medication", "post", _medication, "therapist_off_team", 404),
    ("medication", "post", _medication, "researcher", 403),
    ("medication", "post", _medication_other, "lead", 404),
    # screening.selectors.rule_history_for_user
    ("rule history", "get", _page("screening:rules"), "therapist", 403),
    ("rule history", "get", _page("screening:rules"), "coordinator", 403),
    # review.selectors.review_history_for_user
    ("review history", "get", _page("review:home"), "therapist", 403),
    ("review history", "get", _page("review:home"), "clinic_admin", 403),
    # sessions.selectors.medicine_visit_for_user (sessions answer 404 to every refusal)
    ("session visit", "post", _visit, "outsider", 404),
    ("session visit", "post", _visit, "therapist_off_team", 404),
    ("session visit", "post", _visit, "coordinator", 404),
    ("session visit", "post", _visit_other, "lead", 404),
    # courses.selectors.calendar_feed_for_user
    ("calendar link", "get", _page("courses:calendars"), "researcher", 403),
    ("calendar link", "get", _page("courses:calendars"), "clinic_admin", 403),
    # api.selectors.api_token_for_user: another member's token does not exist for you
    ("api token", "post", _token, "lead", 404),
    ("api token", "post", _token, "outsider", 404),
    # people.selectors.audit_events_for
    ("audit log", "get", _page("audit:audit_log"), "lead", 403),
    ("audit log", "get", _page("audit:audit_log"), "researcher", 403),
    # portal.selectors.portal_account_for_user: staff never use the client's door
    ("portal account", "get", _page("portal:home"), "therapist", 403),
    ("portal account", "get", _page("portal:access_log"), "coordinator", 403),
]


@pytest.mark.requirement("REQ-PRV-002")
@pytest.mark.parametrize(
    ("what", "method", "url", "who", "status"),
    CASES,
    ids=[f"{what}-{who}-{n}" for n, (what, _m, _u, who, _s) in enumerate(CASES)],
)
def test_a_moved_read_refuses_outsiders_and_wrong_roles(
    world: World, what: str, method: str, url: Url, who: str, status: int
) -> None:
    before = AuditEvent.objects.aggregate(last=Max("id"))["last"] or 0  # ids are not reset on PG
    reply = getattr(signed_in(world.members[who]), method)(url(world))
    assert reply.status_code == status, what
    # A refused read is not audited as a read, and changes nothing.
    after = AuditEvent.objects.filter(id__gt=before).exclude(action__startswith="auth.")
    assert not after.exists()
    assert CareTeamMember.objects.filter(pk=world.placement.pk).exists()
    assert ApiToken.objects.get(pk=world.token.pk).revoked_at is None


def test_the_allowed_reads_still_answer(world: World) -> None:
    """The same routes for the member who may: the selector hands them the record."""
    m = world.members
    code = _code(world)
    assert signed_in(m["lead"]).get(reverse("screening:rules")).status_code == 200
    assert signed_in(m["lead"]).get(reverse("review:home")).status_code == 200
    assert signed_in(m["therapist"]).get(reverse("courses:calendars")).status_code == 200
    update = reverse("screening:medication_update", args=[code, world.medication.pk])
    reply = signed_in(m["lead"]).post(update, {f"{world.medication.pk}-dose": "100 mg"})
    assert reply.status_code == 302
    assert Medication.objects.get(pk=world.medication.pk).dose == "100 mg"
    revoke = reverse("api_tokens:token_revoke", args=[world.token.pk])
    assert signed_in(m["therapist"]).post(revoke).status_code == 302
    assert ApiToken.objects.get(pk=world.token.pk).revoked_at is not None
    remove = reverse("people:care_team_remove", args=[code, world.placement.pk])
    assert signed_in(m["coordinator"]).post(remove).status_code == 302
    assert not CareTeamMember.objects.filter(pk=world.placement.pk).exists()


def test_the_audit_log_read_is_audited_through_audit_read(world: World) -> None:
    admin = world.members["clinic_admin"]
    assert signed_in(admin).get(reverse("audit:audit_log")).status_code == 200
    row = AuditEvent.objects.filter(action="audit.view").order_by("-id").first()
    assert row is not None
    assert (row.actor_id, row.clinic_id, row.channel) == (admin.user_id, admin.clinic_id, "web")


def test_a_calendar_feed_read_is_the_owners_and_audited(world: World) -> None:
    therapist = world.members["therapist"]
    token = course_services.calendar_feed_create(by=Actor.command_line(therapist))
    browser = signed_in(world.members["outsider"])  # the token is the credential, not the session
    assert browser.get(reverse("courses:ical_feed", args=[token])).status_code == 200
    row = AuditEvent.objects.filter(action="calendar_feed.read").order_by("-id").first()
    assert row is not None and row.actor_id == therapist.user_id
    course_services.calendar_feed_revoke(by=Actor.command_line(therapist))
    assert browser.get(reverse("courses:ical_feed", args=[token])).status_code == 404
    assert browser.get(reverse("courses:ical_feed", args=["not-a-token"])).status_code == 404


def test_the_portal_page_reads_only_the_clients_own_record(world: World) -> None:
    """portal.selectors: the page of a client with an account is theirs; the read is audited."""
    client: Client = world.clinics.client
    user = UserFactory(email="client@example.test")
    PortalAccount.objects.create(user=user, client=client, invited_by=world.members["coordinator"])
    browser = sign_in(HttpClient(), user)
    assert browser.get(reverse("portal:home")).status_code == 200
    row = AuditEvent.objects.filter(action="portal.view").order_by("-id").first()
    assert row is not None and row.client_code == client.code and row.actor_id == user.pk
