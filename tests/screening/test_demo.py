"""The demo adds realistic screening histories through the services."""

from __future__ import annotations

import random

from django.utils import timezone
from faker import Faker

from holdspace.core.extensions import DemoContext, demo_extensions
from holdspace.people.demo import DEMO_PASSWORD
from holdspace.people.models import Role
from holdspace.screening import selectors
from holdspace.screening.demo import demo_screening
from holdspace.screening.models import PriorExperience, ScreeningDecision

from ..factories import ClientFactory, ClinicFactory, MembershipFactory


def test_the_demo_extension_is_registered():
    assert demo_screening in demo_extensions()


def test_the_demo_has_washouts_an_maoi_party_users_and_signed_decisions(db):
    clinic = ClinicFactory()
    lead = MembershipFactory(clinic=clinic, role=Role.MEDICAL_LEAD, user__password=DEMO_PASSWORD)
    members = {"coordinator": MembershipFactory(clinic=clinic, role=Role.COORDINATOR), "lead": lead}
    clients = [ClientFactory(clinic=clinic) for _ in range(10)]
    demo_screening(
        DemoContext(
            clinic=clinic, members=members, clients=clients, rng=random.Random(1),  # noqa: S311
            fake=Faker(), today=timezone.localdate(),
        )
    )  # fmt: skip
    washouts = [c for c in clients if selectors.earliest_medicine_session_date(c) is not None]
    assert len(washouts) >= 3  # two SSRI/SNRI washouts and the MAOI
    assert any(p.drug_class == "maoi_irreversible" for p in selectors.washout_plans_for(clients[3]))
    assert PriorExperience.objects.filter(times__gte=30, context="party").count() >= 2
    assert ScreeningDecision.objects.count() == 4
    assert selectors.screening_eligibility(clients[8]).status == "not_eligible"
