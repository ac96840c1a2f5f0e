"""The study team and the study's sites, given on pages instead of the command line.

Team: each site's medical lead gives study roles to their own clinic's staff (never listing
another clinic's staff); the sponsoring clinic's medical lead (the principal investigator) may
change or take away anyone's study role. A person holds one study role per study here.
Dangerous combinations are refused with the reason: a blinded rater who treats an enrolled
client or has seen allocations, or a blinded rater made unblinded without an explicit,
recorded decision with a reason (`StudyRoleChange`).

Sites: the sponsor's medical lead invites a clinic by its short name; the site exists only when
that clinic's medical lead accepts on their own Studies page. Accepting shares no client of
either clinic: every study page still shows a site's clients only to its own staff, and to the
study-level roles by code.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from holdspace.audit.models import Channel
from holdspace.people.actors import Actor
from holdspace.people.auditing import audit_write
from holdspace.people.models import CareTeamMember, Client, Clinic, Membership, Role, User

from . import policies
from .models import (
    Assessment,
    InvitationStatus,
    Site,
    SiteInvitation,
    Study,
    StudyMember,
    StudyRole,
    StudyRoleChange,
)

# --- who may ---------------------------------------------------------------------------------


def can_see_team(membership: Membership | None, study: Study) -> bool:
    """The medical leads of the study's sites."""
    return (
        membership is not None
        and membership.role == Role.MEDICAL_LEAD
        and policies.is_site(membership, study)
    )


def can_manage_member(membership: Membership | None, member: StudyMember) -> bool:
    """The sponsor's medical lead manages every member; a site's lead their own clinic's."""
    if not can_see_team(membership, member.study):
        return False
    assert membership is not None  # noqa: S101  (checked above)
    if membership.clinic_id == member.study.sponsor_clinic_id:
        return True
    return _clinic_of(member.user) == membership.clinic_id


def _clinic_of(user: User) -> int | None:
    return (
        Membership.objects.filter(user=user, is_active=True)
        .values_list("clinic_id", flat=True)
        .first()
    )


# --- reads -------------------------------------------------------------------------------------


def team_rows(membership: Membership | None, study: Study) -> list[dict[str, Any]]:
    """Every member with their study role and site (their clinic), and what the reader may do."""
    if not can_see_team(membership, study):
        raise PermissionDenied(_("The study team is kept by the medical leads of its sites."))
    clinic_names = dict(study.sites.values_list("clinic_id", "clinic__name"))
    rows = []
    for member in StudyMember.objects.filter(study=study).select_related("user"):
        active = member.user.memberships.filter(is_active=True).select_related("clinic").first()
        clinic_id = active.clinic_id if active else None
        rows.append(
            {
                "member": member,
                "name": member.user.get_full_name() or member.user.email,
                "role_label": member.get_role_display(),
                "clinic_role": active.get_role_display() if active else "",
                "site": clinic_names.get(clinic_id, "") if clinic_id is not None else "",
                # a study-level member may come from a clinic that is not a site
                "clinic": active.clinic.name if active else "",
                "can_manage": can_manage_member(membership, member),
            }
        )
    return rows


def team_candidates(membership: Membership | None, study: Study) -> list[Membership]:
    """The reader's own clinic's active staff not yet on the team: never another clinic's."""
    if not can_see_team(membership, study):
        raise PermissionDenied(_("The study team is kept by the medical leads of its sites."))
    assert membership is not None  # noqa: S101  (checked above)
    on_team = StudyMember.objects.filter(study=study).values_list("user_id", flat=True)
    return list(
        Membership.objects.filter(clinic_id=membership.clinic_id, is_active=True)
        .exclude(user_id__in=on_team)
        .select_related("user")
        .order_by("role", "user__last_name", "user__email")
    )


def candidate_user(membership: Membership | None, study: Study, membership_pk: int) -> User:
    """One of the reader's candidates (404 for anyone else, so other clinics' staff stay
    unknown)."""
    for candidate in team_candidates(membership, study):
        if candidate.pk == membership_pk:
            return candidate.user
    raise Http404("No such person on your clinic's staff.")


def member_for_user(membership: Membership | None, study: Study, pk: int) -> StudyMember:
    """A member of this study (404 otherwise), if the reader may manage them (403 otherwise)."""
    member = StudyMember.objects.filter(pk=pk, study=study).select_related("user", "study").first()
    if member is None or not can_see_team(membership, study):
        raise Http404("No such member of this study.")
    if not can_manage_member(membership, member):
        raise PermissionDenied(_("Only the principal investigator or their own clinic's lead."))
    return member


def role_history(membership: Membership | None, study: Study) -> QuerySet[StudyRoleChange]:
    if not can_see_team(membership, study):
        raise PermissionDenied(_("The study team is kept by the medical leads of its sites."))
    return StudyRoleChange.objects.filter(study=study).select_related("user", "by")[:50]


