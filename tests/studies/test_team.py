"""The study team and multi-clinic sites on the pages, as each persona: the sponsor's medical
lead (principal investigator) invites a clinic by its short name and the site exists only when
that clinic's lead accepts; other clinics get 404, wrong roles 403; study roles are given from
one's own clinic's staff only, dangerous combinations are refused with a reason, a blinded rater
is unblinded only by an explicit, recorded decision; the study-level researcher sees the
enrolled clients of every site by code and nothing else."""

from __future__ import annotations

import pytest

from holdspace.audit.models import AuditEvent
from holdspace.people.actors import Actor
from holdspace.people.models import Role
from holdspace.studies import services, team
from holdspace.studies.models import (
    InvitationStatus,
    Site,
    SiteInvitation,
    StudyMember,
    StudyRole,
    StudyRoleChange,
)

from ..conftest import signed_in
from ..factories import ClientFactory, ClinicFactory, MembershipFactory


@pytest.fixture
def study(clinics, lead):
    """Sponsored by north, run at north only until another clinic accepts."""
    return services.study_create(
        by=Actor.command_line(lead),
        code="net-trial",
        title="Network trial",
        arms=[("mdma", "ARM-MDMA", 1), ("placebo", "ARM-PLACEBO", 1)],
        sites=[],
        strata=["severe", "moderate"],
        block_sizes=[2],
        seed="seed-net",
        per_stratum=8,
    )


@pytest.fixture
def east_lead(clinics):
    """The medical lead of a clinic the study never invited."""
    return MembershipFactory(clinic=ClinicFactory(name="East", slug="east"), role=Role.MEDICAL_LEAD)


def _invite(lead, study, slug):  # type: ignore[no-untyped-def]
    return signed_in(lead).post(f"/studies/{study.pk}/sites/invite/", {"clinic": slug})


@pytest.mark.django_db
@pytest.mark.requirement("REQ-STU-101")
def test_an_invited_clinic_becomes_a_site_only_when_its_lead_accepts(
    study, clinics, lead, outsider, east_lead
):
    south_lead = outsider  # the medical lead of south
    south_therapist = MembershipFactory(clinic=clinics.south, role=Role.THERAPIST)
    assert b"net-trial" not in signed_in(south_lead).get("/today/").content
    assert _invite(lead, study, "south").status_code == 302
    invitation = SiteInvitation.objects.get(study=study)
    assert invitation.status == InvitationStatus.PENDING
    assert not Site.objects.filter(study=study, clinic=clinics.south).exists()
    # Before accepting, south sees the invitation, never the study.
    assert signed_in(south_lead).get(f"/studies/{study.pk}/").status_code == 404
    assert b"net-trial" in signed_in(south_lead).get("/studies/").content
    assert b"net-trial" in signed_in(south_lead).get("/today/").content
    accept = f"/studies/invitations/{invitation.pk}/accept/"
    assert signed_in(east_lead).post(accept).status_code == 404  # another clinic
    assert signed_in(south_therapist).post(accept).status_code == 403  # wrong role
    assert signed_in(lead).post(accept).status_code == 404  # the inviter cannot answer for them
    assert not Site.objects.filter(study=study, clinic=clinics.south).exists()
    answer = signed_in(south_lead).post(accept)
    assert answer.status_code == 302
    assert Site.objects.filter(study=study, clinic=clinics.south).exists()
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.ACCEPTED
    assert invitation.answered_by == south_lead.user
    assert signed_in(south_lead).post(accept).status_code == 302  # answered: nothing changes
    assert accept.encode() not in signed_in(south_lead).get("/today/").content  # answered
    assert Site.objects.filter(study=study).count() == 2
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"studies.site.invite", "studies.site.accept"} <= actions
    assert signed_in(south_lead).get(f"/studies/{study.pk}/").status_code == 200


