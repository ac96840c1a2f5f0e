"""The blinded rater reaches no arm-revealing data by any URL, method or API route.

A two-arm study whose arms are named by canaries, two randomised clients with guesses, one
assessment for the rater to do and one done, an open query. Then every studies page and API
route is called as the rater with GET, POST, PUT, PATCH and DELETE, and every other page and
API route with GET (tests/core/test_canary_walk.py sends every method to every route as the
rater, and checks the canaries of the clinical record: notes, sessions, doses, adverse events).

The rater may see the arms' names only as the choices of their own guess (the `arm` select on
their assessment page); nowhere may an answer show a canary otherwise, nor any client's code but
on the rater's own pages, and no answer is a 5xx. The rater's pages open (200) only under
/studies/rater/, the Today page, the account pages, the public health check and the API's own
description and studies list (empty).
"""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from holdspace.api.api import api
from holdspace.people.actors import Actor
from holdspace.people.models import Role
from holdspace.studies import services

from ..conftest import signed_in
from ..factories import MembershipFactory

METHODS = ("get", "post", "put", "patch", "delete")
# Pages with nothing of any client: the shell, the account, the API's own description.
OPEN_TO_RATER = (
    r"^/studies/rater/",
    r"^/today/$",
    r"^/api/v1/studies$",
    r"^/account/",
    r"^/healthz$",
    r"^/favicon.ico$",
    r"^/api/v1/(docs|openapi.json)$",
)
SKIPPED = ("accounts/", "platform-admin/", "static/", "media/")


def _walk(patterns, prefix=""):  # type: ignore[no-untyped-def]
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route


def _urls(values: dict[str, object]) -> list[str]:
    routes = [
        r
        for r in _walk(get_resolver().url_patterns)
        if not r.startswith(SKIPPED) and not r.startswith("api/v1/") and "(?P<" not in r
    ]
    routes += [r for r in _walk(api.urls[0], "api/v1/") if r != "api/v1/"]
    urls = []
    for route in routes:
        route = route.lstrip("^").rstrip("$").replace("\\Z", "")
        route = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values.get(m.group(1), 1)), route)
        url = "/" + re.sub(r"\{(\w+)\}", lambda m: str(values.get(m.group(1), 1)), route)
        if url not in urls:
            urls.append(url)
    return urls


@pytest.mark.django_db
def test_the_blinded_rater_reaches_no_arm_by_any_route(clinics, lead, coordinator, therapist):
    rater = MembershipFactory(
        clinic=clinics.north, role=Role.BLINDED_RATER, user__email="rater@north.test"
    )
    monitor = MembershipFactory(clinic=clinics.north, role=Role.STUDY_MONITOR)
    study = services.study_create(
        by=Actor.command_line(lead),
        code="walk",
        title="Walk",
        arms=[("a", "ARMCANARY-A", 1), ("b", "ARMCANARY-B", 1)],
        sites=[clinics.north],
        strata=["s"],
        block_sizes=[2],
        seed="walk",
        per_stratum=4,
    )
    canaries = ["ARMCANARY-A", "ARMCANARY-B"]
    actor = Actor.command_line(coordinator)
    assessments = []
    for client in (clinics.client, clinics.other_client):
        enrolment = services.enrol(by=actor, study=study, client=client, stratum="s")
        enrolment = services.randomise(by=actor, enrolment=enrolment)
        assessments.append(
            services.assessment_schedule(
                by=actor,
                enrolment=enrolment,
                timepoint="endpoint",
                due_on=enrolment.enrolled_at.date(),
                rater=rater.user,
            )
        )
        services.guess_record(
            by=actor,
            enrolment=enrolment,
            guesser="client",
            timepoint="endpoint",
            arm=enrolment.slot.arm,
            confidence=80,
        )
    services.rating_record(
        by=Actor.command_line(rater),
        assessment=assessments[1],
        answers={str(i): 1 for i in range(1, 21)},
    )
    query = services.query_raise(
        by=Actor.command_line(monitor), enrolment=assessments[0].enrolment, item="x", question="y"
    )
    mine = clinics.client.code
    others = [clinics.south_client.code]
    values = {
        "pk": study.pk,
        "study_id": study.pk,
        "query_pk": query.pk,
        "code": mine,
        "client_code": mine,
    }
    browser = signed_in(rater)
    violations = []
    urls = [*_urls(values), f"/studies/rater/{assessments[0].pk}/"]
    assert len(urls) > 60
    for url in urls:
        # Every method on the studies API and pages; elsewhere GET (the canary walk sends
        # every method everywhere as the rater).
        methods = METHODS if url.startswith(("/api/v1/studies", "/studies/")) else ("get",)
        for method in methods:
            response = getattr(browser, method)(url)
            where = f"{method.upper()} {url} -> {response.status_code}"
            if response.status_code >= 500:
                violations.append(f"{where}: server error")
            text = b"" if getattr(response, "streaming", False) else response.content
            body = re.sub(
                r'<select name="arm".*?</select>', "", text.decode(errors="replace"), flags=re.S
            )
            if any(canary in body for canary in canaries):
                violations.append(f"{where}: shows an arm")
            if any(code in body for code in others):
                violations.append(f"{where}: shows a client the rater does not assess")
            # (A refusal may echo the address asked for, which holds the code.)
            ok = 200 <= response.status_code < 300
            if ok and mine in body and not url.startswith("/studies/rater/"):
                violations.append(f"{where}: shows the rated client outside the rater's pages")
            if (
                method == "get"
                and 200 <= response.status_code < 300
                and not url.startswith("/api/")
                and not any(re.search(p, url) for p in OPEN_TO_RATER)
            ):
                violations.append(f"{where}: open to the rater")
    assert browser.get("/api/v1/studies").json() == []
    assert not violations, "\n".join(violations)
