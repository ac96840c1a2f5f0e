from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from .extensions import today_panels


def home(request: HttpRequest) -> HttpResponse:
    """Each role starts where its work is: staff on Today, clients on their portal."""
    membership = request.membership  # type: ignore[attr-defined]
    if membership is not None:
        return redirect("today")
    if hasattr(request.user, "portal_account"):
        return redirect("portal:home")  # a client, signed in to their portal
    return render(request, "core/no_clinic.html", status=403)


@require_GET
def today(request: HttpRequest) -> HttpResponse:
    """What today holds for this member, one panel per part of the arc that has something."""
    membership = request.membership  # type: ignore[attr-defined]
    if membership is None:
        return render(request, "core/no_clinic.html", status=403)
    return render(
        request,
        "core/today.html",
        {"panels": today_panels(request, membership), "today": timezone.localdate()},
    )


@login_not_required
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and monitors: is the app up and can it reach its database?"""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok", "vendor": connection.vendor})


@login_not_required
@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico on their own; the icon is a static file."""
    return redirect(static("holdspace/favicon.svg"), permanent=True)


@login_not_required
def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(
        request,
        "core/error.html",
        {
            "title": _("This form has expired"),
            "message": _(
                "For your safety the form could not be sent. Go back, reload the page and "
                "send it again. If you were away for a while, you may need to sign in again."
            ),
        },
        status=403,
    )
