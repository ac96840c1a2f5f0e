"""Fidelity (adherence) ratings of a study's medicine sessions, per therapist pair, over time.

Who: the sponsoring clinic's medical lead defines the study's checklist (items and rating scale:
site-defined, not a published scale; see fidelity_models). The medical lead of a site rates its
sessions; a blinded rater given the study role "blinded rater" rates any site's sessions (from a
recording or observed). A rater sees only what rating needs: the client's code, the session's
date and its therapists. Never a dose, an arm, a note or another rater's ratings. The report
(ratings per pair over time) is for the roles that read the study's reports, never for a rater.

Policy, reads and writes are in this one module because they serve one page set; they follow
the app's rules: 404 outside the study, 403 for a role that may not, audit on every write.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Mapping
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from holdspace.people.actors import Actor
from holdspace.people.auditing import audit_write
from holdspace.people.models import Membership, Role
from holdspace.sessions.models import MedicineSession

from . import policies
from .fidelity_models import FidelityChecklist, FidelityRating, FidelitySource
from .models import Enrolment, Study, StudyRole

DATA_FILE = Path(settings.DATA_DIR) / "studies" / "fidelity.yaml"
MAX_ITEMS = 30
MAX_LABEL = 160
SCALE_BOUNDS = (0, 10)  # the lowest and highest point any site-defined scale may use


@cache
def searched_sources() -> list[dict[str, Any]]:
    """The sources searched for a published checklist (data/studies/fidelity.yaml): shown on
    the set-up page, so a lead sees why the checklist is their own."""
    loaded: dict[str, Any] = yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))
    return list(loaded["sources"])


# --- policy --------------------------------------------------------------------------------


def is_fidelity_rater(membership: Membership | None, study: Study) -> bool:
    """A blinded rater given the study role "blinded rater" (by the study's set-up)."""
    return (
        membership is not None
        and membership.role == Role.BLINDED_RATER
        and StudyRole.BLINDED_RATER in policies.study_roles(membership, study)
    )


def can_rate(membership: Membership | None, study: Study) -> bool:
    if membership is None:
        return False
    if membership.role == Role.MEDICAL_LEAD and policies.is_site(membership, study):
        return True
    return is_fidelity_rater(membership, study)


def can_define(membership: Membership | None, study: Study) -> bool:
    return policies.can_set_up(membership, study)


def can_view_report(membership: Membership | None, study: Study) -> bool:
    return (
        membership is not None
        and membership.role != Role.BLINDED_RATER
        and policies.can_view_reports(membership, study)
    )


def study_for_fidelity(membership: Membership | None, pk: int) -> Study:
    """The study for its fidelity pages: 404 to anyone outside it (a fidelity rater is in it)."""
    study = Study.objects.filter(pk=pk).first()
    if study is None:
        raise Http404
    if (
        membership is not None
        and membership.role != Role.BLINDED_RATER
        and policies.can_view_study(membership, study)
    ):
        return study
    if is_fidelity_rater(membership, study):
        return study
    raise Http404


# --- reads ---------------------------------------------------------------------------------


def checklist_of(study: Study) -> FidelityChecklist | None:
    return FidelityChecklist.objects.filter(study=study).first()


def checklist_fixed(study: Study) -> bool:
    """Once a session is rated against it, the checklist is not changed."""
    return FidelityRating.objects.filter(study=study).exists()


def rateable_sessions(membership: Membership | None, study: Study) -> QuerySet[MedicineSession]:
    """Started medicine sessions of the study's enrolled clients that this member may rate: the
    site's for its medical lead, every site's for a fidelity rater."""
    if not can_rate(membership, study):
        return MedicineSession.objects.none()
    assert membership is not None  # noqa: S101  (can_rate checked it)
    enrolments = Enrolment.objects.filter(study=study)
    if not is_fidelity_rater(membership, study):
        enrolments = enrolments.filter(site__clinic_id=membership.clinic_id)
    # A session counts for the study only at the client's own site.
    at_site = set(enrolments.values_list("client_id", "site__clinic_id"))
    ids = [
        pk
        for pk, client_id, clinic_id in MedicineSession.objects.filter(
            started_at__isnull=False, client_id__in=[c for c, _site in at_site]
        ).values_list("pk", "client_id", "clinic_id")
        if (client_id, clinic_id) in at_site
    ]
    return (
        MedicineSession.objects.filter(pk__in=ids)
        .select_related("client", "visit")
        .prefetch_related("team__membership__user", "visit__therapists__user")
        .order_by("started_at", "pk")
    )


def session_for_rating(membership: Membership | None, study: Study, pk: int) -> MedicineSession:
    session = rateable_sessions(membership, study).filter(pk=pk).first()
    if session is None:
        raise Http404
    return session


def therapists_of(session: MedicineSession) -> list[Membership]:
    """The therapists present (their sober attestations), else those planned on the visit."""
    # .all(): the list's prefetches (rateable_sessions) answer without a query per session.
    present = [t.membership for t in session.team.all()]
    if present:
        return sorted(present, key=lambda m: m.pk)
    return sorted(session.visit.therapists.all(), key=lambda m: m.pk)


def _name(membership: Membership) -> str:
    return membership.user.get_full_name() or membership.user.email


def rating_rows(membership: Membership | None, study: Study) -> list[dict[str, Any]]:
    """What the rater's page lists: code, date, therapists, whether this member rated it."""
    sessions = list(rateable_sessions(membership, study))
    mine = set(
        FidelityRating.objects.filter(
            study=study, session__in=sessions, rated_by_id=membership.user_id if membership else 0
        ).values_list("session_id", flat=True)
    )
    return [
        {
            "id": s.pk,
            "code": s.client.code,
            "date": s.started_at,
            "therapists": ", ".join(_name(m) for m in therapists_of(s)),
            "rated": s.pk in mine,
        }
        for s in sessions
    ]


def report(membership: Membership | None, study: Study) -> dict[str, Any]:
    """Ratings per therapist pair over time: one point per rating (its mean over the items),
    with the pair's mean of means. Only counts and means: no client, no arm."""
    if not can_view_report(membership, study):
        raise PermissionDenied(_("The fidelity report is for those who read the study's reports."))
    ratings = FidelityRating.objects.filter(study=study).select_related("session")
    if membership is not None and not policies.study_roles(membership, study) & (
        policies.STUDY_VIEW_ROLES
    ):
        ratings = ratings.filter(session__clinic_id=membership.clinic_id)
    names: dict[str, str] = {}
    points: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for rating in ratings.prefetch_related("therapists__user"):
        if rating.pair not in names:
            names[rating.pair] = " & ".join(_name(m) for m in rating.therapists.all())
        points[rating.pair].append(
            {
                "date": (
                    timezone.localdate(rating.session.started_at)
                    if rating.session.started_at
                    else None
                ),
                "mean": float(rating.mean),
                "source": rating.get_source_display(),
            }
        )
    pairs = [
        {
            "pair": pair,
            "name": names[pair],
            "points": rows,
            "n": len(rows),
            "mean": round(statistics.fmean(r["mean"] for r in rows), 2),
        }
        for pair, rows in sorted(points.items(), key=lambda kv: names[kv[0]])
    ]
    return {"pairs": pairs, "checklist": checklist_of(study)}


def rater_studies(membership: Membership | None) -> list[dict[str, Any]]:
    """For a blinded rater's Today page: the studies they rate fidelity for, with the number
    of sessions they have not rated yet."""
    if membership is None or membership.role != Role.BLINDED_RATER:
        return []
    studies = Study.objects.filter(
        members__user_id=membership.user_id, members__role=StudyRole.BLINDED_RATER
    ).distinct()
    rows = []
    for study in studies:
        sessions = rateable_sessions(membership, study)
        done = FidelityRating.objects.filter(
            study=study, rated_by_id=membership.user_id
        ).values_list("session_id", flat=True)
        rows.append({"study": study, "to_rate": sessions.exclude(pk__in=done).count()})
    return rows


# --- writes --------------------------------------------------------------------------------


def checklist_define(
    *,
    by: Actor,
    study: Study,
    items: list[str],
    scale_min: int,
    scale_max: int,
    scale_note: str = "",
) -> FidelityChecklist:
    """Define or replace the study's checklist; refused once a session has been rated against
    it, so that ratings over time stay comparable."""
    if not can_define(by.membership, study):
        raise PermissionDenied(
            _("Only the sponsoring clinic's medical lead defines the checklist.")
        )
    errors: dict[str, list[str]] = {}
    labels = [item.strip() for item in items if item.strip()]
    if not labels:
        errors["items"] = [_("Give at least one item, one a line.")]
    elif len(labels) > MAX_ITEMS:
        errors["items"] = [_("At most %(n)s items.") % {"n": MAX_ITEMS}]
    elif any(len(label) > MAX_LABEL for label in labels):
        errors["items"] = [_("Each item at most %(n)s characters.") % {"n": MAX_LABEL}]
    elif len(set(labels)) != len(labels):
        errors["items"] = [_("Each item once.")]
    low, high = SCALE_BOUNDS
    if not low <= scale_min < scale_max <= high:
        errors["scale_max"] = [
            _("The scale runs from a lower to a higher point, between %(a)s and %(b)s.")
            % {"a": low, "b": high}
        ]
    if len(scale_note) > 300:
        errors["scale_note"] = [_("At most 300 characters.")]
    if checklist_fixed(study):
        errors["__all__"] = [_("Sessions have been rated against this checklist: it is fixed.")]
    if errors:
        raise ValidationError(errors)
    assert by.user is not None  # noqa: S101  (the policy checked the membership)
    with transaction.atomic():
        row, _created = FidelityChecklist.objects.update_or_create(
            study=study,
            defaults={
                "items": [{"key": str(i), "label": label} for i, label in enumerate(labels, 1)],
                "scale_min": scale_min,
                "scale_max": scale_max,
                "scale_note": scale_note.strip(),
                "defined_by": by.user,
            },
        )
        audit_write(
            by,
            "studies.fidelity.checklist_define",
            target=row,
            fields=["items", "scale_min", "scale_max", "scale_note"],
        )
    return row


def rating_record(
    *,
    by: Actor,
    study: Study,
    session: MedicineSession,
    source: str,
    answers: Mapping[str, object],
) -> FidelityRating:
    """One rater's ratings of one session against the study's checklist, every item answered."""
    membership = by.membership
    if not can_rate(membership, study):
        raise PermissionDenied(_("You may not rate this study's sessions."))
    session = session_for_rating(membership, study, session.pk)  # 404 outside the rater's scope
    checklist = checklist_of(study)
    if checklist is None:
        raise ValidationError({"__all__": [_("The study has no fidelity checklist yet.")]})
    errors: dict[str, list[str]] = {}
    if source not in FidelitySource.values:
        errors["source"] = [_("Choose observed or from a recording.")]
    ratings: dict[str, int] = {}
    for item in checklist.items:
        field = f"item_{item['key']}"
        value = answers.get(item["key"])
        if isinstance(value, bool) or not isinstance(value, int):
            errors[field] = [_("Rate this item.")]
        elif not checklist.scale_min <= value <= checklist.scale_max:
            errors[field] = [
                _("Between %(a)s and %(b)s.") % {"a": checklist.scale_min, "b": checklist.scale_max}
            ]
        else:
            ratings[item["key"]] = value
    therapists = therapists_of(session)
    if not therapists:
        errors["__all__"] = [_("No therapist is recorded for this session.")]
    assert by.user is not None  # noqa: S101
    if FidelityRating.objects.filter(session=session, rated_by=by.user).exists():
        errors["__all__"] = [_("You have already rated this session.")]
    if errors:
        raise ValidationError(errors)
    mean = Decimal(str(round(statistics.fmean(ratings.values()), 2)))
    with transaction.atomic():
        row = FidelityRating.objects.create(
            study=study,
            session=session,
            pair="+".join(str(m.pk) for m in therapists),
            source=source,
            answers=ratings,
            mean=mean,
            rated_by=by.user,
        )
        row.therapists.set(therapists)
        audit_write(
            by,
            "studies.fidelity.rate",
            target=row,
            client=session.client,
            fields=["answers", "source"],
        )
    return row
