"""Synthetic demo data. Every name, date and contact here is made up by Faker from a seed.

`demo_build` makes the two demo clinics through the same services the pages use, so the demo
is audited like real work. `demo_build_network` bulk-inserts a large network with the whole
arc for benchmarks (holdspace/network_demo).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.db import transaction
from django.utils import timezone
from faker import Faker

from holdspace.audit.models import Channel
from holdspace.audit.services import audit_record
from holdspace.core.extensions import DemoContext, demo_extensions
from holdspace.people import services
from holdspace.people.actors import Actor
from holdspace.people.models import (
    CODE_ALPHABET,
    CareTeamRole,
    Client,
    Clinic,
    Membership,
    Phase,
    Role,
    User,
)

# For the demo only, and documented in the README so a newcomer can sign in.
DEMO_PASSWORD = "holdspace-demo-2026"  # noqa: S105  (published demo login)
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # noqa: S105  (published demo)

DEMO_CLINICS = [("north", "Holdspace North (demo)", 24), ("south", "Holdspace South (demo)", 16)]
DEMO_STAFF = [
    ("therapist", Role.THERAPIST),
    ("therapist2", Role.THERAPIST),
    ("lead", Role.MEDICAL_LEAD),
    ("coordinator", Role.COORDINATOR),
    ("researcher", Role.RESEARCHER),
    ("admin", Role.CLINIC_ADMIN),
    ("rater", Role.BLINDED_RATER),  # studies: outcome assessments only
    ("monitor", Role.STUDY_MONITOR),  # studies: data queries and deviations
]
# Roughly how a running clinic's clients spread over the arc of care.
PHASE_WEIGHTS = {
    Phase.SCREENING: 7,
    Phase.PREPARATION: 4,
    Phase.MEDICINE_SESSIONS: 4,
    Phase.INTEGRATION: 4,
    Phase.FOLLOW_UP: 3,
    Phase.CLOSED: 2,
}


@dataclass
class DemoSummary:
    clinics: int
    staff: int
    clients: int


def demo_email(login: str, clinic_slug: str) -> str:
    return f"{login}@{clinic_slug}.demo"


def demo_build(*, seed: int = 1, with_cohort: bool = True) -> DemoSummary:
    rng = random.Random(seed)  # noqa: S311  (reproducible synthetic data, not security)
    fake = Faker(["no_NO", "en_GB"])
    fake.seed_instance(seed)
    staff_count = client_count = 0
    codes: set[str] = set()
    with transaction.atomic():
        for slug, name, n_clients in DEMO_CLINICS:
            clinic = Clinic.objects.create(name=name, slug=slug)
            members = {}
            for login, role in DEMO_STAFF:
                members[login] = _demo_staff(clinic, login, role, fake)
                staff_count += 1
            coordinator = Actor.command_line(members["coordinator"])
            clinic_clients: list[Client] = []
            for _i in range(n_clients):
                phase = rng.choices(list(PHASE_WEIGHTS), weights=list(PHASE_WEIGHTS.values()))[0]
                client = services.client_create(
                    by=coordinator,
                    given_name=fake.first_name(),
                    family_name=fake.last_name(),
                    birth_date=fake.date_of_birth(minimum_age=21, maximum_age=70),
                    email=f"{fake.unique.user_name()}@example.org",
                    phone=fake.phone_number(),
                    phase=phase,
                    code=_unique_code(rng, codes),
                )
                client_count += 1
                # Each client has a lead therapist and, usually, a co-therapist and the lead.
                first, second = rng.sample(["therapist", "therapist2"], 2)
                services.care_team_add(
                    by=coordinator,
                    client=client,
                    member=members[first],
                    role=CareTeamRole.LEAD_THERAPIST,
                )
                if rng.random() < 0.5:
                    services.care_team_add(
                        by=coordinator,
                        client=client,
                        member=members[second],
                        role=CareTeamRole.CO_THERAPIST,
                    )
                services.care_team_add(
                    by=coordinator, client=client, member=members["lead"], role=CareTeamRole.MEDICAL
                )
                clinic_clients.append(client)
            # Later parts of the arc (screening, measures, courses, ...) add their own data.
            context = DemoContext(
                clinic=clinic,
                members=members,
                clients=clinic_clients,
                rng=rng,
                fake=fake,
                today=timezone.localdate(),
                with_cohort=with_cohort,
            )
            for extend in demo_extensions():
                extend(context)
    return DemoSummary(len(DEMO_CLINICS), staff_count, client_count)


def _demo_staff(clinic: Clinic, login: str, role: str, fake: Faker) -> Membership:
    user = User.objects.create_user(
        email=demo_email(login, clinic.slug),
        password=DEMO_PASSWORD,
        first_name=fake.first_name(),
        last_name=fake.last_name(),
    )
    TOTP.activate(user, DEMO_TOTP_SECRET)
    RecoveryCodes.activate(user)
    membership = Membership.objects.create(user=user, clinic=clinic, role=role)
    audit_record(
        action="staff.create",
        actor_label="holdspace demo",
        clinic_id=clinic.pk,
        target=membership,
        fields=["email", "role"],
        channel=Channel.CLI,
    )
    return membership


def _unique_code(rng: random.Random, taken: set[str]) -> str:
    while True:
        code = "HS-" + "".join(rng.choice(CODE_ALPHABET) for _ in range(6))
        if code not in taken:
            taken.add(code)
            return code
