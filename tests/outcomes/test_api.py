"""/api/v1/outcomes/clients and /summary: shapes, scope, refusals and audit."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient

from holdspace.api.services import api_token_create
from holdspace.audit.models import AuditEvent
from holdspace.outcomes import stats
from holdspace.people.actors import Actor
from holdspace.screening.models import Context
from tests.factories import ClientFactory

from .helpers import party, record

pytestmark = pytest.mark.django_db


def _api(member):  # type: ignore[no-untyped-def]
    _row, raw = api_token_create(by=Actor.command_line(member), user=member.user, name="t")
    return HttpClient(headers={"Authorization": f"Bearer {raw}"})


@pytest.fixture
def cohort(clinics, lead, outsider):  # type: ignore[no-untyped-def]
    """Two party-naive clients and two with 10-49 party/festival uses (north)."""
    a, b = clinics.client, clinics.other_client
    c, d = ClientFactory(clinic=clinics.north), ClientFactory(clinic=clinics.north)
    for client, base, end in ((a, 50, 30), (b, 46, 40), (c, 60, 20), (d, 44, 20)):
        record(lead, client, base, 1, "baseline")
        record(lead, client, base - 2, 40)
        record(lead, client, end, 120, "end")
    party(c, 8)
    party(c, 4, Context.FESTIVAL)  # 12 in all: 10-49
    party(d, 20)
    record(outsider, clinics.south_client, 50, 1, "baseline")
    return a, b, c, d


def test_clients_rows_for_researcher(cohort, researcher):
    reply = _api(researcher).get(
        "/api/v1/outcomes/clients?instrument=PCL-5&group_by=prior_party_use"
    )
    assert reply.status_code == 200
    items = {item["code"]: item for item in reply.json()["items"]}
    a, _b, c, _d = cohort
    assert len(items) == 4  # the south client is not in north's cohort
    row = items[a.code]
    assert row["baseline"] == 50 and row["endpoint"] == 30 and row["change"] == -20
    assert row["baseline_source"] == "baseline_timepoint"
    assert row["endpoint_source"] == "protocol_endpoint"
    assert row["reliable_change"] == "improved"
    assert row["clinically_meaningful"] is True and row["response"] is True
    assert row["remission"] is False  # 30 is above 28
    assert row["group"] == "none" and row["prior_party_uses"] == 0
    assert items[c.code]["group"] == "10-49" and items[c.code]["prior_party_uses"] == 12
    assert set(row) >= {"code", "group", "baseline", "endpoint", "change", "baseline_source",
                        "endpoint_source", "reliable_change", "clinically_meaningful",
                        "response", "remission", "prior_party_uses"}  # fmt: skip
    assert not any("name" in key for key in row)


def test_summary_is_reproducible_from_the_rows(cohort, lead):
    api = _api(lead)
    query = "instrument=PCL-5&group_by=prior_party_use"
    rows = api.get(f"/api/v1/outcomes/clients?{query}").json()["items"]
    summary = api.get(f"/api/v1/outcomes/summary?{query}").json()
    assert summary["instrument"] == "PCL-5"
    assert [g["group"] for g in summary["groups"]] == ["none", "10-49"]
    for group in summary["groups"]:
        mine = [r for r in rows if r["group"] == group["group"]]
        changes = [r["change"] for r in mine]
        ci = stats.mean_ci(changes)
        assert group["n"] == len(mine) == 2
        assert group["change_mean"] == pytest.approx(ci.value)
        assert group["change_ci95"] == pytest.approx(list(ci.ci95))
        assert group["within_effect"]["type"] == "d_av"
        assert group["response"]["k"] == sum(r["response"] for r in mine)
    # none: changes -20, -6 (mean -13); 10-49: -40, -24 (mean -32).
    comparison = summary["comparisons"][0]
    assert comparison["groups"] == ["10-49", "none"]
    assert comparison["difference"] == pytest.approx(-19)
    assert comparison["effect"]["type"] == "hedges_g"


def test_cohort_read_is_audited(cohort, researcher):
    _api(researcher).get("/api/v1/outcomes/summary?instrument=PCL-5")
    event = AuditEvent.objects.filter(action="outcomes.cohort.list").get()
    assert event.actor_id == researcher.user_id


@pytest.mark.parametrize("role", ["therapist", "coordinator", "clinic_admin"])
def test_other_roles_get_403(clinics, role, request):
    member = request.getfixturevalue(role)
    assert _api(member).get("/api/v1/outcomes/clients?instrument=PCL-5").status_code == 403
    assert _api(member).get("/api/v1/outcomes/summary?instrument=PCL-5").status_code == 403


def test_outsider_sees_only_their_own_clinic(cohort, outsider):
    items = _api(outsider).get("/api/v1/outcomes/clients?instrument=PCL-5").json()["items"]
    assert len(items) == 1 and items[0]["baseline"] == 50 and items[0]["endpoint"] is None


def test_refusals_name_the_field(clinics, lead):
    api = _api(lead)
    unknown = api.get("/api/v1/outcomes/clients?instrument=NOPE")
    assert unknown.status_code == 422 and unknown.json()["item"] == "instrument"
    bad = api.get("/api/v1/outcomes/summary?instrument=PCL-5&group_by=shoe_size")
    assert bad.status_code == 422 and "group_by" in str(bad.json())
    assert api.get("/api/v1/outcomes/summary").status_code == 422
    assert HttpClient().get("/api/v1/outcomes/summary?instrument=PCL-5").status_code == 401
