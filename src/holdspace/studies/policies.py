"""Who may do what in a study. Deny by default; the selectors and services ask here.

Blinding: the arm of a client is shown only to the study's unblinded roles (the coordinator of
the client's site, who dispenses, and a study member marked unblinded). Therapists, medical
leads, researchers, monitors and blinded raters never see it; a medical lead may unblind one
client in an emergency, with a reason (audited). After the database is locked and the study
unblinded for analysis, the arms may be compared.
"""

from __future__ import annotations

from holdspace.people import policies as people_policies
from holdspace.people.models import Client, Membership, Role

from .models import Assessment, Enrolment, Site, Study, StudyMember, StudyRole, StudyStatus

# Clinic roles that see a study run at their clinic (codes, counts, statuses; never arms).
# Therapists see only their own clients' enrolments (selectors.visible_enrolments).
SITE_VIEW_ROLES = frozenset(
    {Role.MEDICAL_LEAD, Role.COORDINATOR, Role.RESEARCHER, Role.STUDY_MONITOR, Role.THERAPIST}
)
# Study roles that see the study at every site, by code.
STUDY_VIEW_ROLES = frozenset({StudyRole.RESEARCHER, StudyRole.MONITOR, StudyRole.INVESTIGATOR})
ENROL_ROLES = frozenset({Role.MEDICAL_LEAD, Role.COORDINATOR})
UNBLINDED_SITE_ROLES = frozenset({Role.COORDINATOR})
DEVIATION_ROLES = frozenset({Role.MEDICAL_LEAD, Role.COORDINATOR, Role.STUDY_MONITOR})
QUERY_ANSWER_ROLES = frozenset({Role.MEDICAL_LEAD, Role.COORDINATOR})
REPORT_ROLES = frozenset({Role.MEDICAL_LEAD, Role.RESEARCHER, Role.STUDY_MONITOR})


def study_roles(membership: Membership | None, study: Study) -> set[str]:
    if membership is None:
        return set()
    return set(
        StudyMember.objects.filter(study=study, user_id=membership.user_id).values_list(
            "role", flat=True
        )
    )


def is_site(membership: Membership | None, study: Study) -> bool:
    return membership is not None and study.sites.filter(clinic_id=membership.clinic_id).exists()


def can_view_study(membership: Membership | None, study: Study) -> bool:
    if membership is None:
        return False
    if membership.role in SITE_VIEW_ROLES and is_site(membership, study):
        return True
    return bool(study_roles(membership, study) & STUDY_VIEW_ROLES)


def _at_site(membership: Membership | None, enrolment: Enrolment, roles: frozenset[str]) -> bool:
    return (
        membership is not None
        and membership.role in roles
        and membership.clinic_id == enrolment.site.clinic_id
    )


def can_enrol(membership: Membership | None, study: Study, client: Client) -> bool:
    return (
        membership is not None
        and membership.role in ENROL_ROLES
        and study.status == StudyStatus.RECRUITING
        and people_policies.can_view_client(membership, client)
        and is_site(membership, study)
    )


def can_randomise(membership: Membership | None, enrolment: Enrolment) -> bool:
    return (
        _at_site(membership, enrolment, ENROL_ROLES)
        and enrolment.study.status == StudyStatus.RECRUITING
    )


def can_see_allocation(membership: Membership | None, enrolment: Enrolment) -> bool:
    """The arm of this one client: unblinded roles only, or everyone with study access once the
    study is unblinded for analysis."""
    if membership is None:
        return False
    if enrolment.study.status == StudyStatus.UNBLINDED:
        return can_view_study(membership, enrolment.study) and membership.role != Role.BLINDED_RATER
    if _at_site(membership, enrolment, UNBLINDED_SITE_ROLES):
        return True
    return StudyRole.UNBLINDED_PHARMACIST in study_roles(membership, enrolment.study)


