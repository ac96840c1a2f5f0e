"""Issue 12: the clinic admin filters the audit log by dates and exports it as CSV (scoped to
the clinic, bounded, audited, with no clinical content)."""

from __future__ import annotations

import csv
import datetime as dt
import io

from django.urls import reverse
from django.utils import timezone

from holdspace.audit.models import AuditEvent
from holdspace.audit.services import audit_record

from ..conftest import signed_in


def test_the_audit_log_filters_by_dates(clinics, clinic_admin):
    audit_record(action="test.north", clinic_id=clinics.north.pk, actor_label="someone@north")
    browser = signed_in(clinic_admin)
    today = timezone.localdate()
    url = reverse("audit:audit_log")
    assert "test.north" in browser.get(url, {"since": today.isoformat()}).content.decode()
    tomorrow = (today + dt.timedelta(days=1)).isoformat()
    assert "test.north" not in browser.get(url, {"since": tomorrow}).content.decode()
    yesterday = (today - dt.timedelta(days=1)).isoformat()
    assert "test.north" not in browser.get(url, {"until": yesterday}).content.decode()
    backwards = browser.get(url, {"since": today.isoformat(), "until": yesterday})
    assert backwards.status_code == 422
    assert "The end date is before the start date." in backwards.content.decode()
    assert "test.north" not in backwards.content.decode()


def test_the_export_is_the_clinic_s_own_rows_and_is_audited(
    clinics, clinic_admin, outsider, therapist
):
    audit_record(action="test.north", clinic_id=clinics.north.pk, actor_label="=cmd|north")
    audit_record(action="test.south", clinic_id=clinics.south.pk, actor_label="someone@south")
    response = signed_in(clinic_admin).get(
        reverse("audit:audit_export"), {"since": timezone.localdate().isoformat()}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["id", "seq", "time", "who", "action", "client", "fields", "channel"]
    actions = [row[4] for row in rows[1:]]
    assert "test.north" in actions and "test.south" not in actions
    assert "'=cmd|north" in [row[3] for row in rows[1:]], "no formula reaches a spreadsheet"
    export = AuditEvent.objects.filter(action="audit.export").order_by("-id").first()
    assert export is not None and export.clinic_id == clinics.north.pk
    assert export.fields == ["since"]
    refused = signed_in(clinic_admin).get(reverse("audit:audit_export"), {"since": "not a date"})
    assert refused.status_code == 422 and b"since" in refused.content
    assert signed_in(therapist).get(reverse("audit:audit_export")).status_code == 403