def invitations_sent(membership: Membership | None, study: Study) -> QuerySet[SiteInvitation]:
    if not policies.can_set_up(membership, study):
        raise PermissionDenied(_("Only the sponsoring clinic's medical lead invites sites."))
    return SiteInvitation.objects.filter(study=study).select_related("clinic")


def invitations_received(membership: Membership | None) -> QuerySet[SiteInvitation]:
    """Pending invitations to the member's clinic: its medical lead answers them."""
    if membership is None or membership.role != Role.MEDICAL_LEAD:
        return SiteInvitation.objects.none()
    return SiteInvitation.objects.filter(
        clinic_id=membership.clinic_id, status=InvitationStatus.PENDING
    ).select_related("study__sponsor_clinic", "invited_by")


def invitation_for_user(membership: Membership | None, pk: int) -> SiteInvitation:
    """An invitation to the member's own clinic: 404 to every other clinic, 403 to a role of
    the invited clinic that may not answer it."""
    invitation = (
        SiteInvitation.objects.filter(pk=pk).select_related("study", "clinic").first()
        if membership is not None
        else None
    )
    if invitation is None or membership is None or invitation.clinic_id != membership.clinic_id:
        raise Http404("No such invitation.")
    if membership.role != Role.MEDICAL_LEAD:
        raise PermissionDenied(_("Only the invited clinic's medical lead answers."))
    return invitation


# --- the team ----------------------------------------------------------------------------------


def _check_role(
    study: Study,
    user: User,
    *,
    old_role: str,
    new_role: str,
    reason: str,
    confirm_unblinding: bool,
) -> dict[str, list[str]]:
    """The combinations a study must not allow, each with the reason a lead can act on."""
    errors: dict[str, list[str]] = {}
    if new_role not in StudyRole.values:
        return {"role": [_("Choose one of the study roles.")]}
    clinic_roles = set(
        Membership.objects.filter(user=user, is_active=True).values_list("role", flat=True)
    )
    if new_role == StudyRole.BLINDED_RATER:
        treating = CareTeamMember.objects.filter(
            membership__user=user, client__enrolment__study=study
        ).exists()
        if treating:
            errors["role"] = [
                _(
                    "This person is on the care team of a client enrolled in this study: "
                    "a blinded rater must not treat the clients they rate."
                )
            ]
        elif Role.COORDINATOR in clinic_roles or _was_unblinded(study, user, old_role):
            errors["role"] = [
                _(
                    "This person sees or has seen the allocations of this study (a site "
                    "coordinator or an unblinded member): they cannot be its blinded rater."
                )
            ]
    if new_role == StudyRole.UNBLINDED_PHARMACIST:
        if Role.BLINDED_RATER in clinic_roles:
            errors["role"] = [
                _(
                    "This person is a blinded rater at their clinic. Their clinic role must "
                    "change first: a rater who learns the allocations can no longer rate blind."
                )
            ]
        elif old_role == StudyRole.BLINDED_RATER or _has_rated(study, user):
            # The explicit action: a confirmation and a reason, both recorded.
            if not confirm_unblinding:
                errors["confirm_unblinding"] = [
                    _(
                        "This person is a blinded rater of this study. Confirm that they are "
                        "to be unblinded; they will not rate blind again."
                    )
                ]
            if not reason.strip():
                errors["reason"] = [_("Say why a blinded rater is unblinded.")]
    return errors


def blinded_rater_refusal(client: Client, member: Membership) -> str | None:
    """Registered as a care-team check: the study's blinded rater must not join the care team of a
    client enrolled in that study (the reverse of the check made when the role is given)."""
    rates_this_client = StudyMember.objects.filter(
        user_id=member.user_id,
        role=StudyRole.BLINDED_RATER,
        study__enrolments__client=client,
    ).exists()
    if rates_this_client:
        return _(
            "This person is the blinded rater of a study this client is enrolled in: "
            "a blinded rater must not treat the clients they rate."
        )
    return None


def _was_unblinded(study: Study, user: User, old_role: str) -> bool:
    return (
        old_role == StudyRole.UNBLINDED_PHARMACIST
        or StudyRoleChange.objects.filter(
            study=study, user=user, new_role=StudyRole.UNBLINDED_PHARMACIST
        ).exists()
    )


def _has_rated(study: Study, user: User) -> bool:
    return Assessment.objects.filter(enrolment__study=study, rater=user).exists()


def _require_team_lead(by: Actor, study: Study) -> Membership:
    membership = by.membership
    if not can_see_team(membership, study):
        raise PermissionDenied(_("Only a medical lead of a study site gives study roles."))
    assert membership is not None  # noqa: S101  (checked above)
    return membership


