"""An export job's directory holds what its run wrote, nothing an earlier database left."""

from __future__ import annotations

import pytest

from holdspace.exports.models import ExportStatus
from holdspace.exports.services import export_run, export_start, job_directory
from holdspace.people.actors import Actor

pytestmark = pytest.mark.django_db


def test_a_stale_directory_under_the_jobs_id_is_not_part_of_its_export(record, researcher) -> None:  # type: ignore[no-untyped-def]
    """A directory an earlier database left under the same job id (a restored backup, a
    re-created test database) is emptied before the job writes: the job holds its files only."""
    job = export_start(
        by=Actor.command_line(researcher), format="fhir", types=["Patient"], run=False
    )
    stale = job_directory(job)
    stale.mkdir(parents=True, exist_ok=True)
    (stale / "Consent.ndjson").write_text('{"resourceType": "Consent"}\n')
    job = export_run(job.pk)
    assert job.status == ExportStatus.DONE, job.errors
    assert sorted(p.name for p in job_directory(job).iterdir()) == sorted(
        str(entry["name"]) for entry in job.files
    )
