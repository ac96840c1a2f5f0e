"""Readiness for a medicine session: the preparation checklist, for the sessions feature."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _

from holdspace.courses.models import Course
from holdspace.courses.selectors import course_settings, current_course
from holdspace.people.models import Client, Membership
from holdspace.people.selectors import client_for_user

from . import policies
from .models import Preparation


@dataclass(frozen=True)
class Readiness:
    ready: bool
    missing: list[str] = field(default_factory=list)
    overridden: bool = False
    override_reason: str = ""


def preparation_for(course: Course, client: Client) -> Preparation:
    """The client's preparation record for the course (unsaved and empty if none yet)."""
    found = Preparation.objects.filter(course=course, client=client).first()
    return found or Preparation(course=course, client=client)


def checklist_missing(preparation: Preparation) -> list[str]:
    settings = course_settings(preparation.course.clinic_id)
    missing = []
    if not preparation.intentions.strip():
        missing.append(_("intentions"))
    if not preparation.music_playlist.strip():
        missing.append(_("music playlist"))
    if not preparation.eyeshades:
        missing.append(_("eyeshades"))
    if preparation.room_id is None:
        missing.append(_("room"))
    if not preparation.ride_home.strip():
        missing.append(_("who drives them home"))
    if settings.overnight_stay_required:
        if not preparation.overnight_plan.strip():
            missing.append(_("overnight plan"))
        if not preparation.overnight_attendant.strip():
            missing.append(_("overnight attendant"))
    if not preparation.supportive_touch:
        missing.append(_("supportive touch: yes or no"))
    if not preparation.agrees_to_stay:
        missing.append(_("agreement to stay until the session ends"))
    if settings.records_sessions and not preparation.recording_consent:
        missing.append(_("recording consent: yes or no"))
    return missing


def preparation_readiness(client: Client) -> Readiness:
    """Whether the client's next medicine session may start, and what is missing if not.

    A medical lead's written override makes the client ready with the missing items kept."""
    course = current_course(client)
    if course is None:
        return Readiness(False, [_("a course")])
    preparation = preparation_for(course, client)
    missing = checklist_missing(preparation)
    if missing and preparation.pk is not None:
        override = preparation.overrides.order_by("-at").first()
        if override is not None:
            return Readiness(True, missing, overridden=True, override_reason=override.reason)
    return Readiness(not missing, missing)


def due_measures(
    client: Client, *, before_sessions_only: bool = False, within_days: int | None = None
) -> list[Any]:
    """The client's open measure assignments (from the measures feature, where it exists).

    With `before_sessions_only`, those at a "before medicine session" timepoint: the readiness
    measures shown on the preparation page."""
    try:
        from holdspace.measures.models import Assignment, AssignmentState
    except ImportError:
        return []
    rows = Assignment.objects.filter(
        client=client, state__in=[AssignmentState.DUE, AssignmentState.IN_PROGRESS]
    ).order_by("due_on")
    if before_sessions_only:
        rows = rows.filter(timepoint__startswith="before_medicine_session")
    if within_days is not None:
        rows = rows.filter(due_on__lte=timezone.localdate() + dt.timedelta(days=within_days))
    return list(rows[:20])


def readiness_client_for_user(membership: Membership | None, code: str) -> Client:
    """The client, if the member may read their readiness (404 outside scope, 403 by role)."""
    client = client_for_user(membership, code)
    if not policies.can_read_readiness(membership, client):
        raise PermissionDenied(_("Your role may not read this client's preparation."))
    return client


def preparation_client_for_user(membership: Membership | None, code: str) -> Client:
    """The client, if the member may read their preparation in their own words."""
    client = client_for_user(membership, code)
    if not policies.can_read_preparation_text(membership, client):
        raise PermissionDenied(_("Your role may not read this client's preparation."))
    return client
