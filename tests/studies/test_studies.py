"""Studies through the services, the pages and the API: randomisation reveals one concealed
allocation at a time (audited), blinded roles never see it, emergency unblinding needs a
reason and a signature, the blinded rater reaches only their own assessments, open queries
block the signed lock."""

from __future__ import annotations

import json

import pytest

from holdspace.audit.models import AuditEvent
from holdspace.people.actors import Actor
from holdspace.people.models import Role
from holdspace.studies import allocation, services
from holdspace.studies.models import Assessment, Enrolment, QueryStatus, Unblinding

from ..conftest import signed_in
from ..factories import ClientFactory, MembershipFactory

PASSWORD = "a-long-test-password-1"


@pytest.fixture
def study(clinics, lead):
    return services.study_create(
        by=Actor.command_line(lead),
        code="trial",
        title="Trial",
        arms=[("mdma", "ARM-MDMA", 1), ("placebo", "ARM-PLACEBO", 1)],
        sites=[clinics.north, clinics.south],
        strata=["north|severe", "south|severe"],
        block_sizes=[2, 4],
        seed="seed-1",
        per_stratum=8,
    )


@pytest.fixture
def enrolled(study, clinics, coordinator):
    return services.enrol(
        by=Actor.command_line(coordinator),
        study=study,
        client=clinics.client,
        stratum="north|severe",
    )


@pytest.fixture
def rater(clinics):
    return MembershipFactory(
        clinic=clinics.north, role=Role.BLINDED_RATER, user__email="rater@north.test"
    )


def _api(member, method, url, body=None):
    browser = signed_in(member)
    if body is None:
        return getattr(browser, method)(url)
    return getattr(browser, method)(url, data=json.dumps(body), content_type="application/json")


@pytest.mark.django_db
def test_randomising_reveals_the_next_line_of_the_stratum_and_audits_it(
    study, enrolled, coordinator, lead, clinics
):
    expected = allocation.generate(
        seed="seed-1",
        arms=[("mdma", 1), ("placebo", 1)],
        strata=["north|severe"],
        block_sizes=[2, 4],
        per_stratum=8,
    )
    answer = _api(
        coordinator,
        "post",
        f"/api/v1/studies/{study.pk}/randomise",
        {"client_code": clinics.client.code},
    )
    assert answer.status_code == 200, answer.content
    arm_names = {"mdma": "ARM-MDMA", "placebo": "ARM-PLACEBO"}
    assert answer.json()["arm"] == arm_names[expected[0].arm]
    assert AuditEvent.objects.filter(action="studies.allocation.reveal").count() == 1
    # A second client in the same stratum gets the second line; once only.
    second = services.enrol(
        by=Actor.command_line(coordinator),
        study=study,
        client=clinics.other_client,
        stratum="north|severe",
    )
    answer = _api(
        lead,
        "post",
        f"/api/v1/studies/{study.pk}/randomise",
        {"client_code": clinics.other_client.code},
    )
    assert answer.status_code == 200
    assert answer.json()["arm"] is None  # the medical lead is blinded
    second.refresh_from_db()
    assert second.slot.arm.key == expected[1].arm
    again = _api(
        lead,
        "post",
        f"/api/v1/studies/{study.pk}/randomise",
        {"client_code": clinics.other_client.code},
    )
    assert again.status_code == 422
    assert "client_code" in again.json()["errors"]


@pytest.mark.django_db
def test_blinded_roles_never_see_an_allocation(
    study, enrolled, coordinator, lead, researcher, therapist, clinics
):
    services.randomise(by=Actor.command_line(coordinator), enrolment=enrolled)
    for member in (lead, researcher, therapist):
        page = signed_in(member).get(f"/studies/{study.pk}/")
        assert page.status_code == 200, member.role
        assert all("arm" not in row for row in page.context["rows"]), member.role
        assert "concealed" in page.content.decode()
        detail = _api(member, "get", f"/api/v1/studies/{study.pk}").json()
        assert "ARM-" not in json.dumps(detail["enrolment"])
    seen = signed_in(coordinator).get(f"/studies/{study.pk}/")
    assert seen.context["rows"][0]["arm"] in {"ARM-MDMA", "ARM-PLACEBO"}


