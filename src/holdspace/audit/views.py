from __future__ import annotations

import csv
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from holdspace.people import policies
from holdspace.people.actors import Actor

from .models import AuditEvent
from .selectors import audit_events_for
from .services import audit_record

# An export holds at most this many rows (newest first); narrow the dates for more.
EXPORT_LIMIT = 50_000


class AuditFilterForm(forms.Form):
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    action = forms.CharField(label=_("Action"), required=False, max_length=64)
    client_code = forms.CharField(label=_("Client code"), required=False, max_length=12)
    actor = forms.CharField(label=_("Who"), required=False, max_length=254)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", _("The end date is before the start date."))
        return data


def _reader(request: HttpRequest) -> Any:
    membership = getattr(request, "membership", None)
    if not policies.can_read_audit(membership):
        raise PermissionDenied
    return membership


def audit_log(request: HttpRequest) -> HttpResponse:
    membership = _reader(request)
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    # Recorded before the page is counted, so the page does not lose its oldest row to it.
    actor = Actor.from_request(request)
    audit_record(action="audit.view", actor=actor.user, clinic_id=actor.clinic_id, ip=actor.ip)
    # A refused filter shows no rows rather than every row under a filter that looks applied.
    events = (
        audit_events_for(membership, **filters) if not form.errors else AuditEvent.objects.none()
    )
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "audit/audit_log.html",
        {
            "form": form,
            "page": page,
            "filter_query": params.urlencode(),
            "export_limit": EXPORT_LIMIT,
        },
        status=422 if form.errors else 200,
    )


def audit_export(request: HttpRequest) -> HttpResponse:
    """The filtered rows as CSV: who, when, what action, which client code and which fields,
    never any value (the audit holds no clinical content). The export is itself audited."""
    membership = _reader(request)
    form = AuditFilterForm(request.GET or None)
    if request.GET and not form.is_valid():
        return HttpResponse(
            "; ".join(
                f"{name}: {' '.join(str(e) for e in errors)}"
                for name, errors in form.errors.items()
            ),
            status=422,
            content_type="text/plain; charset=utf-8",
        )
    filters = form.cleaned_data if form.is_bound else {}
    events = audit_events_for(membership, **filters)[:EXPORT_LIMIT]
    actor = Actor.from_request(request)
    audit_record(
        action="audit.export",
        actor=actor.user,
        clinic_id=actor.clinic_id,
        ip=actor.ip,
        fields=[name for name, value in filters.items() if value],
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    writer = csv.writer(response)
    writer.writerow(["id", "seq", "time", "who", "action", "client", "fields", "channel"])
    for event in events.iterator(chunk_size=2000):
        writer.writerow(
            [
                event.pk,
                event.seq or "",
                timezone.localtime(event.at).isoformat(timespec="seconds"),
                _safe(event.actor_label),
                event.action,
                event.client_code,
                " ".join(event.fields),
                event.channel,
            ]
        )
    return response


def _safe(text: str) -> str:
    """A spreadsheet must not read a name as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
