"""The Today page's people panels: the cohort by phase (researcher), the clinic (admin)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count
from django.http import HttpRequest

from holdspace.core.compiled import CompiledQueries

from .models import Client, Membership, Phase, Role


def cohort_panel(request: HttpRequest, membership: Membership) -> dict[str, Any] | None:
    """Counts only: how many clients are in each phase (no codes, names or clinical text)."""
    if membership.role not in (Role.RESEARCHER, Role.COORDINATOR, Role.MEDICAL_LEAD):
        return None
    # The same SQL for every visit from the clinic: compiled once, run each time.
    compiled = _phase_counts.get(
        membership.clinic_id,
        lambda: (
            Client.objects.filter(clinic_id=membership.clinic_id)
            .values_list("phase")
            .annotate(n=Count("pk"))
            .values_list("phase", "n")
        ),
    )
    counts: dict[str, int] = dict(compiled.rows())
    rows = [(value, label, counts.get(value, 0)) for value, label in Phase.choices]
    return {"rows": rows, "total": sum(counts.values())}


_phase_counts = CompiledQueries()


def admin_panel(request: HttpRequest, membership: Membership) -> dict[str, Any] | None:
    if membership.role != Role.CLINIC_ADMIN:
        return None
    staff = Membership.objects.filter(clinic_id=membership.clinic_id)
    return {
        "active": staff.filter(is_active=True).count(),
        "inactive": staff.filter(is_active=False).count(),
        # Added but never signed in: the invitation is still open (or has expired).
        "invited": list(
            staff.filter(is_active=True, user__last_login__isnull=True)
            .select_related("user")
            .order_by("user__email")[:50]
        ),
    }
