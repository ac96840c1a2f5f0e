"""factory_boy factories for the domain. All data is synthetic."""

from __future__ import annotations

import factory
from allauth.mfa.totp.internal.auth import TOTP

from holdspace.people.models import (
    CareTeamMember,
    CareTeamRole,
    Client,
    ClientIdentity,
    Clinic,
    Membership,
    Phase,
    Role,
    User,
)

PASSWORD = "calm-room-sofa-2026"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


class ClinicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clinic

    name = factory.Sequence(lambda n: f"Test clinic {n}")
    slug = factory.Sequence(lambda n: f"clinic{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"staff{n}@example.org")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def with_totp(self, create: bool, extracted: bool | None, **kwargs: object) -> None:
        self.save()
        if create and extracted is not False:
            TOTP.activate(self, TOTP_SECRET)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    clinic = factory.SubFactory(ClinicFactory)
    role = Role.THERAPIST


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client
        skip_postgeneration_save = True

    clinic = factory.SubFactory(ClinicFactory)
    code = factory.Sequence(lambda n: f"HS-T{n:05d}")
    phase = Phase.PREPARATION
    identity = factory.RelatedFactory(
        "tests.factories.ClientIdentityFactory", factory_related_name="client"
    )


class ClientIdentityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClientIdentity

    client = factory.SubFactory(ClientFactory, identity=None)

    class Params:
        surname = factory.Faker("last_name")

    given_name = factory.Faker("first_name")
    # Tests assert that a family name is not on a page: a bare Faker name could be inside the
    # page's own words ("Chan" in "Change", "Ho" in "Home") or in a staff member's name (also
    # Faker's). Ending in -stad, it is in neither.
    family_name = factory.LazyAttribute(lambda identity: f"{identity.surname}stad")
    birth_date = factory.Faker("date_of_birth", minimum_age=25, maximum_age=65)
    email = factory.Sequence(lambda n: f"client{n}@example.org")


class CareTeamMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CareTeamMember

    client = factory.SubFactory(ClientFactory)
    membership = factory.SubFactory(MembershipFactory)
    role = CareTeamRole.LEAD_THERAPIST


def randomised_into_a_two_arm_study(lead, coordinator, client, code: str):  # type: ignore[no-untyped-def]
    """A two-arm study at the client's clinic (one stratum, blocks of 2) with the client
    enrolled and randomised: the enrolment."""
    from holdspace.people.actors import Actor
    from holdspace.studies import services

    study = services.study_create(
        by=Actor.command_line(lead),
        code=code,
        title=f"Study {code}",
        arms=[("a", "MDMA-assisted therapy", 1), ("b", "Placebo with therapy", 1)],
        sites=[client.clinic],
        strata=["s"],
        block_sizes=[2],
        seed=code,
        per_stratum=2,
    )
    actor = Actor.command_line(coordinator)
    enrolment = services.enrol(by=actor, study=study, client=client, stratum="s")
    return services.randomise(by=actor, enrolment=enrolment)