@pytest.mark.django_db
def test_emergency_unblinding_needs_a_reason_and_a_signature(study, enrolled, coordinator, lead):
    services.randomise(by=Actor.command_line(coordinator), enrolment=enrolled)
    lead.user.set_password(PASSWORD)
    lead.user.save()
    browser = signed_in(lead)
    code = enrolled.client.code
    refused = browser.post(
        f"/studies/{study.pk}/unblind/", {"client_code": code, "reason": "", "secret": "wrong"}
    )
    assert refused.status_code == 422
    assert Unblinding.objects.count() == 0
    done = browser.post(
        f"/studies/{study.pk}/unblind/",
        {"client_code": code, "reason": "Serious AE", "secret": PASSWORD},
        follow=True,
    )
    assert done.status_code == 200
    assert Unblinding.objects.get().reason == "Serious AE"
    assert AuditEvent.objects.filter(action="studies.allocation.unblind").exists()
    # A coordinator may see arms but not unblind for the record; a researcher may do neither.
    assert (
        signed_in(coordinator)
        .post(f"/studies/{study.pk}/unblind/", {"client_code": code, "reason": "x", "secret": "x"})
        .status_code
        == 403
    )


@pytest.mark.django_db
def test_the_rater_sees_only_their_assessment_and_enters_ratings(
    study, enrolled, coordinator, rater, clinics
):
    services.randomise(by=Actor.command_line(coordinator), enrolment=enrolled)
    # The coordinator schedules the visit on the study page.
    scheduled = signed_in(coordinator).post(
        f"/studies/{study.pk}/assessments/",
        {"client_code": clinics.client.code, "timepoint": "endpoint",
         "due_on": enrolled.enrolled_at.date().isoformat(), "rater": rater.user.pk},
    )  # fmt: skip
    assert scheduled.status_code == 302
    assessment = Assessment.objects.get(enrolment=enrolled)
    browser = signed_in(rater)
    assert "1 assessment due." in browser.get("/today/").content.decode()
    listing = browser.get("/studies/rater/")
    assert clinics.client.code in listing.content.decode()
    for url in (
        f"/studies/{study.pk}/",
        f"/studies/{study.pk}/blinding/",
        f"/clients/{clinics.client.code}/",
        f"/api/v1/studies/{study.pk}",
    ):
        assert browser.get(url).status_code in (403, 404), url
    assert browser.get("/api/v1/studies").json() == []
    form = {f"item_{i}": "2" for i in range(1, 21)}
    bad = browser.post(
        f"/studies/rater/{assessment.pk}/", {**form, "item_3": "9", "confidence": "50"}
    )
    assert bad.status_code == 422
    assert "item_3" in bad.context["form"].errors
    saved = browser.post(f"/studies/rater/{assessment.pk}/", {**form, "confidence": "60"})
    assert saved.status_code == 302
    assessment.refresh_from_db()
    assert assessment.score.total == 40
    assert enrolled.guesses.get().guesser == "rater"
    assert "ARM-" not in browser.get("/studies/rater/").content.decode()
    # Rated once; another rater's assessment is not found.
    assert browser.post(f"/studies/rater/{assessment.pk}/", form).status_code == 422


@pytest.mark.django_db
def test_open_queries_block_the_signed_lock(study, enrolled, coordinator, lead, clinics):
    monitor = MembershipFactory(
        clinic=clinics.north, role=Role.STUDY_MONITOR, user__email="monitor@north.test"
    )
    raised = _api(
        monitor,
        "post",
        f"/api/v1/studies/{study.pk}/queries",
        {"client_code": clinics.client.code, "item": "weight", "question": "Missing?"},
    )
    assert raised.status_code == 201, raised.content
    refused = _api(
        monitor,
        "post",
        f"/api/v1/studies/{study.pk}/queries",
        {"client_code": clinics.client.code, "item": "", "question": "x" * 30000},
    )
    assert refused.status_code == 422
    assert "question" in refused.json()["errors"]
    lead.user.set_password(PASSWORD)
    lead.user.save()
    blocked = signed_in(lead).post(
        f"/studies/{study.pk}/lock/", {"client_code": clinics.client.code, "secret": PASSWORD}
    )
    assert blocked.status_code == 422
    assert "Close every query" in blocked.content.decode()
    query_id = raised.json()["id"]
    signed_in(coordinator).post(
        f"/studies/{study.pk}/queries/{query_id}/answer/", {"answer": "Entered."}
    )
    signed_in(monitor).post(f"/studies/{study.pk}/queries/{query_id}/close/")
    listed = _api(monitor, "get", f"/api/v1/studies/{study.pk}/queries").json()
    assert listed[0]["status"] == QueryStatus.CLOSED
    locked = signed_in(lead).post(
        f"/studies/{study.pk}/lock/", {"client_code": clinics.client.code, "secret": PASSWORD}
    )
    assert locked.status_code == 302
    assert Enrolment.objects.get(pk=enrolled.pk).locked_at is not None


