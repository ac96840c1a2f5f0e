"""The banner on staff pages that points a medical lead to the Clinical review page."""

from __future__ import annotations

import threading
from typing import Any

from django.db.models import CharField, Count, F, Max, Model, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Cast, Coalesce, Concat
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import ngettext

from holdspace.core.extensions import Banner, BannerRow, banner_query
from holdspace.people.models import Clinic
from holdspace.screening.models import RuleOverride, SettingOverride
from holdspace.sessions.models import SessionSettings

from . import policies, selectors
from .models import ReviewDecision

# The unconfirmed count is worked out in Python from the data files and three tables (several
# queries). It changes only when one of those rows does, so the banner's part of the one banner
# query asks for a fingerprint of them, and each process keeps the count per clinic until the
# fingerprint changes. The overrides and decisions are only ever added (never edited or
# deleted): their count and last id say whether anything changed. The session settings row is
# edited in place, always through settings_confirm, which stamps confirmed_at.
_counted: dict[int, tuple[str, int]] = {}
_lock = threading.Lock()


def _added(model: type[Model]) -> Any:
    rows = model._default_manager.filter(clinic_id=OuterRef("pk")).order_by().values("clinic_id")
    mark = Concat(
        Cast(Count("pk"), CharField()),
        Value("."),
        Cast(Max("pk"), CharField()),
        output_field=CharField(),
    )
    return Coalesce(Subquery(rows.annotate(mark=mark).values("mark")), Value("0"))


def _settings_mark() -> Any:
    rows = SessionSettings.objects.filter(clinic_id=OuterRef("pk")).annotate(
        mark=Concat(
            Cast("pk", CharField()),
            Value("@"),
            Coalesce(Cast("confirmed_at", CharField()), Value("-")),
            output_field=CharField(),
        )
    )
    return Coalesce(Subquery(rows.values("mark")), Value("none"))


def review_rows(request: HttpRequest) -> QuerySet[Any] | None:
    membership = getattr(request, "membership", None)
    if not policies.can_review(membership):
        return None
    assert membership is not None  # noqa: S101  (checked by the policy)
    fingerprint = Concat(
        _added(RuleOverride),
        Value("|"),
        _added(SettingOverride),
        Value("|"),
        _added(ReviewDecision),
        Value("|"),
        _settings_mark(),
        output_field=CharField(),
    )
    return banner_query(
        Clinic.objects.filter(pk=membership.clinic_id),
        level="watch",
        label=fingerprint,
        ref=F("pk"),
    )


def review_banners(request: HttpRequest, rows: list[BannerRow]) -> list[Banner]:
    membership = getattr(request, "membership", None)
    if membership is None or not rows:
        return []
    fingerprint = rows[0].label
    with _lock:
        known = _counted.get(membership.clinic_id)
    if known is not None and known[0] == fingerprint:
        count = known[1]
    else:
        count = selectors.unconfirmed_count(membership.clinic_id)
        with _lock:
            _counted[membership.clinic_id] = (fingerprint, count)
    if not count:
        return []
    text = ngettext(
        "%(count)d clinical value of this clinic is unconfirmed: review it",
        "%(count)d clinical values of this clinic are unconfirmed: review them",
        count,
    ) % {"count": count}
    return [Banner(level="watch", text=text, url=reverse("review:home"))]
