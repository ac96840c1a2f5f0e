"""Fidelity ratings: the sponsoring lead's site-defined checklist, ratings of a study's medicine
sessions per therapist pair (typed, bounded, audited; a refusal names its field and changes
nothing), the per-pair report, and the blinded rater who may rate but never sees an arm, a dose
or the report."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from holdspace.audit.models import AuditEvent
from holdspace.people.actors import Actor
from holdspace.people.models import Role
from holdspace.sessions.models import Dose, MedicineSession
from holdspace.studies import services
from holdspace.studies.fidelity_models import FidelityChecklist, FidelityRating

from ..conftest import signed_in
from ..factories import ClinicFactory, MembershipFactory
from ..sessions.conftest import make_visit

CHECKLIST = {
    "items": "Prepared the setting\nFollowed the client's lead\nClosed the session",
    "scale_min": "0",
    "scale_max": "4",
    "scale_note": "0 not done, 4 fully done",
}


@pytest.fixture
def trial(clinics, lead, coordinator, therapist, therapist_off_team):  # type: ignore[no-untyped-def]
    study = services.study_create(
        by=Actor.command_line(lead),
        code="fid",
        title="Fidelity",
        arms=[("a", "ARMCANARY-A", 1), ("b", "ARMCANARY-B", 1)],
        sites=[clinics.north, clinics.south],
        strata=["s"],
        block_sizes=[2],
        seed="fid",
        per_stratum=4,
    )
    enrolment = services.enrol(
        by=Actor.command_line(coordinator), study=study, client=clinics.client, stratum="s"
    )
    services.randomise(by=Actor.command_line(coordinator), enrolment=enrolment)
    visit = make_visit(clinics, therapist)
    visit.therapists.add(therapist, therapist_off_team)
    session = MedicineSession.objects.create(
        clinic=clinics.north,
        client=clinics.client,
        visit=visit,
        status="ended",
        started_at=timezone.now() - dt.timedelta(days=3),
    )
    Dose.objects.create(session=session, kind="initial", substance="DOSECANARY", mg=123,
                        given_at=session.started_at, recorded_by=therapist)  # fmt: skip
    return study, session


def _rate(session, **items):  # type: ignore[no-untyped-def]
    return {"source": "recording", "item_1": "4", "item_2": "3", "item_3": "2", **items}


@pytest.mark.django_db
def test_the_lead_defines_the_checklist_and_rates_a_session_for_its_pair(
    trial, lead, therapist, therapist_off_team
):
    study, session = trial
    browser = signed_in(lead)
    url = f"/studies/{study.pk}/fidelity/"
    assert b"No fidelity checklist yet" in browser.get(url).content
    assert browser.post(url + "setup/", CHECKLIST).status_code == 302
    checklist = FidelityChecklist.objects.get(study=study)
    assert [i["label"] for i in checklist.items][1] == "Followed the client's lead"
    page = browser.get(url + "rate/")
    assert session.client.code in page.content.decode()
    answer = browser.post(url + f"rate/{session.pk}/", _rate(session))
    assert answer.status_code == 302
    rating = FidelityRating.objects.get(session=session)
    assert rating.answers == {"1": 4, "2": 3, "3": 2} and str(rating.mean) == "3.00"
    assert rating.pair == f"{therapist.pk}+{therapist_off_team.pk}"
    assert set(rating.therapists.all()) == {therapist, therapist_off_team}
    assert AuditEvent.objects.filter(action="studies.fidelity.rate").count() == 1
    report = browser.get(url)
    text = report.content.decode()
    assert report.status_code == 200 and "<svg" in text and "3.0" in text
    assert "Site-defined checklist: not a published scale." in text
    assert "ARMCANARY" not in text and "DOSECANARY" not in text
    # The checklist is fixed once rated: ratings over time stay comparable.
    again = browser.post(url + "setup/", {**CHECKLIST, "items": "Another"})
    assert again.status_code == 422 and b"fixed" in again.content
    assert FidelityChecklist.objects.get(study=study).items == checklist.items


@pytest.mark.requirement("REQ-PRV-006")
@pytest.mark.django_db
def test_refusals_name_the_field_and_change_nothing(trial, lead, coordinator, therapist):
    study, session = trial
    url = f"/studies/{study.pk}/fidelity/"
    browser = signed_in(lead)
    bad = browser.post(url + "setup/", {**CHECKLIST, "scale_min": "3", "scale_max": "2"})
    assert bad.status_code == 422 and set(bad.context["form"].errors) == {"scale_max"}
    empty = browser.post(url + "setup/", {**CHECKLIST, "items": "  \n "})
    assert empty.status_code == 422 and "items" in empty.context["form"].errors
    assert not FidelityChecklist.objects.exists()
    browser.post(url + "setup/", CHECKLIST)
    out_of_scale = browser.post(url + f"rate/{session.pk}/", _rate(session, item_2="9"))
    assert out_of_scale.status_code == 422
    assert set(out_of_scale.context["form"].errors) == {"item_2"}
    missing = browser.post(url + f"rate/{session.pk}/", {"source": "recording", "item_1": "1"})
    assert missing.status_code == 422
    assert set(missing.context["form"].errors) == {"item_2", "item_3"}
    # Wrong role: 403; outside the study: 404; nothing stored.
    wrong_role = signed_in(coordinator).post(url + f"rate/{session.pk}/", _rate(session))
    assert wrong_role.status_code == 403
    assert signed_in(coordinator).post(url + "setup/", CHECKLIST).status_code == 403
    assert signed_in(therapist).get(url).status_code == 403
    stranger = MembershipFactory(clinic=ClinicFactory(slug="east"), role=Role.MEDICAL_LEAD)
    for path in ("", "setup/", "rate/", f"rate/{session.pk}/"):
        assert signed_in(stranger).get(url + path).status_code == 404
    assert signed_in(stranger).post(url + f"rate/{session.pk}/", _rate(session)).status_code == 404
    south_lead = MembershipFactory(clinic=study.sites.last().clinic, role=Role.MEDICAL_LEAD)
    # A site's lead rates only their own site's sessions.
    assert signed_in(south_lead).get(url + f"rate/{session.pk}/").status_code == 404
    assert not FidelityRating.objects.exists()
    assert not AuditEvent.objects.filter(action="studies.fidelity.rate").exists()


@pytest.mark.requirement("REQ-PRV-006")
@pytest.mark.django_db
def test_a_blinded_rater_rates_without_seeing_an_arm_a_dose_or_the_report(trial, clinics, lead):
    study, session = trial
    signed_in(lead).post(f"/studies/{study.pk}/fidelity/setup/", CHECKLIST)
    outside = MembershipFactory(clinic=clinics.north, role=Role.BLINDED_RATER)
    rater = MembershipFactory(clinic=clinics.north, role=Role.BLINDED_RATER)
    services.study_member_add(
        by=Actor.command_line(lead), study=study, user=rater.user, role="blinded_rater"
    )
    url = f"/studies/{study.pk}/fidelity/"
    for path in ("", "setup/", "rate/", f"rate/{session.pk}/"):
        assert signed_in(outside).get(url + path).status_code == 404
    browser = signed_in(rater)
    today = browser.get("/today/").content.decode()
    assert f'href="{url}rate/"' in today and "1 session to rate." in today
    assert b"session to rate" not in signed_in(outside).get("/today/").content
    assert browser.get(url)["Location"] == url + "rate/"  # the report is not theirs
    assert browser.get(url + "setup/").status_code == 403
    for path in ("rate/", f"rate/{session.pk}/"):
        page = browser.get(url + path)
        text = page.content.decode()
        assert page.status_code == 200
        assert "ARMCANARY" not in text and "DOSECANARY" not in text and "123" not in text
        assert "Placebo" not in text and f'/studies/{study.pk}/"' not in text
    assert browser.post(url + f"rate/{session.pk}/", _rate(session)).status_code == 302
    assert FidelityRating.objects.get().rated_by == rater.user
    assert browser.get(f"/studies/{study.pk}/").status_code == 404  # nothing else of the study


@pytest.mark.django_db
def test_a_rating_is_dated_by_the_clinics_day_not_utcs(trial, lead):
    """A session begun at 00:30 in Oslo (23:30 UTC the day before) is that Oslo day's."""
    from holdspace.studies import fidelity

    study, session = trial
    browser = signed_in(lead)
    url = f"/studies/{study.pk}/fidelity/"
    assert browser.post(url + "setup/", CHECKLIST).status_code == 302
    assert browser.post(url + f"rate/{session.pk}/", _rate(session)).status_code == 302
    late = dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.UTC)
    MedicineSession.objects.filter(pk=session.pk).update(started_at=late)
    with timezone.override("Europe/Oslo"):
        points = fidelity.report(lead, study)["pairs"][0]["points"]
    assert points[0]["date"] == dt.date(2026, 12, 1)