@pytest.mark.django_db
def test_the_blinding_report_counts_guesses_by_arm_and_role(
    study, clinics, coordinator, therapist, researcher
):
    actor = Actor.command_line(coordinator)
    for client in (
        clinics.client,
        clinics.other_client,
        ClientFactory(clinic=clinics.north),
        ClientFactory(clinic=clinics.north),
    ):
        enrolment = services.enrol(by=actor, study=study, client=client, stratum="north|severe")
        enrolment = services.randomise(by=actor, enrolment=enrolment)
        # Every client guesses right: complete unblinding.
        services.guess_record(
            by=actor,
            enrolment=enrolment,
            guesser="client",
            timepoint="endpoint",
            arm=enrolment.slot.arm,
            confidence=90,
        )
    report = _api(researcher, "get", f"/api/v1/studies/{study.pk}/blinding").json()
    client_role = next(r for r in report["roles"] if r["guesser"] == "client")
    assert sum(map(sum, client_role["table"])) == 4
    assert [b["estimate"] for b in client_role["bang"]] == [1.0, 1.0]
    assert client_role["james"]["estimate"] == pytest.approx(0.0)
    page = signed_in(researcher).get(f"/studies/{study.pk}/blinding/")
    assert page.status_code == 200
    assert '<option value="endpoint" selected>Endpoint</option>' in page.content.decode()
    # Therapists record guesses but do not read the report.
    assert signed_in(therapist).get(f"/studies/{study.pk}/blinding/").status_code == 403


@pytest.mark.django_db
def test_outsiders_and_anonymous_callers_get_nothing(study, outsider, clinics):
    # `outsider` is south's medical lead: south is a site, so they see the study, but not
    # north's enrolments (a study-level researcher would).
    services.enrol(
        by=Actor.command_line(MembershipFactory(clinic=clinics.north, role=Role.COORDINATOR)),
        study=study,
        client=clinics.client,
        stratum="north|severe",
    )
    answer = _api(
        outsider,
        "post",
        f"/api/v1/studies/{study.pk}/randomise",
        {"client_code": clinics.client.code},
    )
    assert answer.status_code == 404
    other = MembershipFactory(role=Role.MEDICAL_LEAD)  # a clinic with no part in the study
    assert _api(other, "get", f"/api/v1/studies/{study.pk}").status_code == 404
    assert _api(other, "get", "/api/v1/studies").json() == []


@pytest.mark.django_db
def test_the_cohort_report_groups_by_arm_only_once_unblinded_and_leaves_out_deviations(
    study, clinics, coordinator, lead, researcher
):
    from holdspace.measures import services as measures_services
    from holdspace.outcomes.selectors import CohortFilter, cohort_rows
    from holdspace.studies.models import StudyStatus

    actor = Actor.command_line(coordinator)
    enrolments = []
    for client in (clinics.client, clinics.other_client):
        enrolment = services.enrol(by=actor, study=study, client=client, stratum="north|severe")
        enrolments.append(services.randomise(by=actor, enrolment=enrolment))
        measures_services.response_record(
            by=Actor.command_line(lead),
            client=client,
            instrument_code="PCL-5",
            answers={str(i): 2 for i in range(1, 21)},
        )
    flt = CohortFilter(instrument="PCL-5", group_by="arm")
    assert {row.group for row in cohort_rows(researcher, flt)} == {
        "arm concealed (study still blinded)"
    }
    study.status = StudyStatus.UNBLINDED
    study.save()
    groups = {row.code: row.group for row in cohort_rows(researcher, flt)}
    assert groups == {e.client.code: e.slot.arm.name for e in enrolments}
    services.deviation_report(
        by=actor, study=study, site=enrolments[0].site, enrolment=enrolments[0],
        severity="major", description="x", action="y",
    )  # fmt: skip
    # Reported to the medical lead: on their Today page.
    today = signed_in(lead).get("/today/").content.decode()
    assert "Protocol deviations reported" in today and enrolments[0].client.code in today
    page = signed_in(researcher).get(
        "/outcomes/", {"instrument": "PCL-5", "exclude_major_deviations": "on"}
    )
    assert page.status_code == 200
    assert "with a major protocol deviation are left out" in page.content.decode()
    assert [r["row"].code for r in page.context["rows"]] == [enrolments[1].client.code]
