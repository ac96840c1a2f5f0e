from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from holdspace.people import policies
from holdspace.people.actors import Actor

from .selectors import audit_events_for
from .services import audit_record


class AuditFilterForm(forms.Form):
    action = forms.CharField(label=_("Action"), required=False, max_length=64)
    client_code = forms.CharField(label=_("Client code"), required=False, max_length=12)
    actor = forms.CharField(label=_("Who"), required=False, max_length=254)


def audit_log(request: HttpRequest) -> HttpResponse:
    membership = getattr(request, "membership", None)
    if not policies.can_read_audit(membership):
        raise PermissionDenied
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    events = audit_events_for(membership, **filters)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    actor = Actor.from_request(request)
    audit_record(action="audit.view", actor=actor.user, clinic_id=actor.clinic_id, ip=actor.ip)
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "audit/audit_log.html",
        {"form": form, "page": page, "filter_query": params.urlencode()},
    )
