"""The Exports page: who may open it, the clinic's file expiry (medical leads), re-keying."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client as HttpClient

from holdspace.audit.models import AuditEvent
from holdspace.exports.models import ExportSettings
from holdspace.exports.services import export_settings, export_start
from holdspace.people.actors import Actor

from ..conftest import sign_in

pytestmark = pytest.mark.django_db


def test_roles_and_the_clinics_expiry_setting(clinics, lead, researcher, therapist) -> None:  # type: ignore[no-untyped-def]
    assert sign_in(HttpClient(), therapist.user).get("/exports/").status_code == 403
    as_researcher = sign_in(HttpClient(), researcher.user)
    page = as_researcher.get("/exports/")
    assert page.status_code == 200
    assert b'value="identified"' not in page.content and b"Export settings" not in page.content
    assert as_researcher.post("/exports/settings/", {"files_expire_hours": 2}).status_code == 403
    refused = as_researcher.post(
        "/exports/start/", {"format": "csv", "group": "", "profile": "identified"}
    )
    assert refused.status_code == 422  # the choice is not offered: refused beside the field

    as_lead = sign_in(HttpClient(), lead.user)
    assert b'value="identified"' in as_lead.get("/exports/").content
    bad = as_lead.post("/exports/settings/", {"files_expire_hours": 0})
    assert bad.status_code == 422 and b"greater than or equal to 1" in bad.content
    assert not ExportSettings.objects.filter(files_expire_hours=0).exists()
    assert as_lead.post("/exports/settings/", {"files_expire_hours": 3}).status_code == 302
    assert export_settings(clinics.north).files_expire_hours == 3
    job = export_start(by=Actor.command_line(lead), format="csv")
    job.refresh_from_db()
    assert job.expires_at - job.finished_at == dt.timedelta(hours=3)  # type: ignore[operator]

    secret = export_settings(clinics.north).deid_secret
    assert as_lead.post("/exports/settings/rekey/").status_code == 302
    assert export_settings(clinics.north).deid_secret != secret
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert "export.settings" in actions and actions[-1] == "export.rekey"
