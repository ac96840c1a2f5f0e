"""Every read of a study, with the studies policy applied: 404 outside scope, 403 for a role
that may not read. The arm of a client is read only here, and only for roles that may see it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from holdspace.people import selectors as people_selectors
from holdspace.people.models import Clinic, Membership, Role, User

from . import blinding, policies
from .models import (
    Arm,
    Assessment,
    DataQuery,
    Deviation,
    Enrolment,
    EnrolmentStatus,
    Guesser,
    QueryStatus,
    Severity,
    Site,
    Study,
    TreatmentGuess,
)


def studies_for_user(membership: Membership | None) -> QuerySet[Study]:
    if membership is None:
        return Study.objects.none()
    at_site = (
        Q(sites__clinic_id=membership.clinic_id)
        if membership.role in (policies.SITE_VIEW_ROLES)
        else Q(pk__in=[])
    )
    as_member = Q(members__user_id=membership.user_id, members__role__in=policies.STUDY_VIEW_ROLES)
    return Study.objects.filter(at_site | as_member).distinct()


def study_for_user(membership: Membership | None, pk: int) -> Study:
    study = Study.objects.filter(pk=pk).first()
    if study is None or not policies.can_view_study(membership, study):
        raise Http404
    return study


def study_summary(membership: Membership | None, study: Study) -> dict[str, Any]:
    """Arms, sites and enrolment counts: nothing of any one client's allocation."""
    enrolments = Enrolment.objects.filter(study=study)
    by_site = Counter(enrolments.values_list("site_id", flat=True))
    by_status = Counter(enrolments.values_list("status", flat=True))
    return {
        "id": study.pk,
        "code": study.code,
        "title": study.title,
        "status": study.status,
        "protocol_template": study.protocol_template,
        "arms": [{"key": a.key, "name": a.name, "ratio": a.ratio} for a in study.arms.all()],
        "sites": [
            {"id": s.pk, "clinic": s.clinic.name, "enrolled": by_site.get(s.pk, 0)}
            for s in study.sites.select_related("clinic")
        ],
        "enrolment": {status: by_status.get(status, 0) for status in EnrolmentStatus.values},
        "allocation_source": study.allocation_source,
    }


def visible_enrolments(membership: Membership | None, study: Study) -> QuerySet[Enrolment]:
    """The study's enrolments this member may see: every site's for a study-level role (by
    code), their own clinic's for site staff, a therapist only their own clients'."""
    enrolments = Enrolment.objects.filter(study=study)
    if membership is None:
        return enrolments.none()
    if policies.study_roles(membership, study) & policies.STUDY_VIEW_ROLES:
        return enrolments
    if membership.role == Role.THERAPIST:
        return enrolments.filter(client__in=people_selectors.clients_visible_to(membership))
    return enrolments.filter(site__clinic_id=membership.clinic_id)


def enrolment_rows(membership: Membership | None, study: Study) -> list[dict[str, Any]]:
    """One row per enrolled client (code only). The arm is shown only where the policy says."""
    rows = []
    open_queries = Counter(
        DataQuery.objects.filter(study=study)
        .exclude(status=QueryStatus.CLOSED)
        .values_list("enrolment_id", flat=True)
    )
    for enrolment in visible_enrolments(membership, study).select_related(
        "client", "site__clinic", "slot__arm", "study"
    ):
        row: dict[str, Any] = {
            "id": enrolment.pk,
            "code": enrolment.client.code,
            "site": enrolment.site.clinic.name,
            "stratum": enrolment.stratum,
            "status": enrolment.status,
            "status_label": enrolment.get_status_display(),
            "locked": enrolment.locked_at is not None,
            "open_queries": open_queries.get(enrolment.pk, 0),
            "can_randomise": enrolment.slot_id is None
            and policies.can_randomise(membership, enrolment),
            "can_unblind": enrolment.slot_id is not None
            and policies.can_unblind(membership, enrolment),
            "can_lock": enrolment.locked_at is None and policies.can_lock(membership, enrolment),
        }
        if enrolment.slot is not None and policies.can_see_allocation(membership, enrolment):
            row["arm"] = enrolment.slot.arm.name
        rows.append(row)
    return rows


