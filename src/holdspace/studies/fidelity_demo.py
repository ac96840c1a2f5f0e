"""`holdspace demo`: a fidelity checklist for the demo study and ratings of its sessions.

SYNTHETIC: the checklist's items are the demo's own words (site-defined, as every checklist in
Holdspace is), and the ratings are drawn by a fixed generator. Each site's medical lead rates
the started medicine sessions of the site's enrolled clients, from a recording.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from holdspace.people.actors import Actor
from holdspace.people.models import Membership, Role

from . import fidelity
from .demo import STUDY_CODE
from .models import Study

if TYPE_CHECKING:
    from holdspace.core.extensions import DemoContext

DEMO_ITEMS = [
    "Setting prepared as agreed with the client",
    "Followed the client's own process",
    "Checked in on safety and consent",
    "Supported the client's return and closing",
]


def demo_fidelity(context: DemoContext) -> None:
    study = Study.objects.filter(code=STUDY_CODE).first()
    if context.clinic.slug != "south" or study is None:
        return  # the demo study is made on the second clinic's turn
    rng = random.Random(13)  # noqa: S311  (synthetic demo data, not security)
    sponsor_lead = Membership.objects.get(
        clinic=study.sponsor_clinic, role=Role.MEDICAL_LEAD, user__email__startswith="lead@"
    )
    fidelity.checklist_define(
        by=Actor.command_line(sponsor_lead),
        study=study,
        items=DEMO_ITEMS,
        scale_min=0,
        scale_max=4,
        scale_note="0 not done, 2 partly, 4 fully (demo checklist)",
    )
    for site in study.sites.select_related("clinic"):
        lead = Membership.objects.filter(
            clinic=site.clinic, role=Role.MEDICAL_LEAD, user__email__startswith="lead@"
        ).first()
        if lead is None:
            continue
        for session in fidelity.rateable_sessions(lead, study):
            if not fidelity.therapists_of(session):
                continue
            fidelity.rating_record(
                by=Actor.command_line(lead),
                study=study,
                session=session,
                source="recording",
                answers={str(i): rng.choice([1, 2, 2, 3, 3, 4, 4]) for i in range(1, 5)},
            )
