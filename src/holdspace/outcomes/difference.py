"""The difference, for one client: each prior experience recorded at intake beside each medicine
session of this course, with the set-and-setting factors as rows, in plain words.

Built from the owning apps' records (screening's prior experiences; courses, preparation and
sessions for the course); read it through `selectors.difference_for_user`, which applies the
policy. Values are short codes ("yes", "no", "not_recorded", ...) with a plain-words detail, so
the page and the API say the same thing.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from holdspace.courses import selectors as courses_selectors
from holdspace.courses.models import Course, VisitKind
from holdspace.measures.models import Score
from holdspace.measures.services import RETROSPECTIVE_INSTRUMENTS
from holdspace.people.models import Client
from holdspace.preparation.models import Preparation
from holdspace.screening import selectors as screening_selectors
from holdspace.screening.models import Context, PriorExperience
from holdspace.sessions.models import MedicineSession

FACTORS = {
    "prepared": gettext_lazy("Prepared beforehand"),
    "intention": gettext_lazy("An intention stated"),
    "sober_person": gettext_lazy("A sober person present"),
    "quiet_room": gettext_lazy("A quiet room"),
    "co_used": gettext_lazy("Other substances taken as well"),
    "integration": gettext_lazy("Integration afterwards"),
    "how_it_went": gettext_lazy("How it went"),
    "adverse_events": gettext_lazy("Adverse events"),
}
# The acute-experience measures filled the day after each medicine session, and the ones that
# may be filled retrospectively about an earlier experience (the same list, owned by measures).
ACUTE_INSTRUMENTS = RETROSPECTIVE_INSTRUMENTS
NOT_RECORDED = "not_recorded"
LOUD_CONTEXTS = {Context.PARTY, Context.FESTIVAL}


def _cell(value: str, detail: str = "") -> dict[str, str]:
    if value == NOT_RECORDED and not detail:
        detail = _("not recorded")
    return {"value": value, "detail": detail}


def _yes_no(flag: bool, yes: str, no: str) -> dict[str, str]:
    return _cell("yes", yes) if flag else _cell("no", no)


def retrospective_scores(client: Client) -> dict[int, dict[str, float]]:
    """The acute measures filled retrospectively about each earlier experience (the latest
    response per experience and instrument), in one query."""
    found: dict[int, dict[str, float]] = {}
    for experience_id, code, total in (
        Score.objects.filter(
            client=client,
            instrument_code__in=ACUTE_INSTRUMENTS,
            total__isnull=False,
            response__retrospective=True,
            response__prior_experience__isnull=False,
        )
        .order_by("observed_on", "pk")
        .values_list("response__prior_experience", "instrument_code", "total")
    ):
        found.setdefault(experience_id, {})[code] = float(total or 0)  # never null: filtered
    return found


def prior_column(
    experience: PriorExperience, measures: dict[str, float] | None = None
) -> dict[str, Any]:
    place = experience.get_context_display()
    loud = experience.context in LOUD_CONTEXTS
    measures = measures or {}
    return {
        "kind": "prior",
        "experience_id": experience.pk,
        "title": _("%(substance)s, %(place)s")
        % {
            "substance": experience.get_substance_display(),
            "place": place.lower(),
        },
        "times": experience.times,
        "last_use": experience.last_use,
        "factors": {
            "prepared": _cell(NOT_RECORDED),
            "intention": _cell("yes", _("an intention was stated"))
            if experience.intention.strip()
            else _cell(NOT_RECORDED),
            "sober_person": _yes_no(
                experience.sober_person_present,
                _("a sober person was there"),
                _("no sober person was there"),
            ),
            "quiet_room": _cell("no", place) if loud else _cell(NOT_RECORDED, place),
            "co_used": _cell("yes", experience.co_used_substances)
            if experience.co_used_substances.strip()
            else _cell(NOT_RECORDED),
            "integration": _cell(NOT_RECORDED),
            "how_it_went": _cell(experience.how_it_went, experience.get_how_it_went_display()),
            "adverse_events": _cell(NOT_RECORDED),
        },
        # Filled in retrospectively, looking back (the sessions' are filled the next day).
        "measures_retrospective": True,
        "measures": {code: measures.get(code) for code in ACUTE_INSTRUMENTS},
    }


def session_columns(client: Client, course: Course) -> list[dict[str, Any]]:
    now = timezone.now()
    visits = list(courses_selectors.visits_of_course(course).filter(cancelled=False))
    preparation_done = [v for v in visits if v.kind == VisitKind.PREPARATION and v.starts_at <= now]
    intention = (
        Preparation.objects.filter(course=course, client=client).exclude(intentions="").exists()
    )
    sessions = (
        MedicineSession.objects.filter(client=client, visit__course=course)
        .select_related("visit")
        .prefetch_related("team", "doses", "adverse_events", "visit__followers")
        .order_by("visit__starts_at")
    )
    acute: dict[tuple[str, str], float] = {}
    for code, timepoint, total in Score.objects.filter(
        client=client, instrument_code__in=ACUTE_INSTRUMENTS, total__isnull=False
    ).values_list("instrument_code", "timepoint", "total"):
        if timepoint and total is not None:
            acute[(code, timepoint)] = total
    columns = []
    for session in sessions:
        visit = session.visit
        before = [v for v in preparation_done if v.starts_at < visit.starts_at]
        team = len(session.team.all())
        doses = [d for d in session.doses.all() if d.given]
        integration = [
            v
            for v in visit.followers.all()
            if v.kind == VisitKind.INTEGRATION and not v.cancelled and v.starts_at <= now
        ]
        events = list(session.adverse_events.all())
        serious = sum(1 for e in events if e.serious)
        quiet = session.checklist.get("room_quiet_private") if session.checklist else None
        columns.append(
            {
                "kind": "session",
                "title": _("Medicine session %(number)s") % {"number": visit.number},
                "date": timezone.localdate(visit.starts_at),
                "factors": {
                    "prepared": _yes_no(
                        bool(before),
                        _("%(count)s preparation visits before") % {"count": len(before)},
                        _("no preparation visit before"),
                    ),
                    "intention": _cell("yes", _("stated in preparation"))
                    if intention
                    else _cell(NOT_RECORDED),
                    "sober_person": _yes_no(
                        team > 0,
                        _("%(count)s therapists, sober, in the room") % {"count": team},
                        _("no attestation recorded"),
                    ),
                    "quiet_room": _cell(NOT_RECORDED)
                    if quiet is None
                    else _yes_no(bool(quiet), _("a quiet, private room"), _("not quiet")),
                    "co_used": _cell(
                        "no",
                        _("only the planned medicine: %(doses)s")
                        % {"doses": " + ".join(f"{d.mg:g} mg" for d in doses if d.mg)},
                    )
                    if doses
                    else _cell(NOT_RECORDED),
                    "integration": _yes_no(
                        bool(integration),
                        _("%(count)s integration visits after") % {"count": len(integration)},
                        _("no integration visit yet"),
                    ),
                    "how_it_went": _cell(session.status, session.get_status_display()),
                    "adverse_events": _cell(
                        str(len(events)),
                        _("%(count)s recorded, %(serious)s serious")
                        % {"count": len(events), "serious": serious},
                    ),
                },
                "measures_retrospective": False,
                "measures": {
                    code: acute.get((code, f"after_medicine_session_{visit.number}"))
                    for code in ACUTE_INSTRUMENTS
                },
            }
        )
    return columns


def plain_summary(prior: list[dict[str, Any]], sessions: list[dict[str, Any]]) -> str:
    """Two sentences a client could also be shown."""
    if prior:
        uses = sum(c["times"] for c in prior)
        loud = sum(1 for c in prior if c["factors"]["quiet_room"]["value"] == "no")
        sober = sum(1 for c in prior if c["factors"]["sober_person"]["value"] == "yes")
        first = _(
            "Before this course: %(uses)s uses in %(kinds)s recorded experiences; %(loud)s of "
            "these at a party or festival, with a sober person there in %(sober)s."
        ) % {"uses": uses, "kinds": len(prior), "loud": loud, "sober": sober}
    else:
        first = _("No earlier experience was recorded at intake.")
    if sessions:
        prepared = sum(1 for c in sessions if c["factors"]["prepared"]["value"] == "yes")
        held = sum(1 for c in sessions if c["factors"]["sober_person"]["value"] == "yes")
        integrated = sum(1 for c in sessions if c["factors"]["integration"]["value"] == "yes")
        second = _(
            "In this course: %(n)s medicine sessions; %(prepared)s prepared beforehand, "
            "%(held)s with sober therapists in the room, %(integrated)s followed by "
            "integration."
        ) % {"n": len(sessions), "prepared": prepared, "held": held, "integrated": integrated}
    else:
        second = _("No medicine session in this course yet.")
    return f"{first} {second}"


def difference_of(client: Client) -> dict[str, Any]:
    retrospective = retrospective_scores(client)
    prior = [
        prior_column(e, retrospective.get(e.pk))
        for e in screening_selectors.experiences_for(client)
    ]
    course = courses_selectors.courses_of_client(client).order_by("-created_at").first()
    sessions = session_columns(client, course) if course is not None else []
    return {
        "code": client.code,
        "course": course.template_name if course is not None else None,
        "summary": plain_summary(prior, sessions),
        "factors": {key: str(label) for key, label in FACTORS.items()},
        "acute_instruments": list(ACUTE_INSTRUMENTS),
        "columns": prior + sessions,
    }
