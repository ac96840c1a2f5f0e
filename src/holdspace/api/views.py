"""The signed-in member's personal API tokens: create (shown once) and revoke."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from holdspace.core.forms import posted, status_of
from holdspace.core.http import StaffRequest
from holdspace.people.actors import Actor

from .selectors import api_token_for_user, api_tokens_for_user
from .services import MAX_TOKEN_DAYS, api_token_create, api_token_revoke


class TokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("What is it for?"),
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("e.g. REDCap sync")}),
    )
    days = forms.IntegerField(
        label=gettext_lazy("Expires after (days)"),
        min_value=1,
        max_value=MAX_TOKEN_DAYS,
        initial=settings.API_TOKEN_DAYS,
        required=False,  # empty: API_TOKEN_DAYS
    )


@require_http_methods(["GET", "POST"])
def token_list(request: StaffRequest) -> HttpResponse:
    form = TokenForm(posted(request))
    new_token = None
    if request.method == "POST" and form.is_valid():
        _token, new_token = api_token_create(
            by=Actor.from_request(request),
            user=request.user,
            name=form.cleaned_data["name"],
            days=form.cleaned_data["days"],
        )
        form = TokenForm()
    tokens = api_tokens_for_user(request.user)
    return render(
        request,
        "api/token_list.html",
        {"form": form, "tokens": tokens, "new_token": new_token},
        status=status_of(form),
    )


@require_POST
def token_revoke(request: StaffRequest, pk: int) -> HttpResponse:
    token = api_token_for_user(request.user, pk)
    api_token_revoke(by=Actor.from_request(request), token=token)
    messages.success(request, _("The token was revoked. Anything using it is now refused."))
    return redirect("api_tokens:token_list")
