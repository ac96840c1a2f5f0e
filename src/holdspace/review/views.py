"""The Clinical review page: a clinic's medical lead confirms or changes each value."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from holdspace.core.http import StaffRequest
from holdspace.people.actors import Actor

from . import selectors, services
from .forms import ChangeForm, ConfirmForm


def _context(request: StaffRequest, error_key: str = "", errors: Any = None) -> dict[str, Any]:
    groups = selectors.review_for_user(request.membership)
    items = [item for _area, _title, listed in groups for item in listed]
    history = selectors.review_history_for_user(request.membership)
    return {
        "groups": groups,
        "total": len(items),
        "open": sum(1 for item in items if not item.confirmed),
        "history": history,
        "error_key": error_key,
        "errors": errors or {},
    }


def review_page(request: StaffRequest) -> HttpResponse:
    return render(request, "review/review.html", _context(request))


def _fail(request: StaffRequest, key: str, errors: Any) -> HttpResponse:
    return render(request, "review/review.html", _context(request, key, errors), status=422)


@require_POST
def review_confirm(request: StaffRequest) -> HttpResponse:
    selectors.review_for_user(request.membership)  # 403 before anything else
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        return _fail(request, request.POST.get("key", ""), form.errors)
    try:
        services.review_confirm(by=Actor.from_request(request), **form.cleaned_data)
    except ValidationError as error:
        return _fail(request, form.cleaned_data["key"], error.message_dict)
    messages.success(request, _("Confirmed for this clinic."))
    return redirect("review:home")


@require_POST
def review_change(request: StaffRequest) -> HttpResponse:
    selectors.review_for_user(request.membership)
    form = ChangeForm(request.POST)
    if not form.is_valid():
        return _fail(request, request.POST.get("key", ""), form.errors)
    try:
        services.review_change(by=Actor.from_request(request), **form.cleaned_data)
    except ValidationError as error:
        return _fail(request, form.cleaned_data["key"], error.message_dict)
    messages.success(request, _("Changed and confirmed for this clinic."))
    return redirect("review:home")
