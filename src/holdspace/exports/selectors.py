"""Reads for exports: which clients an export covers, and the export jobs a member may see.

A Group id names a set of clients: `clinic-<slug>` is the caller's clinic. Other apps add
their own kinds of group with `register_group` (the studies app: `study-<id>`, a study's
cohort), so this module never imports them.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import QuerySet
from django.http import Http404

from holdspace.people.models import Client, Membership
from holdspace.people.selectors import clients_visible_to

from . import policies
from .models import ExportJob

# prefix -> resolver(membership, rest of the id) -> clients, or None when not found/visible.
GroupResolver = Callable[[Membership, str], QuerySet[Client] | None]
_GROUPS: dict[str, GroupResolver] = {}


def register_group(prefix: str, resolver: GroupResolver) -> None:
    """Hook for other apps: `register_group("study", study_cohort_clients)` makes
    /fhir/Group/study-<id>/$export and `holdspace export --cohort study-<id>` work."""
    _GROUPS[prefix] = resolver


def _clinic_group(membership: Membership, slug: str) -> QuerySet[Client] | None:
    if slug != membership.clinic.slug:
        return None
    return clients_visible_to(membership)


register_group("clinic", _clinic_group)


def export_clients(membership: Membership | None, group: str = "") -> QuerySet[Client]:
    """The clients an export of `membership` covers: the whole clinic (what the role may see),
    or one group. A group outside the caller's scope is 404, as if it did not exist."""
    if membership is None or not policies.can_export(membership):
        raise Http404
    if not group:
        return clients_visible_to(membership)
    prefix, _, rest = group.partition("-")
    resolver = _GROUPS.get(prefix)
    clients = resolver(membership, rest) if resolver and rest else None
    if clients is None:
        raise Http404
    # Never wider than what the member may see, whatever the resolver answered.
    return clients.filter(pk__in=clients_visible_to(membership).values("pk"))


def group_ids_for(membership: Membership) -> list[str]:
    return [f"clinic-{membership.clinic.slug}"]


def jobs_for_user(membership: Membership | None) -> QuerySet[ExportJob]:
    if membership is None or not policies.can_export(membership):
        return ExportJob.objects.none()
    return ExportJob.objects.filter(clinic_id=membership.clinic_id, requested_by=membership)


def job_for_user(membership: Membership | None, pk: int) -> ExportJob:
    job = jobs_for_user(membership).filter(pk=pk).first()
    if job is None or not policies.can_see_job(membership, job):
        raise Http404
    return job
