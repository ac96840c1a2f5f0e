"""The page behind an invitation link: choose a password, then enrol the second factor."""

from __future__ import annotations

from allauth.account.internal.flows.login import record_authentication
from allauth.account.utils import perform_login
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import SetPasswordForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from holdspace.core.forms import posted, status_of
from holdspace.core.http import client_ip

from .invitations import invitation_accept_password, invitation_for, invitation_user


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    user = invitation_user(token)
    invitation = invitation_for(user) if user is not None else None
    if user is None or invitation is None:
        return render(request, "people/invitation_invalid.html", status=400)
    form = SetPasswordForm(user, posted(request))
    if request.method == "POST" and form.is_valid():
        invitation_accept_password(
            form=form, user=user, invitation=invitation, ip=client_ip(request)
        )
        # Signed in with the password just chosen, so enrolling needs no second password prompt.
        # The password was typed on this very page, so it counts as a fresh authentication.
        record_authentication(
            request, user, method="password", email=user.email, reauthenticated=True
        )
        return perform_login(
            request, user, redirect_url=reverse("mfa_activate_totp"), email=user.email
        )
    return render(
        request,
        "people/invitation_accept.html",
        {"form": form, "invitation": invitation, "email": user.email},
        status=status_of(form),
    )
