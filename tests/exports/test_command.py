"""`holdspace export`: an operator writes a clinic's export into a folder, with a progress bar,
acting as (and audited as) a member of that clinic; roles still apply."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from holdspace.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_operator_exports_a_clinic_into_a_folder(record, researcher, therapist, tmp_path) -> None:  # type: ignore[no-untyped-def]
    call_command(
        "export",
        "fhir",
        str(tmp_path / "fhir"),
        "--clinic",
        "north",
        "--type",
        "Patient,Observation",
        "--validate",
    )
    assert (tmp_path / "fhir" / "Patient.ndjson").read_text().count("\n") == 3
    call_command(
        "export", "parquet", str(tmp_path / "pq"), "--as", researcher.user.email, "--deidentify"
    )
    assert (tmp_path / "pq" / "vitals.parquet").exists()
    assert "Safe Harbor" in (tmp_path / "pq" / "README.txt").read_text()
    starts = AuditEvent.objects.filter(action="export.start").order_by("id")
    assert [e.channel for e in starts] == ["cli", "cli"]
    with pytest.raises(CommandError):
        call_command("export", "csv", str(tmp_path / "x"), "--as", therapist.user.email)
    with pytest.raises(CommandError):
        call_command(
            "export", "csv", str(tmp_path / "x"), "--clinic", "south", "--as", researcher.user.email
        )
