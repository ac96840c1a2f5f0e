"""Every read of people and clients goes through a scoped selector.

Getters answer 404 to anyone outside the record's scope, so existence is never revealed.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from holdspace.audit.models import AuditEvent
from holdspace.audit.selectors import audit_events_of_clinic
from holdspace.core.compiled import CompiledQueries

from . import policies
from .backends import MEMBERSHIP_ATTR
from .models import CareTeamMember, Client, Membership, User


def membership_for_user(user: User | object) -> Membership | None:
    """The user's active clinic membership, or None (anonymous, or not staff of any clinic)."""
    if not isinstance(user, User) or not user.is_active:
        return None
    # The request's user already brought it, in the same query (people/backends.py).
    if hasattr(user, MEMBERSHIP_ATTR):
        cached: Membership | None = getattr(user, MEMBERSHIP_ATTR)
        return cached
    return (
        Membership.objects.select_related("clinic", "user")
        .filter(user=user, is_active=True)
        .first()
    )


def clients_visible_to(membership: Membership | None) -> QuerySet[Client]:
    if membership is None or not policies.can_list_clients(membership):
        return Client.objects.none()
    clients = Client.objects.filter(clinic_id=membership.clinic_id)
    if not policies.can_see_all_clinic_clients(membership):
        # EXISTS, not a join: a join would need DISTINCT over the whole clinic to sort.
        clients = clients.filter(
            Exists(CareTeamMember.objects.filter(client=OuterRef("pk"), membership=membership))
        )
    return clients


def client_search(
    membership: Membership | None, *, query: str = "", phase: str = ""
) -> QuerySet[Client]:
    """Clients the member may see, matching a code or (for roles that may) a name."""
    clients = clients_visible_to(membership)
    query = query.strip()
    if query:
        match = Q(code__icontains=query)
        if membership is not None and membership.role in policies.IDENTITY_ROLES:
            for word in query.split():
                match |= Q(identity__given_name__icontains=word) | Q(
                    identity__family_name__icontains=word
                )
        clients = clients.filter(match)
    if phase:
        clients = clients.filter(phase=phase)
    # The identity is one-to-one and the care team an EXISTS: no row repeats, no DISTINCT.
    return clients.order_by("code")


def client_for_user(
    membership: Membership | None, code: str, *, with_identity: bool = False
) -> Client:
    """The client with this code if the member may see it; 404 otherwise. `with_identity`
    reads the identity in the same query (for a page that shows it to a role that may).
    Every client page asks it: its SQL is compiled once per member for any code."""
    related = ("clinic", "identity") if with_identity else ("clinic",)
    found = _client_sql.bound(
        ("client", member_key(membership), with_identity),
        lambda code: (
            clients_visible_to(membership).select_related(*related).filter(code=code)
        ).order_by("pk")[:1],
        code=code.strip().upper(),
    ).objects()
    if not found:
        raise Http404("No such client.")
    client: Client = found[0]
    return client


_client_sql = CompiledQueries()


def member_key(membership: Membership | None) -> tuple[object, ...]:
    """What a query scoped to the member is built from: their id, role and clinic."""
    if membership is None:
        return (None,)
    return (membership.pk, membership.role, membership.clinic_id)


def care_team_for(client: Client) -> QuerySet[CareTeamMember]:
    return client.care_team.select_related("membership__user").order_by("role", "added_at")


def care_team_loaded(client: Client) -> list[CareTeamMember]:
    """`care_team_for(client)` read at once (the overview's), its SQL compiled once per
    process for any client."""
    team: list[CareTeamMember] = _client_sql.bound(
        "care team", lambda client_id: care_team_for(Client(pk=client_id)), client_id=client.pk
    ).objects()
    for member in team:
        member.client = client  # as the client's related manager does
    return team


def care_team_placement_for_user(
    membership: Membership | None, code: str, pk: int
) -> CareTeamMember:
    """One placement on the care team of a client the member sees (404 otherwise), if the
    member may change that care team (403 otherwise)."""
    client = client_for_user(membership, code)
    if not policies.can_manage_care_team(membership, client):
        raise PermissionDenied
    placement = care_team_for(client).filter(pk=pk).first()
    if placement is None:
        raise Http404("No such care team member.")
    return placement


def care_team_candidates(membership: Membership, client: Client) -> QuerySet[Membership]:
    """Active staff of the member's clinic who may join this client's care team and are not
    on it yet."""
    return (
        staff_of_clinic(membership)
        .filter(is_active=True, role__in=policies.CARE_TEAM_MEMBER_ROLES)
        .exclude(care_assignments__client=client)
    )


def care_team_candidate_choices(membership: Membership, client: Client) -> list[tuple[int, str]]:
    """`care_team_candidates` as the picker's choices, (id, "name (role)"), in its order: one
    query compiled once per process for any clinic and client (building the ORM's anti-join
    took longer than the rest of the care-team card). The form that takes a submission still
    checks the member against `care_team_candidates`."""
    rows = _candidates_sql.bound(
        "candidates",
        lambda clinic_id, client_id: care_team_candidates(
            Membership(clinic_id=clinic_id), Client(pk=client_id)
        ).values_list("pk", "user__first_name", "user__last_name", "user__email", "role"),
        clinic_id=membership.clinic_id,
        client_id=client.pk,
    ).rows()
    labels = dict(Membership._meta.get_field("role").flatchoices)
    return [
        (pk, f"{f'{first} {last}'.strip() or email} ({labels.get(role, role)})")
        for pk, first, last, email, role in rows
    ]


_candidates_sql = CompiledQueries()


def staff_of_clinic(membership: Membership) -> QuerySet[Membership]:
    """Staff of the member's own clinic (for clinic admins and care-team pickers)."""
    return (
        Membership.objects.filter(clinic_id=membership.clinic_id)
        .select_related("user")
        .order_by("-is_active", "role", "user__email")
    )


def staff_member_for_admin(membership: Membership | None, pk: int) -> Membership:
    if membership is None or not policies.can_manage_staff(membership):
        raise Http404("No such staff member.")
    found = staff_of_clinic(membership).filter(pk=pk).first()
    if found is None:
        raise Http404("No such staff member.")
    return found


def audit_events_for(
    membership: Membership | None,
    *,
    action: str = "",
    client_code: str = "",
    actor: str = "",
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[AuditEvent]:
    """The audit rows of the member's own clinic, newest first (clinic admins only: 403)."""
    if membership is None or not policies.can_read_audit(membership):
        raise PermissionDenied
    return audit_events_of_clinic(
        membership.clinic_id,
        action=action,
        client_code=client_code,
        actor=actor,
        since=since,
        until=until,
    )
