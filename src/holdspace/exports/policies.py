"""Who may export what. Everything not allowed here is refused.

Researchers export pseudonymous or de-identified data only. Identified exports (names, birth
dates, contact, free text) are for the roles that may read identity clinic-wide, asked for on
purpose, and audited.
"""

from __future__ import annotations

from holdspace.people.models import Membership, Role

from .models import ExportJob, ExportProfile

EXPORT_ROLES = frozenset({Role.MEDICAL_LEAD, Role.RESEARCHER})
IDENTIFIED_EXPORT_ROLES = frozenset({Role.MEDICAL_LEAD})


def can_export(membership: Membership | None) -> bool:
    return membership is not None and membership.role in EXPORT_ROLES


def can_export_profile(membership: Membership | None, profile: str) -> bool:
    if membership is None or not can_export(membership):
        return False
    if profile == ExportProfile.IDENTIFIED:
        return membership.role in IDENTIFIED_EXPORT_ROLES
    return profile in (ExportProfile.PSEUDONYMOUS, ExportProfile.DEIDENTIFIED)


def can_see_job(membership: Membership | None, job: ExportJob) -> bool:
    """An export's status and files belong to the person who started it."""
    return (
        can_export(membership)
        and membership is not None
        and job.clinic_id == membership.clinic_id
        and job.requested_by_id == membership.pk
    )


def can_manage_export_settings(membership: Membership | None) -> bool:
    """How long files are kept, and re-keying the de-identification secret."""
    return membership is not None and membership.role == Role.MEDICAL_LEAD
