"""The audit log is append-only and hash-chained; `holdspace audit verify` finds tampering."""

from __future__ import annotations

import importlib

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from holdspace.audit.models import AuditEvent
from holdspace.audit.services import audit_chain_seal, audit_chain_verify, audit_record

from ..conftest import sign_in, signed_in
from ..factories import UserFactory

append_only = importlib.import_module("holdspace.audit.migrations.0002_append_only_triggers")


def _events(n: int) -> list[AuditEvent]:
    """n appended rows, then sealed into the chain, as the sealer does."""
    appended = [audit_record(action="test.event", actor_label=f"tester{i}") for i in range(n)]
    audit_chain_seal()
    return [AuditEvent.objects.get(pk=event.pk) for event in appended]


def _three_events() -> list[AuditEvent]:
    return _events(3)


def _tamper(sql: str, params: list[object]) -> None:
    """What an intruder with database access does: lift the guard, then change rows."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
            cursor.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")
        else:
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER USER")


@pytest.mark.django_db
def test_each_row_links_to_the_one_before():
    first, second, third = _three_events()
    assert second.prev_hash == first.hash and third.prev_hash == second.hash
    assert audit_chain_verify().ok


@pytest.mark.django_db
def test_sealing_many_rows_takes_a_statement_per_hundred_rows_not_one_a_row():
    appended = [audit_record(action="test.event", actor_label=f"tester{i}") for i in range(250)]
    with CaptureQueriesContext(connection) as seen:
        assert audit_chain_seal() == 250
    updates = [q for q in seen.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 3 + 1  # 100 + 100 + 50 rows, then the head
    statements = [q for q in seen.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) <= 12  # one a row before: 255
    assert audit_chain_verify().ok and audit_chain_verify().checked == 250
    last = AuditEvent.objects.get(pk=appended[-1].pk)
    assert last.seq == 250 and last.hash == last.compute_hash()


@pytest.mark.django_db
def test_verify_command_reports_an_intact_chain(capsys):
    _three_events()
    call_command("audit", "verify")
    assert "3 rows verified" in capsys.readouterr().out


@pytest.mark.django_db
@pytest.mark.requirement("REQ-AUD-001")
def test_an_altered_row_is_found_and_the_command_fails():
    _first, second, _third = _three_events()
    _tamper(
        "UPDATE audit_auditevent SET actor_label = %s WHERE seq = %s", ["someone else", second.seq]
    )
    report = audit_chain_verify()
    assert report.broken_at == second.seq and "altered" in report.reason
    with pytest.raises(CommandError, match=f"broken at row #{second.seq}"):
        call_command("audit", "verify")


@pytest.mark.django_db
@pytest.mark.requirement("REQ-AUD-001")
def test_a_removed_row_is_found():
    _first, second, _third = _three_events()
    _tamper("DELETE FROM audit_auditevent WHERE seq = %s", [second.seq])
    report = audit_chain_verify()
    assert report.broken_at == second.seq and "missing" in report.reason


@pytest.mark.django_db
@pytest.mark.requirement("REQ-AUD-001")
def test_removing_the_newest_rows_is_found():
    _first, _second, third = _three_events()
    _tamper("DELETE FROM audit_auditevent WHERE seq = %s", [third.seq])
    report = audit_chain_verify()
    assert report.broken_at == third.seq


@pytest.mark.django_db
@pytest.mark.requirement("REQ-AUD-002")
def test_the_application_cannot_change_or_delete_a_row():
    event = audit_record(action="test.event")
    event.action = "changed"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(action="changed")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()


@pytest.mark.django_db
@pytest.mark.requirement("REQ-AUD-002")
def test_the_database_refuses_an_update_even_in_raw_sql():
    event = audit_record(action="test.event")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET action = 'x' WHERE id = %s", [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).action == "test.event"


@pytest.mark.django_db
@pytest.mark.requirement("REQ-AUD-002")
def test_the_database_refuses_a_delete_even_in_raw_sql():
    if connection.vendor == "sqlite":
        # conftest lifted this trigger so the test runner can empty tables between browser
        # tests; put the migration's own trigger back for this test (rolled back after it).
        with connection.cursor() as cursor:
            cursor.execute(append_only.SQLITE_UP[1])
    event = audit_record(action="test.event")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_clinic_admin_reads_only_their_own_clinics_audit_log(clinics, clinic_admin, outsider):
    signed_in(outsider).get(reverse("people:client_list"))  # a south event
    signed_in(clinic_admin).get(reverse("clinic:staff_list"))
    audit_record(action="test.north", clinic_id=clinics.north.pk, actor_label="someone@north")
    page = signed_in(clinic_admin).get(reverse("audit:audit_log")).content.decode()
    assert "test.north" in page
    assert outsider.user.email not in page


def test_audit_log_filters_by_client(clinics, clinic_admin, therapist):
    signed_in(therapist).get(reverse("people:client_detail", args=[clinics.client.code]))
    browser = signed_in(clinic_admin)
    page = browser.get(
        reverse("audit:audit_log"), {"client_code": clinics.client.code}
    ).content.decode()
    assert "client.view" in page
    other = browser.get(reverse("audit:audit_log"), {"client_code": "HS-NONE00"}).content.decode()
    assert "client.view" not in other


def test_only_clinic_admins_read_the_audit_log(clinics, therapist, lead):
    for member in (therapist, lead):
        assert signed_in(member).get(reverse("audit:audit_log")).status_code == 403


def test_the_platform_admin_cannot_edit_or_delete_audit_rows(clinics):
    superuser = UserFactory(email="root@example.org", is_staff=True, is_superuser=True)
    admin_client = HttpClient()
    sign_in(admin_client, superuser)
    event = audit_record(action="test.event")
    change = admin_client.get(reverse("admin:audit_auditevent_change", args=[event.pk]))
    assert change.status_code == 200  # read-only view
    assert b'name="_save"' not in change.content
    delete = admin_client.post(
        reverse("admin:audit_auditevent_delete", args=[event.pk]), {"post": "yes"}
    )
    assert delete.status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.django_db
def test_the_periodic_seal_runs_at_commit_outside_a_request(
    settings, django_capture_on_commit_callbacks
):
    settings.AUDIT_SEAL_EVERY = 1
    with django_capture_on_commit_callbacks(execute=True):
        event = audit_record(action="test.event", actor_label="tester")
    assert AuditEvent.objects.get(pk=event.pk).sealed


@pytest.mark.django_db(transaction=True)
def test_in_a_request_the_periodic_seal_waits_for_the_response_to_go_out(settings):
    """One request in AUDIT_SEAL_EVERY would otherwise wait for the sealer before its page is
    sent: the seal runs when the server closes the response (request_finished). Committed for
    real (no test transaction), as a request's rows are."""
    from django.core.signals import request_finished, request_started

    settings.AUDIT_SEAL_EVERY = 1
    request_started.send(sender=HttpClient)
    try:
        event = audit_record(action="test.event", actor_label="tester")  # commits at once
        assert not AuditEvent.objects.get(pk=event.pk).sealed  # the page is still being made
    finally:
        request_finished.send(sender=HttpClient)
    assert AuditEvent.objects.get(pk=event.pk).sealed
    # The next request starts with nothing waiting, and nothing is left unsealed.
    request_started.send(sender=HttpClient)
    request_finished.send(sender=HttpClient)
    assert not AuditEvent.objects.filter(hash="").exists()
