"""The clinic admin's audit log page. It lives in `people` (audit sits below people and does
not know roles); the rows come from `audit.selectors` through `people.selectors`."""

from __future__ import annotations

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from .actors import Actor
from .auditing import audit_read
from .selectors import audit_events_for


class AuditFilterForm(forms.Form):
    action = forms.CharField(label=_("Action"), required=False, max_length=64)
    client_code = forms.CharField(label=_("Client code"), required=False, max_length=12)
    actor = forms.CharField(label=_("Who"), required=False, max_length=254)


def audit_log(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    events = audit_events_for(getattr(request, "membership", None), **filters)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    audit_read(Actor.from_request(request), "audit.view")
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "audit/audit_log.html",
        {"form": form, "page": page, "filter_query": params.urlencode()},
    )