def enrolment_for_user(membership: Membership | None, study: Study, code: str) -> Enrolment:
    if not policies.can_view_study(membership, study):
        raise Http404
    enrolment = (
        visible_enrolments(membership, study)
        .filter(client__code=code)
        .select_related("client", "site__clinic", "study")
        .first()
    )
    if enrolment is None:
        raise Http404
    return enrolment


def allocation_of(membership: Membership | None, enrolment: Enrolment) -> str | None:
    """The arm's name for roles that may see it, None for everyone else."""
    if enrolment.slot is None or not policies.can_see_allocation(membership, enrolment):
        return None
    return enrolment.slot.arm.name


# --- the blinded rater ---------------------------------------------------------------------


def assessments_for_rater(membership: Membership | None) -> QuerySet[Assessment]:
    """A rater's own assessments: client code, timepoint, due date, done. Nothing more."""
    if membership is None or membership.role != Role.BLINDED_RATER:
        raise PermissionDenied(_("This page is for blinded raters."))
    return Assessment.objects.filter(rater_id=membership.user_id).select_related(
        "enrolment__client", "enrolment__study"
    )


def assessment_for_rater(membership: Membership | None, pk: int) -> Assessment:
    assessment = assessments_for_rater(membership).filter(pk=pk).first()
    if assessment is None:
        raise Http404
    return assessment


# --- reports -------------------------------------------------------------------------------


def _require_reports(membership: Membership | None, study: Study) -> None:
    if not policies.can_view_reports(membership, study):
        raise PermissionDenied(_("Study reports are for medical leads, researchers and monitors."))


def blinding_report(
    membership: Membership | None, study: Study, *, timepoint: str = "endpoint"
) -> dict[str, Any]:
    """Guesses against the arms, per role, with Bang's index per arm and James' index (two
    arms). Each person's latest guess per client at `timepoint` counts once."""
    _require_reports(membership, study)
    arms = list(study.arms.all())
    index = {arm.pk: i for i, arm in enumerate(arms)}
    latest: dict[tuple[int, str, int], TreatmentGuess] = {}
    for guess in TreatmentGuess.objects.filter(
        enrolment__study=study, enrolment__slot__isnull=False, timepoint=timepoint
    ).select_related("enrolment__slot"):
        latest[(guess.enrolment_id, guess.guesser, guess.recorded_by_id)] = guess
    roles = []
    for guesser, label in Guesser.choices:
        table = [[0] * len(arms) for _ in range(len(arms) + 1)]
        for (_e, who, _u), guess in latest.items():
            if who != guesser:
                continue
            assert guess.enrolment.slot is not None  # noqa: S101  (filtered above)
            column = index[guess.enrolment.slot.arm_id]
            row = index[guess.arm_id] if guess.arm_id is not None else len(arms)
            table[row][column] += 1
        james = blinding.james(table) if len(arms) == 2 else None
        roles.append(
            {
                "guesser": guesser,
                "label": str(label),
                "table": table,
                "bang": [
                    {"arm": arm.name, **blinding.bang(table, i).as_dict()}
                    for i, arm in enumerate(arms)
                ],
                "james": james.as_dict() if james else None,
            }
        )
    timepoints = sorted(
        set(
            TreatmentGuess.objects.filter(enrolment__study=study).values_list(
                "timepoint", flat=True
            )
        )
    )
    return {
        "study": study.code,
        "timepoint": timepoint,
        "timepoints": timepoints,
        "arms": [arm.name for arm in arms],
        "roles": roles,
    }


def consort(membership: Membership | None, study: Study) -> dict[str, Any]:
    """CONSORT counts per arm: allocated, assessed at endpoint, withdrawn, completed."""
    _require_reports(membership, study)
    enrolments = Enrolment.objects.filter(study=study)
    per_arm = []
    for arm in study.arms.all():
        allocated = enrolments.filter(slot__arm=arm)
        per_arm.append(
            {
                "arm": arm.name,
                "allocated": allocated.count(),
                "withdrawn": allocated.filter(status=EnrolmentStatus.WITHDRAWN).count(),
                "completed": allocated.filter(status=EnrolmentStatus.COMPLETED).count(),
                "assessed_endpoint": allocated.filter(
                    assessments__timepoint="endpoint", assessments__done_at__isnull=False
                )
                .distinct()
                .count(),
            }
        )
    return {
        "enrolled": enrolments.count(),
        "not_randomised": enrolments.filter(slot__isnull=True).count(),
        "arms": per_arm,
    }


