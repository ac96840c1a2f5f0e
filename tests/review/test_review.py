"""The Clinical review: what a medical lead confirms, who may, how it is kept, and the first
medicine session of a clinic."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from holdspace.audit.models import AuditEvent
from holdspace.people.actors import Actor
from holdspace.people.models import CareTeamRole
from holdspace.review import selectors, services
from holdspace.review.models import ReviewDecision
from holdspace.review.register import REVIEW_AREAS, clinical_rows, render_markdown
from holdspace.screening import services as screening_services
from holdspace.screening.models import SettingOverride
from holdspace.sessions import selectors as session_selectors
from holdspace.sessions import services as session_services
from tests.conftest import signed_in
from tests.factories import CareTeamMemberFactory
from tests.review.helpers import confirm_everything
from tests.sessions.conftest import make_ready, make_visit

DOC = Path(settings.BASE_DIR) / "docs" / "clinical-sources.md"


def test_every_row_has_a_unique_key_and_the_review_areas_are_covered():
    rows = clinical_rows()
    keys = [r.key for r in rows]
    assert len(keys) == len(set(keys))
    areas = {r.area for r in rows if r.unconfirmed}
    assert set(REVIEW_AREAS) <= areas  # each review area has at least one open value
    qtc = next(r for r in rows if r.key == "screening.setting.qtc_review_ms")
    assert qtc.unconfirmed and qtc.value == "450 ms"
    assert qtc.sources[0].doi == "10.1038/s41591-021-01336-3"


def test_the_committed_clinical_sources_document_is_current():
    assert DOC.read_text(encoding="utf-8") == render_markdown(clinical_rows()), (
        "docs/clinical-sources.md is out of date: run `holdspace clinical sources`"
    )


def test_the_command_checks_and_writes_the_document(tmp_path):
    out = tmp_path / "sources.md"
    with pytest.raises(CommandError, match="out of date"):
        call_command("clinical", "sources", "--check", "--output", str(out))
    call_command("clinical", "sources", "--output", str(out))
    assert "Vizeli" in out.read_text(encoding="utf-8")
    call_command("clinical", "sources", "--check", "--output", str(out))


def test_a_new_clinic_starts_with_every_marked_value_open(clinics, lead):
    items = selectors.review_items(clinics.north.pk)
    keys = {i.key for i in items}
    assert "screening.setting.qtc_review_ms" in keys
    assert "sessions.cadence.every_minutes" in keys
    assert "sessions.adverse_events.deadline_days" in keys
    assert "measure_alerts.PHQ-9.item9.act" in keys
    assert "scheduling.mdma-at-ptsd-phase3.measures.PCL-5" in keys
    assert "screening.rule.medical-history-missing" not in keys  # sourced and unchanged
    assert selectors.unconfirmed_count(clinics.north.pk) == len(items)


def test_confirming_keeps_a_row_and_an_audit_entry(clinics, lead):
    row = services.review_confirm(
        by=Actor.command_line(lead), key="screening.setting.qtc_review_ms", reason="ECG lead"
    )
    assert row.value == "450 ms" and row.decision == "confirmed"
    item = selectors.review_item(clinics.north.pk, "screening.setting.qtc_review_ms")
    assert item is not None and item.confirmed
    assert AuditEvent.objects.filter(action="review.confirm").count() == 1


def test_a_value_changed_after_confirmation_must_be_confirmed_again(clinics, lead):
    by = Actor.command_line(lead)
    services.review_confirm(by=by, key="screening.setting.ssri_snri_washout_days")
    screening_services.setting_override_set(
        by=by, key="ssri_snri_washout_days", value=28, reason="long half-life drugs"
    )
    item = selectors.review_item(clinics.north.pk, "screening.setting.ssri_snri_washout_days")
    assert item is not None and item.changed_by_clinic and not item.confirmed
    assert item.current == "28 days"


def test_change_goes_through_the_owning_setting_and_keeps_every_version(clinics, lead):
    by = Actor.command_line(lead)
    services.review_change(
        by=by, key="screening.setting.qtc_review_ms", value=470, reason="cardiology advice"
    )
    services.review_change(
        by=by, key="screening.setting.qtc_review_ms", value=460, reason="second opinion"
    )
    assert list(SettingOverride.objects.values_list("value", flat=True)) == [460, 470]
    rows = ReviewDecision.objects.filter(key="screening.setting.qtc_review_ms")
    assert [r.value for r in rows] == ["460 ms", "470 ms"]  # newest first, none overwritten
    item = selectors.review_item(clinics.north.pk, "screening.setting.qtc_review_ms")
    assert item is not None and item.confirmed and item.changed_by_clinic


def test_a_change_needs_a_reason_and_a_value_in_bounds(clinics, lead):
    by = Actor.command_line(lead)
    with pytest.raises(ValidationError) as error:
        services.review_change(by=by, key="sessions.suds.max", value=500, reason="")
    assert set(error.value.message_dict) == {"value", "reason"}
    assert not ReviewDecision.objects.exists()


def test_only_a_medical_lead_reviews(clinics, therapist, lead):
    with pytest.raises(PermissionDenied):
        services.review_confirm(by=Actor.command_line(therapist), key="sessions.suds.max")
    assert signed_in(therapist).get(reverse("review:home")).status_code == 403
    response = signed_in(therapist).post(reverse("review:confirm"), {"key": "sessions.suds.max"})
    assert response.status_code == 403
    assert not ReviewDecision.objects.exists()


def test_a_lead_of_another_clinic_sees_only_their_own_decisions(clinics, lead, outsider):
    services.review_confirm(by=Actor.command_line(lead), key="sessions.suds.max")
    assert selectors.unconfirmed_count(clinics.south.pk) == len(
        selectors.review_items(clinics.south.pk)
    )
    page = signed_in(outsider).get(reverse("review:home"))
    assert page.status_code == 200
    assert "lead@north.test" not in page.content.decode()


def test_the_page_groups_values_and_a_bad_post_names_the_field(clinics, lead):
    browser = signed_in(lead)
    page = browser.get(reverse("review:home")).content.decode()
    for area in ("area-screening", "area-washout", "area-sessions", "area-measure_alerts"):
        assert f'id="{area}"' in page
    assert "https://doi.org/10.1177/0269881117691569" in page  # Vizeli & Liechti by DOI
    bad = browser.post(
        reverse("review:change"), {"key": "sessions.suds.max", "value": "x", "reason": ""}
    )
    assert bad.status_code == 422
    assert "value" in bad.content.decode() and "reason" in bad.content.decode()
    ok = browser.post(reverse("review:confirm"), {"key": "sessions.suds.max"})
    assert ok.status_code == 302
    assert ReviewDecision.objects.get().key == "sessions.suds.max"


def test_the_banner_points_a_lead_to_the_review_while_values_are_open(clinics, lead, therapist):
    home = reverse("home")
    assert reverse("review:home") in signed_in(lead).get(home, follow=True).content.decode()
    assert reverse("review:home") not in (
        signed_in(therapist).get(home, follow=True).content.decode()
    )
    confirm_everything(lead)
    assert reverse("review:home") not in signed_in(lead).get(home, follow=True).content.decode()


@pytest.fixture
def ready_session(clinics, lead, therapist, therapist_off_team, monkeypatch):  # type: ignore[no-untyped-def]
    from tests.sessions.conftest import patch_preparation

    patch_preparation(monkeypatch)
    CareTeamMemberFactory(
        client=clinics.client, membership=therapist_off_team, role=CareTeamRole.CO_THERAPIST
    )
    session = session_services.session_open(
        by=Actor.command_line(therapist),
        visit=make_visit(clinics, therapist),
        client=clinics.client,
    )
    make_ready(session, therapist, therapist_off_team)
    return session


def _items(session):  # type: ignore[no-untyped-def]
    return {b.item for b in session_selectors.start_blockers(session)}


def test_the_first_session_waits_for_the_review_or_an_override(ready_session, lead, therapist):
    session_services.settings_confirm(
        by=Actor.command_line(lead), values=session_selectors.settings_defaults()
    )
    assert "clinical_review" in _items(ready_session)
    session_services.start_override(
        by=Actor.command_line(lead), session=ready_session, item="clinical_review", reason="pilot"
    )
    assert _items(ready_session) == set()


def test_confirming_everything_lets_the_first_session_start(ready_session, lead, therapist):
    confirm_everything(lead)  # includes the session values: the settings count as confirmed
    assert _items(ready_session) == set()
    started = session_services.session_start(
        by=Actor.command_line(therapist), session=ready_session
    )
    assert started.status == "running"
