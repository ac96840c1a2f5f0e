"""The clinic admin's audit log page. It lives in `people` (audit sits below people and does
not know roles); the rows come from `audit.selectors` through `people.selectors`."""

from __future__ import annotations

import csv
from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from holdspace.audit.models import AuditEvent
from holdspace.core.forms import status_of

from .actors import Actor
from .auditing import audit_read
from .selectors import audit_events_for

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


def audit_log(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    events = audit_events_for(getattr(request, "membership", None), **filters)  # 403 first
    if form.errors:  # a refused filter shows no rows, not every row under a filter that looks set
        events = AuditEvent.objects.none()
    # Recorded after the policy answered; the page is counted after it, so the newest row
    # (this read) shows first rather than pushing the oldest off the page.
    audit_read(Actor.from_request(request), "audit.view")
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
        status=status_of(form),
    )


def audit_export(request: HttpRequest) -> HttpResponse:
    """The filtered rows as CSV: who, when, what action, which client code and which fields,
    never any value (the audit holds no clinical content). The export is itself audited."""
    audit_events_for(getattr(request, "membership", None))  # 403 before anything else
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
    events = audit_events_for(getattr(request, "membership", None), **filters)[:EXPORT_LIMIT]
    audit_read(
        Actor.from_request(request),
        "audit.export",
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