def deviations_for_user(membership: Membership | None, study: Study) -> QuerySet[Deviation]:
    _require_reports(membership, study)
    return Deviation.objects.filter(study=study).select_related(
        "site__clinic", "enrolment__client", "reported_by"
    )


def deviations_per_site(membership: Membership | None, study: Study) -> list[dict[str, Any]]:
    counts = Counter(
        deviations_for_user(membership, study).values_list("site__clinic__name", "severity")
    )
    return [
        {
            "site": s.clinic.name,
            "site_id": s.pk,
            "minor": counts.get((s.clinic.name, "minor"), 0),
            "major": counts.get((s.clinic.name, "major"), 0),
        }
        for s in study.sites.select_related("clinic")
    ]


def queries_for_user(membership: Membership | None, study: Study) -> QuerySet[DataQuery]:
    if not policies.can_view_study(membership, study):
        raise Http404
    return DataQuery.objects.filter(
        enrolment__in=visible_enrolments(membership, study)
    ).select_related("enrolment__client")


def query_for_user(membership: Membership | None, study: Study, pk: int) -> DataQuery:
    query = queries_for_user(membership, study).filter(pk=pk).first()
    if query is None:
        raise Http404
    return query


# --- what the outcomes cohort report asks (outcomes.studies_hooks) -------------------------


def arms_for_outcomes(membership: Membership | None, client_ids: Iterable[int]) -> dict[int, str]:
    """Each randomised client's arm where the member may compare arms (the study unblinded
    for analysis), else a label saying it is concealed."""
    found: dict[int, str] = {}
    for enrolment in Enrolment.objects.filter(
        client_id__in=list(client_ids), slot__isnull=False
    ).select_related("slot__arm", "study", "site"):
        arm = allocation_of(membership, enrolment)
        found[enrolment.client_id] = arm or _("arm concealed (study still blinded)")
    return found


def excluded_for_outcomes(
    membership: Membership | None, site: int | None, major_deviations: bool
) -> set[int]:
    """The clients a re-run of the cohort report leaves out: a study site's, or those with a
    major protocol deviation."""
    ids: set[int] = set()
    if site is not None:
        ids |= set(Enrolment.objects.filter(site_id=site).values_list("client_id", flat=True))
    if major_deviations:
        ids |= set(
            Deviation.objects.filter(severity=Severity.MAJOR, enrolment__isnull=False).values_list(
                "enrolment__client_id", flat=True
            )
        )
    return ids


def allocation_list_sizes(membership: Membership | None, study: Study) -> list[dict[str, Any]]:
    """Lines per stratum of the concealed list, and how many are used: counts only, never an
    arm, so the set-up page says how far the list reaches without showing it."""
    if not policies.can_set_up(membership, study):
        raise PermissionDenied(_("Only the sponsoring clinic's medical lead sets a study up."))
    rows = (
        study.slots.values("stratum")
        .annotate(lines=Count("pk"), used=Count("enrolment"))
        .order_by("stratum")
    )
    return [dict(row) for row in rows]


def any_randomised(study: Study) -> bool:
    return study.enrolments.filter(slot__isnull=False).exists()


# Small reads the study pages need, each scoped to the study (the views query no model).


def study_raters(study: Study) -> list[Membership]:
    """The active blinded raters of the study's sites (a central rater may rate every site)."""
    return list(
        Membership.objects.filter(
            role=Role.BLINDED_RATER, is_active=True, clinic__study_sites__study=study
        ).select_related("user")
    )


def study_rater_user(study: Study, user_id: int) -> User:
    """One of the study's raters (404 for anyone else)."""
    for membership in study_raters(study):
        if membership.user_id == int(user_id):
            return membership.user
    raise Http404("No such rater in this study.")


def study_arm(study: Study, arm_id: int) -> Arm:
    arm = Arm.objects.filter(pk=arm_id, study=study).first()
    if arm is None:
        raise Http404("No such arm in this study.")
    return arm


def study_site(study: Study, site_id: int) -> Site:
    site = Site.objects.filter(pk=site_id, study=study).first()
    if site is None:
        raise Http404("No such site in this study.")
    return site


def clinics_by_id(clinic_ids: Iterable[int]) -> list[Clinic]:
    """Clinics by id, by name (the caller has limited the ids with policies.site_clinic_ids)."""
    return list(Clinic.objects.filter(pk__in=list(clinic_ids)).order_by("name"))
