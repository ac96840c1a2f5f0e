"""Confirm every value of a clinic's Clinical review, as its medical lead would one by one."""

from __future__ import annotations

from holdspace.people.actors import Actor
from holdspace.people.models import Membership
from holdspace.review import selectors, services


def confirm_everything(lead: Membership) -> int:
    by = Actor.command_line(lead)
    items = [i for i in selectors.review_items(lead.clinic_id) if not i.confirmed]
    for item in items:
        services.review_confirm(by=by, key=item.key)
    return len(items)
