"""The cohort page: who sees it, what it shows, and that it is audited."""

from __future__ import annotations

import pytest

from holdspace.audit.models import AuditEvent
from tests.conftest import signed_in
from tests.factories import ClientFactory

from .helpers import party, record

pytestmark = pytest.mark.django_db


@pytest.fixture
def cohort(clinics, lead):  # type: ignore[no-untyped-def]
    extra = [ClientFactory(clinic=clinics.north) for _ in range(4)]
    clients = [clinics.client, clinics.other_client, *extra]
    for i, client in enumerate(clients):
        record(lead, client, 50 + i, 1, "baseline")
        record(lead, client, 44 - i, 40)
        record(lead, client, 30 - 3 * i, 120, "end")
    party(extra[0], 12)
    party(extra[1], 30)
    party(extra[2], 60)
    party(extra[3], 55)
    return clients


def test_researcher_sees_the_cohort_grouped_by_party_use(cohort, researcher):
    page = signed_in(researcher).get("/outcomes/?instrument=PCL-5&group_by=prior_party_use")
    assert page.status_code == 200
    html = page.content.decode()
    for group in ("none", "10-49", "50+"):
        assert f'<th scope="row">{group}</th>' in html
    assert cohort[0].code in html
    assert AuditEvent.objects.filter(action="outcomes.cohort.list").count() == 1
    # The model and the plots are not in the first paint: a region fetched after load (htmx),
    # with a link to the same URL for a browser without JavaScript.
    assert "<svg" not in html and "Not an MMRM" not in html
    region = "/outcomes/plots/?instrument=PCL-5&amp;group_by=prior_party_use"
    assert f'hx-get="{region}"' in html and f'href="{region}"' in html


def test_the_plots_region_has_the_model_and_the_plots_beside_their_tables(cohort, researcher):
    browser = signed_in(researcher)
    url = "/outcomes/plots/?instrument=PCL-5&group_by=prior_party_use"
    fragment = browser.get(url, headers={"HX-Request": "true"}).content.decode()
    # Flow, trajectories, forest plot, reliable-change bars, each with its data table.
    assert fragment.count("<svg") == 4
    assert fragment.count("Data of the plot") == 4
    assert "Not an MMRM" in fragment and "<html" not in fragment
    assert AuditEvent.objects.filter(action="outcomes.cohort_plots.list").count() == 1
    page = browser.get(url).content.decode()  # without JavaScript: a page of its own
    assert "<html" in page and page.count("<svg") == 4


def test_the_plots_region_is_refused_like_the_page(cohort, therapist, clinic_admin, researcher):
    url = "/outcomes/plots/?instrument=PCL-5"
    assert signed_in(therapist).get(url).status_code == 403
    assert signed_in(clinic_admin).get(url).status_code == 403
    refused = signed_in(researcher).get("/outcomes/plots/?instrument=PCL-5&group_by=nope")
    assert refused.status_code == 422 and "group_by" in refused.json()["errors"]
    assert not AuditEvent.objects.filter(action="outcomes.cohort_plots.list").exists()


def test_names_never_appear(cohort, researcher):
    from holdspace.people.models import ClientIdentity

    ClientIdentity.objects.update_or_create(
        client=cohort[0], defaults={"given_name": "Ingrid", "family_name": "Qwertyson"}
    )
    html = signed_in(researcher).get("/outcomes/").content.decode()
    assert "Qwertyson" not in html and "Ingrid" not in html


def test_bad_filter_is_shown_not_a_500(cohort, lead):
    page = signed_in(lead).get(
        "/outcomes/?instrument=PCL-5&date_from=2026-05-01&date_to=2026-01-01"
    )
    assert page.status_code == 200
    assert "before its start" in page.content.decode()
    assert signed_in(lead).get("/outcomes/?instrument=NOPE").status_code == 200


def test_template_and_phase_filters(cohort, lead):
    page = signed_in(lead).get("/outcomes/?instrument=PCL-5&phase=closed")
    assert "No client in this cohort" in page.content.decode()


def test_therapist_gets_their_clients_not_the_cohort(clinics, therapist):
    page = signed_in(therapist).get("/outcomes/")
    assert page.status_code == 200
    html = page.content.decode()
    assert clinics.client.code in html and clinics.other_client.code not in html


def test_clinic_admin_is_refused(clinics, clinic_admin):
    assert signed_in(clinic_admin).get("/outcomes/").status_code == 403


def test_navigation_links_outcomes(clinics, researcher):
    html = signed_in(researcher).get("/outcomes/").content.decode()
    assert 'href="/outcomes/"' in html
