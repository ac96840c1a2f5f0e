"""Setting a study up through the pages: the medical lead's new-study form (typed, bounded,
nothing created on a refusal), the set-up page that generates the concealed list from a seed
(reproducible) or takes an uploaded CSV (a bad line is refused by line and column, nothing
stored), and every other role kept out."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from holdspace.audit.models import AuditEvent
from holdspace.people.actors import Actor
from holdspace.people.models import Role
from holdspace.studies import allocation, services
from holdspace.studies.forms import MAX_UPLOAD_BYTES
from holdspace.studies.models import AllocationSlot, Study

from ..conftest import signed_in
from ..factories import MembershipFactory

GOOD = {
    "code": "mdma-ptsd",
    "title": "MDMA-AT for PTSD",
    "protocol_template": "",
    "arm_1_name": "MDMA-AT",
    "arm_1_ratio": "1",
    "arm_2_name": "Placebo with therapy",
    "arm_2_ratio": "1",
    "arm_3_name": "",
    "arm_3_ratio": "",
    "arm_4_name": "",
    "arm_4_ratio": "",
    "strata": "north|severe\nnorth|moderate",
}


@pytest.fixture
def study(clinics, lead):
    return services.study_create(
        by=Actor.command_line(lead),
        code="trial",
        title="Trial",
        arms=[("mdma", "MDMA", 1), ("placebo", "Placebo", 1)],
        sites=[clinics.north],
        strata=["north|severe"],
    )


def _slots(study: Study) -> list[tuple[str, int, int, str]]:
    return [
        (s.stratum, s.position, s.block, s.arm.key)
        for s in AllocationSlot.objects.filter(study=study).select_related("arm")
    ]


@pytest.mark.django_db
def test_the_lead_sets_a_study_up_and_generates_a_list_reproducible_from_its_seed(lead, clinics):
    browser = signed_in(lead)
    home = browser.get("/studies/")
    assert b'href="/studies/new/"' in home.content
    assert browser.get("/studies/new/").status_code == 200
    answer = browser.post("/studies/new/", GOOD)
    study = Study.objects.get(code="mdma-ptsd")
    assert answer.status_code == 302 and answer["Location"] == f"/studies/{study.pk}/setup/"
    assert [(a.key, a.name, a.ratio) for a in study.arms.all()] == [
        ("mdma-at", "MDMA-AT", 1),
        ("placebo-with-therapy", "Placebo with therapy", 1),
    ]
    assert [s.clinic_id for s in study.sites.all()] == [clinics.north.pk]
    assert study.strata == ["north|severe", "north|moderate"]
    assert study.slots.count() == 0
    page = browser.get(f"/studies/{study.pk}/setup/")
    assert page.status_code == 200 and b"No list yet" in page.content

    form = {"seed": "trial-seed-2027", "block_sizes": "4, 2", "per_stratum": "10"}
    assert browser.post(f"/studies/{study.pk}/setup/generate/", form).status_code == 302
    expected = allocation.generate(
        seed="trial-seed-2027",
        arms=[("mdma-at", 1), ("placebo-with-therapy", 1)],
        strata=["north|severe", "north|moderate"],
        block_sizes=[2, 4],
        per_stratum=10,
    )
    first = _slots(study)
    assert first == sorted((x.stratum, x.position, x.block, x.arm) for x in expected)
    assert browser.post(f"/studies/{study.pk}/setup/generate/", form).status_code == 302
    assert _slots(study) == first  # same seed, same list
    study.refresh_from_db()
    assert study.allocation_seed == "trial-seed-2027" and study.block_sizes == [2, 4]

    page = browser.get(f"/studies/{study.pk}/setup/")
    # The list is concealed: counts per stratum, never an arm per line nor the seed.
    assert b"trial-seed-2027" not in page.content
    assert b"<td>north|severe</td>" in page.content
    actions = list(
        AuditEvent.objects.filter(action__startswith="studies.").values_list("action", flat=True)
    )
    assert "studies.study.create" in actions and "studies.allocation.generate" in actions


BAD = [
    ({"code": "x"}, "code"),
    ({"code": "has spaces"}, "code"),
    ({"title": ""}, "title"),
    ({"title": "t" * 201}, "title"),
    ({"arm_2_name": ""}, "arm_2_name"),
    ({"arm_1_ratio": "0"}, "arm_1_ratio"),
    ({"arm_2_ratio": "11"}, "arm_2_ratio"),
    ({"arm_2_name": "mdma at"}, "arm_2_name"),  # same key as MDMA-AT
    ({"arm_2_name": "!!!"}, "arm_2_name"),
    ({"strata": "  \n "}, "strata"),
    ({"strata": "a\na"}, "strata"),
    ({"strata": "s" * 121}, "strata"),
    ({"protocol_template": "no-such-protocol"}, "protocol_template"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("change", "field"), BAD)
def test_bad_input_is_refused_next_to_its_field_and_nothing_is_created(
    lead, clinics, change, field
):
    answer = signed_in(lead).post("/studies/new/", {**GOOD, **change})
    assert answer.status_code == 422
    form = answer.context["form"]
    assert field in form.errors, form.errors
    assert not Study.objects.exists()
    # Nothing typed is lost.
    assert form["title"].value() == ({**GOOD, **change})["title"]


@pytest.mark.django_db
def test_sites_are_the_leads_clinic_and_its_network_only_and_codes_are_unique(lead, clinics, study):
    browser = signed_in(lead)
    south = str(clinics.south.pk)
    answer = browser.post("/studies/new/", {**GOOD, "sites": [south]})
    assert answer.status_code == 422 and "sites" in answer.context["form"].errors
    # Once south runs a study with north, north's lead may name it.
    study.sites.create(clinic=clinics.south)
    answer = browser.post("/studies/new/", {**GOOD, "sites": [south], "code": "trial"})
    assert answer.status_code == 422 and "code" in answer.context["form"].errors
    assert browser.post("/studies/new/", {**GOOD, "sites": [south]}).status_code == 302
    made = Study.objects.get(code="mdma-ptsd")
    assert {s.clinic_id for s in made.sites.all()} == {clinics.north.pk, clinics.south.pk}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "setup_status"),
    [
        (Role.THERAPIST, 403),
        (Role.RESEARCHER, 403),
        (Role.COORDINATOR, 403),
        (Role.STUDY_MONITOR, 403),
        (Role.BLINDED_RATER, 404),
    ],
)
def test_other_roles_cannot_set_a_study_up(clinics, study, role, setup_status):
    member = MembershipFactory(clinic=clinics.north, role=role)
    browser = signed_in(member)
    assert browser.get("/studies/new/").status_code == 403
    assert browser.post("/studies/new/", {**GOOD, "code": "other"}).status_code == 403
    assert browser.get(f"/studies/{study.pk}/setup/").status_code == setup_status
    form = {"seed": "abcd", "block_sizes": "2", "per_stratum": "4"}
    assert browser.post(f"/studies/{study.pk}/setup/generate/", form).status_code == setup_status
    assert list(Study.objects.values_list("code", flat=True)) == ["trial"]
    assert study.slots.count() == 0


@pytest.mark.django_db
def test_a_site_lead_who_is_not_the_sponsor_cannot_set_it_up(clinics, study):
    study.sites.create(clinic=clinics.south)
    south_lead = MembershipFactory(clinic=clinics.south, role=Role.MEDICAL_LEAD)
    assert signed_in(south_lead).get(f"/studies/{study.pk}/setup/").status_code == 403


def _upload(browser, study, text: str | bytes):  # type: ignore[no-untyped-def]
    body = text.encode() if isinstance(text, str) else text
    return browser.post(
        f"/studies/{study.pk}/setup/upload/",
        {"file": SimpleUploadedFile("list.csv", body, content_type="text/csv")},
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("stratum,block,arm\ns1,1,mdma\ns1,1,aspirin\n", "Line 3, column arm"),
        ("stratum,block,arm\ns1,1,mdma\ns1,one,placebo\n", "Line 3, column block"),
        ("stratum,block,arm\ns1,0,mdma\n", "Line 2, column block"),
        ("stratum,block,arm\n,1,mdma\n", "Line 2, column stratum"),
        ("stratum,arm\ns1,mdma\n", "stratum,block,arm"),
        ("stratum,block,arm\n", "no lines"),
        (b"stratum,block,arm\n\xff\xfe,1,mdma\n", "UTF-8"),
        ("stratum,block,arm\n" + "s1,1,mdma\n" * (MAX_UPLOAD_BYTES // 10 + 1), "larger"),
    ],
)
def test_a_bad_upload_is_refused_by_line_and_column_and_stores_nothing(lead, study, text, message):
    browser = signed_in(lead)
    form = {"seed": "seed-1", "block_sizes": "2", "per_stratum": "4"}
    browser.post(f"/studies/{study.pk}/setup/generate/", form)
    before = _slots(study)
    answer = _upload(browser, study, text)
    assert answer.status_code == 422
    errors = " ".join(answer.context["upload_form"].errors["file"])
    assert message in errors, errors
    assert _slots(study) == before


@pytest.mark.django_db
def test_an_uploaded_list_replaces_an_unused_one_and_not_a_used_one(lead, coordinator, study):
    browser = signed_in(lead)
    answer = _upload(
        browser, study, "stratum,block,arm\nnorth|severe,1,placebo\nnorth|severe,1,mdma\n"
    )
    assert answer.status_code == 302
    assert _slots(study) == [("north|severe", 1, 1, "placebo"), ("north|severe", 2, 1, "mdma")]
    study.refresh_from_db()
    assert study.allocation_source == "uploaded"
    from ..factories import ClientFactory

    client = ClientFactory(clinic=study.sponsor_clinic)
    enrolment = services.enrol(
        by=Actor.command_line(lead), study=study, client=client, stratum="north|severe"
    )
    services.randomise(by=Actor.command_line(coordinator), enrolment=enrolment)
    form = {"seed": "seed-2", "block_sizes": "2", "per_stratum": "4"}
    assert browser.post(f"/studies/{study.pk}/setup/generate/", form).status_code == 422
    assert _upload(browser, study, "stratum,block,arm\ns,1,mdma\n").status_code == 422
    assert _slots(study) == [("north|severe", 1, 1, "placebo"), ("north|severe", 2, 1, "mdma")]
    assert b"can no longer be replaced" in browser.get(f"/studies/{study.pk}/setup/").content