def can_compare_arms(membership: Membership | None, study: Study) -> bool:
    return (
        study.status == StudyStatus.UNBLINDED
        and can_view_study(membership, study)
        and membership is not None
        and membership.role != Role.BLINDED_RATER
    )


def can_unblind(membership: Membership | None, enrolment: Enrolment) -> bool:
    return _at_site(membership, enrolment, frozenset({Role.MEDICAL_LEAD}))


def can_rate(membership: Membership | None, assessment: Assessment) -> bool:
    """A blinded rater enters the score of their own assessments, and nothing else."""
    return (
        membership is not None
        and membership.role == Role.BLINDED_RATER
        and assessment.rater_id == membership.user_id
        and assessment.enrolment.locked_at is None
    )


def can_rate_client(membership: Membership | None, client: Client) -> bool:
    """For measures.score_record_total: the rater has an open assessment of this client."""
    return (
        membership is not None
        and membership.role == Role.BLINDED_RATER
        and Assessment.objects.filter(
            enrolment__client=client, rater_id=membership.user_id, done_at__isnull=True
        ).exists()
    )


def can_record_guess(membership: Membership | None, enrolment: Enrolment, guesser: str) -> bool:
    if membership is None or enrolment.locked_at is not None:
        return False
    if guesser == "rater":
        return (
            membership.role == Role.BLINDED_RATER
            and enrolment.assessments.filter(rater_id=membership.user_id).exists()
        )
    client = enrolment.client
    if guesser == "therapist":
        return membership.role == Role.THERAPIST and people_policies.is_on_care_team(
            membership, client
        )
    if guesser == "client":  # the client's own guess, written down by the team
        return membership.role in {Role.THERAPIST, Role.COORDINATOR} and (
            people_policies.can_view_client(membership, client)
        )
    return False


def can_view_reports(membership: Membership | None, study: Study) -> bool:
    if membership is None:
        return False
    if membership.role in REPORT_ROLES and is_site(membership, study):
        return True
    return bool(study_roles(membership, study) & STUDY_VIEW_ROLES)


def can_report_deviation(membership: Membership | None, study: Study) -> bool:
    if membership is None:
        return False
    if membership.role in DEVIATION_ROLES and is_site(membership, study):
        return True
    return StudyRole.MONITOR in study_roles(membership, study)


def can_raise_query(membership: Membership | None, study: Study) -> bool:
    if membership is None:
        return False
    if membership.role == Role.STUDY_MONITOR and is_site(membership, study):
        return True
    return StudyRole.MONITOR in study_roles(membership, study)


can_close_query = can_raise_query


def can_answer_query(membership: Membership | None, enrolment: Enrolment) -> bool:
    return _at_site(membership, enrolment, QUERY_ANSWER_ROLES)


def can_lock(membership: Membership | None, enrolment: Enrolment) -> bool:
    """The investigator (the site's medical lead) signs the locked record."""
    return _at_site(membership, enrolment, frozenset({Role.MEDICAL_LEAD}))


def can_create_study(membership: Membership | None) -> bool:
    """A medical lead sets up a study, sponsored by their own clinic."""
    return membership is not None and membership.role == Role.MEDICAL_LEAD


def can_set_up(membership: Membership | None, study: Study) -> bool:
    """The sponsoring clinic's medical lead makes or replaces the allocation list."""
    return (
        can_create_study(membership)
        and membership is not None
        and membership.clinic_id == study.sponsor_clinic_id
    )


def site_clinic_ids(membership: Membership | None) -> set[int]:
    """The clinics a medical lead may name as sites: their own, and the clinics that already run
    a study with it (its research network). There is no network model yet, so a first study
    across clinics is set up by the command line or the demo; from then on, the page offers them.
    """
    if not can_create_study(membership):
        return set()
    assert membership is not None  # noqa: S101  (checked above)
    shared = Study.objects.filter(sites__clinic_id=membership.clinic_id)
    others = set(Site.objects.filter(study__in=shared).values_list("clinic_id", flat=True))
    return {membership.clinic_id, *others}
