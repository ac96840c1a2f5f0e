"""The Exports page (researchers and medical leads): start an export, watch it run, download
its files until they expire. The work runs in the background; the list polls while any runs."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from holdspace.core.http import StaffRequest
from holdspace.people.actors import Actor

from . import policies, selectors, services
from .forms import ExportForm, ExportSettingsForm
from .models import ExportStatus

JOBS_SHOWN = 50


def _membership(request: StaffRequest):  # type: ignore[no-untyped-def]
    membership = request.membership
    if not policies.can_export(membership):
        raise PermissionDenied
    return membership


def _context(
    request: StaffRequest,
    form: ExportForm | None = None,
    settings_form: ExportSettingsForm | None = None,
) -> dict[str, object]:
    membership = _membership(request)
    jobs = list(selectors.jobs_for_user(membership)[:JOBS_SHOWN])
    current = services.export_settings(membership.clinic_id)
    return {
        "settings_form": settings_form
        or ExportSettingsForm(initial={"files_expire_hours": current.files_expire_hours}),
        "export_settings": current,
        "can_manage_settings": policies.can_manage_export_settings(membership),
        "form": form
        or ExportForm(membership=membership, groups=selectors.group_ids_for(membership)),
        "jobs": jobs,
        "running": any(j.status in (ExportStatus.QUEUED, ExportStatus.RUNNING) for j in jobs),
    }


@require_GET
def home(request: StaffRequest) -> HttpResponse:
    return render(request, "exports/home.html", _context(request))


@require_GET
def jobs(request: StaffRequest) -> HttpResponse:
    """The list alone, for htmx to refresh while an export runs."""
    return render(request, "exports/_jobs.html", _context(request))


@require_POST
def start(request: StaffRequest) -> HttpResponse:
    membership = _membership(request)
    form = ExportForm(
        request.POST, membership=membership, groups=selectors.group_ids_for(membership)
    )
    if form.is_valid():
        try:
            services.export_start(
                by=Actor.from_request(request),
                format=form.cleaned_data["format"],
                level="group" if form.cleaned_data["group"] else "system",
                group=form.cleaned_data["group"],
                profile=form.cleaned_data["profile"],
                request_url=request.build_absolute_uri(),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Export started."))
            return redirect("exports:home")
    return render(request, "exports/home.html", _context(request, form), status=422)


@require_POST
def cancel(request: StaffRequest, pk: int) -> HttpResponse:
    job = selectors.job_for_user(request.membership, pk)
    services.export_cancel(by=Actor.from_request(request), job=job)
    messages.success(request, _("Export cancelled; its files are deleted."))
    return redirect("exports:home")


@require_GET
def download(request: StaffRequest, pk: int, name: str) -> FileResponse:
    job = selectors.job_for_user(request.membership, pk)
    try:
        path = services.export_file_read(by=Actor.from_request(request), job=job, name=name)
    except FileNotFoundError as exc:
        raise Http404 from exc
    return FileResponse(path.open("rb"), as_attachment=True, filename=f"export-{job.pk}-{name}")


@require_POST
def settings_update(request: StaffRequest) -> HttpResponse:
    if not policies.can_manage_export_settings(_membership(request)):
        raise PermissionDenied
    form = ExportSettingsForm(request.POST)
    if form.is_valid():
        services.export_settings_update(
            by=Actor.from_request(request),
            files_expire_hours=form.cleaned_data["files_expire_hours"],
        )
        messages.success(request, _("Export settings saved."))
        return redirect("exports:home")
    return render(request, "exports/home.html", _context(request, settings_form=form), status=422)


@require_POST
def rekey(request: StaffRequest) -> HttpResponse:
    if not policies.can_manage_export_settings(_membership(request)):
        raise PermissionDenied
    services.export_rekey(by=Actor.from_request(request))
    messages.success(
        request, _("New de-identification key: every date shift and research id changes.")
    )
    return redirect("exports:home")