@pytest.mark.django_db
@pytest.mark.requirement("REQ-STU-101")
def test_a_declined_invitation_makes_no_site(study, clinics, lead, outsider):
    _invite(lead, study, "south")
    invitation = SiteInvitation.objects.get(study=study)
    decline = f"/studies/invitations/{invitation.pk}/decline/"
    assert signed_in(outsider).post(decline).status_code == 302
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.DECLINED
    assert not Site.objects.filter(study=study, clinic=clinics.south).exists()
    assert signed_in(outsider).get(f"/studies/{study.pk}/").status_code == 404


@pytest.mark.django_db
@pytest.mark.requirement("REQ-STU-101")
def test_inviting_is_refused_by_field_and_by_role(study, clinics, lead, coordinator, east_lead):
    for slug, reason in (
        ("nowhere", b"No clinic has this short name."),
        ("north", b"This clinic is already a site of the study."),
        ("bad slug!", b"Enter a valid"),
    ):
        answer = _invite(lead, study, slug)
        assert answer.status_code == 422
        assert reason in answer.content
    _invite(lead, study, "south")
    again = _invite(lead, study, "south")
    assert again.status_code == 422 and b"This clinic is invited already." in again.content
    assert SiteInvitation.objects.count() == 1
    assert _invite(coordinator, study, "east").status_code == 403  # a site, the wrong role
    assert _invite(east_lead, study, "east").status_code == 404  # not in the study
    assert SiteInvitation.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.requirement("REQ-STU-101")
def test_the_study_level_researcher_sees_every_sites_enrolled_clients_by_code_only(
    study, clinics, lead, outsider, researcher
):
    _invite(lead, study, "south")
    invitation = SiteInvitation.objects.get(study=study)
    signed_in(outsider).post(f"/studies/invitations/{invitation.pk}/accept/")
    south_coordinator = MembershipFactory(clinic=clinics.south, role=Role.COORDINATOR)
    north_coordinator = MembershipFactory(clinic=clinics.north, role=Role.COORDINATOR)
    services.enrol(
        by=Actor.command_line(north_coordinator),
        study=study,
        client=clinics.client,
        stratum="severe",
    )
    south = services.enrol(
        by=Actor.command_line(south_coordinator),
        study=study,
        client=clinics.south_client,
        stratum="severe",
    )
    services.randomise(by=Actor.command_line(south_coordinator), enrolment=south)
    not_enrolled = ClientFactory(clinic=clinics.south)
    # The researcher of north becomes the study-level researcher, given on the team page.
    answer = signed_in(lead).post(
        f"/studies/{study.pk}/team/add/", {"person": researcher.pk, "role": "researcher"}
    )
    assert answer.status_code == 302
    page = signed_in(researcher).get(f"/studies/{study.pk}/").content.decode()
    assert clinics.client.code in page and clinics.south_client.code in page
    assert not_enrolled.code not in page
    assert clinics.south_client.identity.family_name not in page  # codes, never names
    south_row = page.split(clinics.south_client.code, 1)[1].split("</tr>", 1)[0]
    assert "concealed" in south_row and "ARM-" not in south_row  # randomised, arm not shown
    # Nothing of south's clients through the clinic pages.
    browser = signed_in(researcher)
    assert browser.get(f"/clients/{clinics.south_client.code}/").status_code == 404
    # North's medical lead sees south's clients nowhere either: the site is south's.
    lead_page = signed_in(lead).get(f"/studies/{study.pk}/").content.decode()
    assert clinics.south_client.code not in lead_page
    # And south's lead nothing of north's.
    south_page = signed_in(outsider).get(f"/studies/{study.pk}/").content.decode()
    assert clinics.client.code not in south_page and clinics.south_client.code in south_page


