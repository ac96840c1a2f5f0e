"""Exports run as background tasks (django-tasks): the request that starts one returns at once."""

from __future__ import annotations

from django_tasks import task

from .services import export_run


@task()
def export_run_task(job_id: int) -> str:
    return str(export_run(job_id).status)
