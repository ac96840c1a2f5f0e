"""Every write to clinics, staff and clients: permission, transaction and audit in one place."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from holdspace.core.extensions import care_team_refusal

from . import policies
from .actors import Actor
from .auditing import audit_read, audit_write
from .models import (
    CareTeamMember,
    CareTeamRole,
    Client,
    ClientIdentity,
    Clinic,
    Membership,
    Phase,
    Role,
    User,
    new_client_code,
)


def client_list_record(*, by: Actor) -> None:
    """Audit that the member opened a list of clients (pages and API alike)."""
    audit_read(by, "client.list")


def client_view_record(*, by: Actor, client: Client, identity_shown: bool) -> None:
    """Audit one read of a client's record, naming the identity when it was shown."""
    audit_read(
        by,
        "client.view",
        client=client,
        target=client,
        fields=["identity"] if identity_shown else [],
    )


def client_create(
    *,
    by: Actor,
    given_name: str,
    family_name: str,
    birth_date: dt.date | None = None,
    email: str = "",
    phone: str = "",
    # Only the demo passes a phase (the stage it goes on to build records for); the phase is
    # derived from the record (courses/phase.py) and replaced as soon as the record changes.
    phase: str = Phase.SCREENING,
    code: str | None = None,
) -> Client:
    """Open a client record with its separate identity. A creating therapist joins the team."""
    membership = by.membership
    if membership is None or not policies.can_create_client(membership):
        raise PermissionDenied("You may not open client records.")
    with transaction.atomic():
        if code is not None:  # the demo draws codes from its seed, to be reproducible
            client = Client.objects.create(clinic=membership.clinic, code=code, phase=phase)
        else:
            client = _client_with_fresh_code(clinic=membership.clinic, phase=phase)
        ClientIdentity.objects.create(
            client=client,
            given_name=given_name.strip(),
            family_name=family_name.strip(),
            birth_date=birth_date,
            email=email.strip(),
            phone=phone.strip(),
        )
        audit_write(
            by,
            "client.create",
            target=client,
            client_code=client.code,
            fields=["phase", "given_name", "family_name", "birth_date", "email", "phone"],
        )
        if membership.role == Role.THERAPIST:
            _care_team_insert(
                by=by, client=client, member=membership, role=CareTeamRole.LEAD_THERAPIST
            )
    return client


def _client_with_fresh_code(*, clinic: Clinic, phase: str) -> Client:
    for _attempt in range(10):
        try:
            with transaction.atomic():
                return Client.objects.create(clinic=clinic, code=new_client_code(), phase=phase)
        except IntegrityError:
            continue  # a collision among 32^6 codes: draw again
    raise RuntimeError("Could not draw a free client code.")


def care_team_add(*, by: Actor, client: Client, member: Membership, role: str) -> CareTeamMember:
    policies.require(
        by, policies.can_manage_care_team, client, message="You may not change this care team."
    )
    if member.clinic_id != client.clinic_id or not member.is_active:
        raise ValidationError(
            {"member": "Only active staff of this clinic can join the care team."}
        )
    if member.role not in {Role.THERAPIST, Role.MEDICAL_LEAD, Role.COORDINATOR}:
        raise ValidationError({"member": "This role does not treat clients."})
    refusal = care_team_refusal(client, member)
    if refusal:
        raise ValidationError({"member": refusal})
    with transaction.atomic():
        return _care_team_insert(by=by, client=client, member=member, role=role)


def _care_team_insert(
    *, by: Actor, client: Client, member: Membership, role: str
) -> CareTeamMember:
    if CareTeamMember.objects.filter(client=client, membership=member).exists():
        raise ValidationError({"member": "Already on this care team."})
    placed = CareTeamMember.objects.create(client=client, membership=member, role=role)
    audit_write(
        by, "care_team.add", target=placed, client_code=client.code, fields=["membership", "role"]
    )
    return placed


def care_team_remove(*, by: Actor, placement: CareTeamMember) -> None:
    """Take a staff member off a care team. The audit row keeps who was on it and when."""
    policies.require(
        by,
        policies.can_manage_care_team,
        placement.client,
        message="You may not change this care team.",
    )
    with transaction.atomic():
        audit_write(
            by,
            "care_team.remove",
            target=placement,
            client_code=placement.client.code,
            fields=["membership"],
        )
        placement.delete()


def staff_create(
    *, by: Actor, email: str, first_name: str, last_name: str, role: str
) -> Membership:
    """Add a staff member to the admin's clinic. They set their own password by email link."""
    admin = by.membership
    if admin is None or not policies.can_manage_staff(admin):
        raise PermissionDenied("You may not manage staff.")
    email = email.strip().lower()
    with transaction.atomic():
        user = User.objects.filter(email__iexact=email).first()
        if user is not None and Membership.objects.filter(user=user, is_active=True).exists():
            raise ValidationError({"email": "This person already works at a clinic in Holdspace."})
        if user is None:
            user = User.objects.create_user(
                email=email,
                password=None,
                first_name=first_name.strip(),
                last_name=last_name.strip(),
            )
        membership = Membership.objects.create(user=user, clinic=admin.clinic, role=role)
        audit_write(by, "staff.create", target=membership, fields=["email", "role"])
    return membership


def staff_update(*, by: Actor, membership: Membership, role: str, is_active: bool) -> Membership:
    admin = by.membership
    if (
        admin is None
        or not policies.can_manage_staff(admin)
        or membership.clinic_id != admin.clinic_id
    ):
        raise PermissionDenied("You may not manage this staff member.")
    if membership.pk == admin.pk and (not is_active or role != Role.CLINIC_ADMIN):
        raise ValidationError({"role": "You cannot remove your own admin role; ask another admin."})
    changed = [
        name
        for name, new in (("role", role), ("is_active", is_active))
        if getattr(membership, name) != new
    ]
    if not changed:
        return membership
    with transaction.atomic():
        membership.role, membership.is_active = role, is_active
        membership.save(update_fields=changed)
        audit_write(by, "staff.update", target=membership, fields=changed)
    return membership


def clinic_settings_update(*, by: Actor, idle_timeout_minutes: int) -> Clinic:
    admin = by.membership
    if admin is None or not policies.can_manage_staff(admin):
        raise PermissionDenied("You may not change clinic settings.")
    clinic = admin.clinic
    if clinic.idle_timeout_minutes == idle_timeout_minutes:
        return clinic
    with transaction.atomic():
        clinic.idle_timeout_minutes = idle_timeout_minutes
        clinic.full_clean()
        clinic.save(update_fields=["idle_timeout_minutes"])
        audit_write(by, "clinic.settings_update", target=clinic, fields=["idle_timeout_minutes"])
    return clinic