@pytest.mark.django_db
def test_the_team_page_lists_members_with_role_and_site_for_the_leads_only(
    study, clinics, lead, coordinator, east_lead, researcher
):
    team.study_member_add(
        by=Actor.command_line(lead), study=study, user=researcher.user, role="monitor"
    )
    page = signed_in(lead).get(f"/studies/{study.pk}/team/")
    assert page.status_code == 200
    text = page.content.decode()
    assert researcher.user.email in text and "Study monitor" in text and "North" in text
    assert signed_in(coordinator).get(f"/studies/{study.pk}/team/").status_code == 403
    assert signed_in(east_lead).get(f"/studies/{study.pk}/team/").status_code == 404
    assert AuditEvent.objects.filter(action="studies.team.view").count() == 1


@pytest.mark.django_db
@pytest.mark.requirement("REQ-STU-101")
def test_a_lead_chooses_only_among_their_own_clinics_staff(
    study, clinics, lead, outsider, researcher
):
    _invite(lead, study, "south")
    signed_in(outsider).post(f"/studies/invitations/{SiteInvitation.objects.get().pk}/accept/")
    south_nurse = MembershipFactory(
        clinic=clinics.south, role=Role.COORDINATOR, user__email="nurse@south.test"
    )
    north_page = signed_in(lead).get(f"/studies/{study.pk}/team/").content.decode()
    assert researcher.user.email in north_page and "nurse@south.test" not in north_page
    south_page = signed_in(outsider).get(f"/studies/{study.pk}/team/").content.decode()
    assert "nurse@south.test" in south_page and researcher.user.email not in south_page
    # Posting another clinic's person is refused (404: they are not among the choices).
    answer = signed_in(outsider).post(
        f"/studies/{study.pk}/team/add/", {"person": researcher.pk, "role": "monitor"}
    )
    assert answer.status_code == 422 and b"Select a valid choice" in answer.content
    assert not StudyMember.objects.exists()
    # South's lead manages south's members, not north's; the sponsor's lead manages both.
    north_member = team.study_member_add(
        by=Actor.command_line(lead), study=study, user=researcher.user, role="monitor"
    )
    south_member = team.study_member_add(
        by=Actor.command_line(outsider), study=study, user=south_nurse.user, role="monitor"
    )
    change = f"/studies/{study.pk}/team/{north_member.pk}/change/"
    refused = signed_in(outsider).post(change, {f"m{north_member.pk}-role": "researcher"})
    assert refused.status_code == 403
    north_member.refresh_from_db()
    assert north_member.role == "monitor"
    url = f"/studies/{study.pk}/team/{south_member.pk}/remove/"
    assert signed_in(lead).post(url, {"reason": "left the study"}).status_code == 302
    assert not StudyMember.objects.filter(pk=south_member.pk).exists()
    assert StudyRoleChange.objects.filter(user=south_nurse.user, new_role="").get().reason == (
        "left the study"
    )


@pytest.mark.django_db
@pytest.mark.requirement("REQ-STU-102")
def test_a_blinded_rater_must_not_treat_an_enrolled_client_or_have_seen_allocations(
    study, clinics, lead, therapist, coordinator
):
    services.enrol(
        by=Actor.command_line(coordinator), study=study, client=clinics.client, stratum="severe"
    )
    browser = signed_in(lead)
    for member, reason in (
        (therapist, b"on the care team of a client enrolled in this study"),
        (coordinator, b"sees or has seen the allocations of this study"),
    ):
        answer = browser.post(
            f"/studies/{study.pk}/team/add/", {"person": member.pk, "role": "blinded_rater"}
        )
        assert answer.status_code == 422
        assert reason in answer.content
    assert not StudyMember.objects.exists()