def _record(
    by: Actor, study: Study, user: User, old: str, new: str, reason: str, action: str, target: Any
) -> None:
    StudyRoleChange.objects.create(
        study=study, user=user, old_role=old, new_role=new, reason=reason.strip(), by=by.user
    )
    audit_write(by, action, target=target, fields=["user", "role", *(["reason"] if reason else [])])


def study_member_add(
    *,
    by: Actor,
    study: Study,
    user: User,
    role: str,
    reason: str = "",
    confirm_unblinding: bool = False,
) -> StudyMember:
    """Give a person of the lead's own clinic a study role."""
    membership = _require_team_lead(by, study)
    if by.channel != Channel.CLI and _clinic_of(user) != membership.clinic_id:
        # On the pages a lead chooses among their own staff only (team_candidates).
        raise PermissionDenied(_("Choose a person of your own clinic."))
    if StudyMember.objects.filter(study=study, user=user).exists():
        raise ValidationError({"person": [_("This person is on the team: change their role.")]})
    errors = _check_role(
        study,
        user,
        old_role="",
        new_role=role,
        reason=reason,
        confirm_unblinding=confirm_unblinding,
    )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        member = StudyMember.objects.create(study=study, user=user, role=role)
        _record(by, study, user, "", role, reason, "studies.member.add", member)
    return member


def study_member_change(
    *,
    by: Actor,
    member: StudyMember,
    role: str,
    reason: str = "",
    confirm_unblinding: bool = False,
) -> StudyMember:
    _require_team_lead(by, member.study)
    if not can_manage_member(by.membership, member):
        raise PermissionDenied(_("Only the principal investigator or their own clinic's lead."))
    if role == member.role:
        raise ValidationError({"role": [_("This is already their study role.")]})
    errors = _check_role(
        member.study,
        member.user,
        old_role=member.role,
        new_role=role,
        reason=reason,
        confirm_unblinding=confirm_unblinding,
    )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        old = member.role
        member.role = role
        member.save(update_fields=["role"])
        _record(by, member.study, member.user, old, role, reason, "studies.member.change", member)
    return member


def study_member_remove(*, by: Actor, member: StudyMember, reason: str = "") -> None:
    _require_team_lead(by, member.study)
    if not can_manage_member(by.membership, member):
        raise PermissionDenied(_("Only the principal investigator or their own clinic's lead."))
    with transaction.atomic():
        _record(
            by, member.study, member.user, member.role, "", reason, "studies.member.remove", None
        )
        member.delete()


# --- sites ---------------------------------------------------------------------------------


def site_invite(*, by: Actor, study: Study, clinic_slug: str) -> SiteInvitation:
    """The sponsor's medical lead invites another clinic (by its short name) to be a site."""
    if not policies.can_set_up(by.membership, study):
        raise PermissionDenied(_("Only the sponsoring clinic's medical lead invites sites."))
    assert by.user is not None  # noqa: S101  (a medical lead has an account)
    clinic = Clinic.objects.filter(slug=clinic_slug).first()
    if clinic is None:
        raise ValidationError({"clinic": [_("No clinic has this short name.")]})
    if Site.objects.filter(study=study, clinic=clinic).exists():
        raise ValidationError({"clinic": [_("This clinic is already a site of the study.")]})
    if SiteInvitation.objects.filter(
        study=study, clinic=clinic, status=InvitationStatus.PENDING
    ).exists():
        raise ValidationError({"clinic": [_("This clinic is invited already.")]})
    with transaction.atomic():
        invitation = SiteInvitation.objects.create(study=study, clinic=clinic, invited_by=by.user)
        audit_write(by, "studies.site.invite", target=invitation, fields=["clinic"])
    return invitation


def site_invitation_answer(*, by: Actor, invitation: SiteInvitation, accept: bool) -> Site | None:
    """The invited clinic's medical lead accepts (the site is made) or declines."""
    membership = by.membership
    if (
        membership is None
        or membership.role != Role.MEDICAL_LEAD
        or membership.clinic_id != invitation.clinic_id
    ):
        raise PermissionDenied(_("Only the invited clinic's medical lead answers."))
    with transaction.atomic():
        invitation = SiteInvitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.status != InvitationStatus.PENDING:
            raise ValidationError({"__all__": [_("This invitation is answered already.")]})
        invitation.status = InvitationStatus.ACCEPTED if accept else InvitationStatus.DECLINED
        invitation.answered_by, invitation.answered_at = by.user, timezone.now()
        invitation.save(update_fields=["status", "answered_by", "answered_at"])
        site = None
        if accept:
            site, _created = Site.objects.get_or_create(
                study=invitation.study, clinic=invitation.clinic
            )
        audit_write(
            by,
            "studies.site.accept" if accept else "studies.site.decline",
            target=invitation,
            fields=["status"],
        )
    return site
