"""The banner on staff pages that points a medical lead to the Clinical review page."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import ngettext

from holdspace.core.extensions import Banner

from . import policies, selectors


def review_banners(request: HttpRequest) -> list[Banner]:
    membership = getattr(request, "membership", None)
    if not policies.can_review(membership):
        return []
    assert membership is not None  # noqa: S101  (checked by the policy)
    count = selectors.unconfirmed_count(membership.clinic_id)
    if not count:
        return []
    text = ngettext(
        "%(count)d clinical value of this clinic is unconfirmed: review it",
        "%(count)d clinical values of this clinic are unconfirmed: review them",
        count,
    ) % {"count": count}
    return [Banner(level="watch", text=text, url=reverse("review:home"))]
