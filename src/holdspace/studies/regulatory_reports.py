"""Regulators' periodic counts for a clinic (steering notes, clinical/outcomes.md F1).

TGA Authorised Prescriber six-monthly report: for each period (January-June, due 31 July;
July-December, due 31 January), the number of new patients and the total number of patients
treated, by product; 0 when none. Here a patient "treated" in the period had a dose given in a
medicine session in it, and is "new" when their first dose ever falls in it. The product is the
dose's substance as recorded.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext as _

from holdspace.people.models import Membership, Role
from holdspace.sessions.models import Dose

REPORT_ROLES = frozenset({Role.MEDICAL_LEAD})


def half_year(year: int, half: int) -> tuple[dt.date, dt.date, dt.date]:
    """(first day, last day, due date) of a six-monthly period."""
    if half == 1:
        return dt.date(year, 1, 1), dt.date(year, 6, 30), dt.date(year, 7, 31)
    return dt.date(year, 7, 1), dt.date(year, 12, 31), dt.date(year + 1, 1, 31)


def tga_six_monthly(membership: Membership | None, *, year: int, half: int) -> dict[str, Any]:
    if membership is None or membership.role not in REPORT_ROLES:
        raise PermissionDenied(_("The authorised prescriber's report is for medical leads."))
    start, end, due = half_year(year, half)
    tz = timezone.get_current_timezone()
    since = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    doses = Dose.objects.filter(session__clinic_id=membership.clinic_id, given_at__isnull=False)
    first = dict(
        doses.values("session__client").annotate(first=Min("given_at"))
        .values_list("session__client", "first")
    )  # fmt: skip
    treated: dict[str, set[int]] = defaultdict(set)
    for client_id, substance in doses.filter(given_at__gte=since, given_at__lt=until).values_list(
        "session__client", "substance"
    ):
        treated[substance or _("not recorded")].add(client_id)
    products = [
        {
            "product": product,
            "total_patients": len(ids),
            "new_patients": sum(1 for c in ids if since <= first[c] < until),
        }
        for product, ids in sorted(treated.items())
    ]
    everyone = set().union(*treated.values()) if treated else set()
    return {
        "period_start": start,
        "period_end": end,
        "due": due,
        "total_patients": len(everyone),
        "new_patients": sum(1 for c in everyone if since <= first[c] < until),
        "products": products,
    }