@pytest.mark.django_db
@pytest.mark.requirement("REQ-STU-102")
def test_a_blinded_rater_is_unblinded_only_by_an_explicit_recorded_decision(
    study, clinics, lead, therapist_off_team
):
    person = therapist_off_team
    member = team.study_member_add(
        by=Actor.command_line(lead), study=study, user=person.user, role="blinded_rater"
    )
    url = f"/studies/{study.pk}/team/{member.pk}/change/"
    p = f"m{member.pk}-"
    browser = signed_in(lead)
    refused = browser.post(url, {p + "role": "unblinded"})
    assert refused.status_code == 422
    assert b"Confirm that they are to be unblinded" in refused.content
    assert b"Say why a blinded rater is unblinded." in refused.content
    no_reason = browser.post(url, {p + "role": "unblinded", p + "confirm_unblinding": "on"})
    assert no_reason.status_code == 422
    member.refresh_from_db()
    assert member.role == StudyRole.BLINDED_RATER
    done = browser.post(
        url,
        {
            p + "role": "unblinded",
            p + "confirm_unblinding": "on",
            p + "reason": "Needed as the dispensing pharmacist",
        },
    )
    assert done.status_code == 302
    member.refresh_from_db()
    assert member.role == StudyRole.UNBLINDED_PHARMACIST
    change = StudyRoleChange.objects.filter(user=person.user).first()
    assert (change.old_role, change.new_role) == ("blinded_rater", "unblinded")
    assert change.reason == "Needed as the dispensing pharmacist"
    event = AuditEvent.objects.filter(action="studies.member.change").get()
    assert "Needed" not in str(event.__dict__)  # the reason stays out of the audit log
    # Once unblinded, never a blinded rater of this study again.
    back = browser.post(url, {p + "role": "blinded_rater"})
    assert back.status_code == 422 and b"has seen the allocations" in back.content


@pytest.mark.django_db
@pytest.mark.requirement("REQ-STU-102")
def test_a_clinic_blinded_rater_cannot_be_made_unblinded_and_must_not_rate_their_own_client(
    study, clinics, lead, coordinator, therapist
):
    rater = MembershipFactory(clinic=clinics.north, role=Role.BLINDED_RATER)
    answer = signed_in(lead).post(
        f"/studies/{study.pk}/team/add/",
        {"person": rater.pk, "role": "unblinded", "confirm_unblinding": "on", "reason": "x"},
    )
    assert answer.status_code == 422 and b"blinded rater at their clinic" in answer.content
    # Rater independence: a rater on the client's care team is refused at scheduling.
    from holdspace.people.models import CareTeamMember

    CareTeamMember.objects.create(client=clinics.client, membership=rater, role="support")
    enrolment = services.enrol(
        by=Actor.command_line(coordinator), study=study, client=clinics.client, stratum="severe"
    )
    import datetime as dt

    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="care team"):
        services.assessment_schedule(
            by=Actor.command_line(coordinator),
            enrolment=enrolment,
            timepoint="endpoint",
            due_on=dt.date(2026, 12, 1),
            rater=rater.user,
        )


@pytest.mark.django_db
@pytest.mark.requirement("REQ-STU-102")
def test_the_studys_blinded_rater_cannot_join_an_enrolled_clients_care_team(
    study, clinics, lead, coordinator
):
    """The reverse of the check above: the role first, then the care team (people asks the
    studies app through a registered care-team check; it cannot import it)."""
    rater = MembershipFactory(clinic=clinics.north, role=Role.THERAPIST)
    StudyMember.objects.create(study=study, user=rater.user, role=StudyRole.BLINDED_RATER)
    services.enrol(
        by=Actor.command_line(coordinator), study=study, client=clinics.client, stratum="severe"
    )
    placed_before = set(clinics.client.care_team.values_list("pk", flat=True))
    answer = signed_in(lead).post(
        f"/clients/{clinics.client.code}/care-team/", {"member": rater.pk, "role": "co_therapist"}
    )
    assert answer.status_code == 422
    assert b"blinded rater of a study this client is enrolled in" in answer.content
    assert set(clinics.client.care_team.values_list("pk", flat=True)) == placed_before
    # Anyone else of the clinic still joins as before.
    other = MembershipFactory(clinic=clinics.north, role=Role.THERAPIST)
    answer = signed_in(lead).post(
        f"/clients/{clinics.client.code}/care-team/", {"member": other.pk, "role": "co_therapist"}
    )
    assert answer.status_code == 302
