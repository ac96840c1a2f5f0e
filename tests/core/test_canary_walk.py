"""Canaries in one client's record, then every page and API route, every method, every persona.

A distinct canary string is written into every free-text and identity field of one demo
client's record across the arc (see `arc.CANARY_FIELDS`). Then every URL pattern of the site
and every API route is called with GET, POST, PUT, PATCH and DELETE, with `{}` and, where one
can be built, a valid body, as a researcher, a therapist off the care team, the clinic admin, a
medical lead of the other clinic, a blinded rater and a portal user who is another client.
None of them may read any of this client's canaries (researchers see pseudonymous codes only;
the others nothing of the record); no answer is a 5xx; nothing they send changes the client's
record. Last, the client's own care-team therapist reads every page and route: each 2xx answer
that shows a canary must have written an audit row for the client.

Every violation is collected and the test fails listing them all.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
from django.apps import apps
from django.core.cache import cache
from django.test import Client as HttpClient
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from holdspace.api.api import api
from holdspace.audit.models import AuditEvent
from holdspace.people.models import Client, User

from ..conftest import sign_in
from ..factories import UserFactory
from .arc import CANARY_FIELDS, Arc, build_arc, fingerprint, plant_canaries

pytestmark = pytest.mark.canary_walk

METHODS = ("get", "post", "put", "patch", "delete")
# Public or self-guarding parts of the site: sign-in pages, the platform admin, static files.
SKIPPED_PREFIXES = ("accounts/", "platform-admin/", "static/", "media/")


def _walk(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern


def _routes() -> list[tuple[str, str]]:
    """(kind, route) for every site URL pattern and API route."""
    routes = []
    for route, _pattern in _walk(get_resolver().url_patterns):
        if route.startswith(SKIPPED_PREFIXES) or route.startswith("api/v1/") or "(?P<" in route:
            continue
        routes.append(("site", route))
    for route, pattern in _walk(api.urls[0], "api/v1/"):
        if pattern.name != "api-root":
            routes.append(("api", route))
    return routes


def _site_pk(route: str, arc: Arc, ids: dict[str, Any]) -> Any:
    """A `pk` that resolves for the route's own kind of record."""
    by_route = [
        (r"care-team/", ids["care_team_id"]),
        (r"clinic/staff/", arc.staff["therapist"].pk),
        (r"medications/", ids["medication_id"]),
        (r"assignments/", ids["assignment_id"]),
        (r"alerts/", ids["alert_id"]),
        (r"calendar/therapist/", arc.staff["therapist"].pk),
        (r"calendar/room/", ids["room_id"]),
        (r"courses/client/", ids["course_id"]),
        (r"notes/", ids["note_id"]),
        (r"^sessions/", ids["session_id"]),
    ]
    return next((value for pattern, value in by_route if re.search(pattern, route)), 1)


def _fill(route: str, arc: Arc, ids: dict[str, Any]) -> str:
    values = {
        **ids,
        "pk": _site_pk(route, arc, ids),
        "visit_pk": ids["visit_id"],
        "instrument": ids["instrument_code"],
        "token": "not-a-token",
        "action": "note",
    }
    route = route.lstrip("^").rstrip("$").replace("\\Z", "")
    route = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values.get(m.group(1), 1)), route)
    return "/" + re.sub(r"\{(\w+)\}", lambda m: str(values.get(m.group(1), 1)), route)


class _FormFields(HTMLParser):
    """The first POST form's fields as a browser would send them (for a valid body)."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] | None = None
        self._in_form = False
        self._done = False
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if self._done:
            return
        if (
            tag == "form"
            and a.get("method", "").lower() == "post"
            and "/i18n/" not in a.get("action", "")
        ):
            self._in_form, self.fields = True, {}
        if not self._in_form or self.fields is None or not a.get("name"):
            return
        name = a["name"]
        if tag == "input" and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") in ("checkbox", "radio"):
                if "checked" in a or name not in self.fields:
                    self.fields[name] = a.get("value", "on")
            else:
                self.fields[name] = a.get("value", "")
        elif tag == "select":
            self._select = name
        elif (
            tag == "option"
            and self._select
            and ("selected" in a or self._select not in self.fields)
        ):
            self.fields[self._select] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = name
            self.fields[name] = ""

    def handle_data(self, data: str) -> None:
        if self._textarea and self.fields is not None:
            self.fields[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form" and self._in_form:
            self._in_form, self._done = False, True


def _page_form(browser: HttpClient, url: str) -> dict[str, str] | None:
    response = browser.get(url)
    if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
        return None
    parser = _FormFields()
    parser.feed(response.content.decode(errors="replace"))
    return parser.fields or None


def _api_bodies(url: str, arc: Arc, ids: dict[str, Any], browser: HttpClient) -> dict[str, Any]:
    """Valid bodies by method for one API URL: what the care team reads back for PUT/PATCH,
    a small hand-written body for the collections that take POST."""
    now = timezone.now().isoformat()
    posts = [
        (r"/medications$", {"name": "sertraline", "dose": "25 mg"}),
        (r"/assignments$", {"instrument_code": ids["instrument_code"], "timepoint": "walk"}),
        (r"/responses$", {"instrument_code": ids["instrument_code"], "answers": {}}),
        (r"/score$", {"answers": {}}),
        (r"/addenda$", {"text": "walk addendum"}),
        (r"/integration/notes$", {"text": "walk note"}),
        (
            r"/vitals$",
            {"systolic": 120, "diastolic": 80, "heart_rate": 70, "temperature": "36.8"},
        ),
        (
            r"/doses$",
            {"kind": "supplemental", "substance": "MDMA HCl", "mg": "40", "lot_number": "W1"},
        ),
        (r"/notes$", {"kind": "note", "text": "walk"}),
        (r"/note$", {"text": "walk"}),
        (
            r"/events$",
            {
                "term": "walk",
                "onset_at": now,
                "severity": "mild",
                "valence": "negative",
                "relatedness": "possibly_related",
                "outcome": "recovered",
            },
        ),
        (r"/acknowledgements$", {"alert_id": ids["session_alert_id"], "action_taken": "walk"}),
        (r"^/api/v1/clients$", {"given_name": "Walk", "family_name": "Walker"}),
    ]
    bodies: dict[str, Any] = {}
    post = next((body for pattern, body in posts if re.search(pattern, url)), None)
    if post is not None:
        bodies["post"] = post
    current = browser.get(url)
    if current.status_code == 200 and "json" in current.get("Content-Type", ""):
        bodies["put"] = bodies["patch"] = current.json()
    return bodies


def _text(response: Any) -> str:
    if getattr(response, "streaming", False):
        body = b"".join(response.streaming_content)
    else:
        body = response.content
    headers = " ".join(f"{k}: {v}" for k, v in response.items())
    return headers + "\n" + body.decode(errors="replace")


def _send(browser: HttpClient, kind: str, method: str, url: str, body: Any) -> Any:
    if kind == "site" and method == "post":
        return browser.post(url, data=body)
    if method == "get":
        return browser.get(url)
    return getattr(browser, method)(url, data=json.dumps(body), content_type="application/json")


def _ids(arc: Arc) -> dict[str, Any]:
    get = apps.get_model
    client = arc.client
    first = lambda label, **f: get(label).objects.filter(**f).values_list("pk", flat=True).first()  # noqa: E731
    return {
        **arc.ids,
        "care_team_id": first("people.CareTeamMember", client=client),
        "assignment_id": first("measures.Assignment", client=client) or 1,
        "alert_id": first("measures.SafetyAlert", client=client),
        "session_alert_id": first("medicine_sessions.SessionAlert", session__client=client),
        "room_id": first("courses.Room", clinic=arc.clinic) or 1,
    }


def _portal_user(arc: Arc) -> User:
    """A portal account for another client of the clinic."""
    other = Client.objects.filter(clinic=arc.clinic).exclude(pk=arc.client.pk).first()
    user = UserFactory(email="portal@north.test")
    apps.get_model("portal", "PortalAccount").objects.create(
        user=user, client=other, invited_by=arc.staff["coordinator"]
    )
    return user


def _signed_in(user: User) -> HttpClient:
    return sign_in(HttpClient(), user)


@pytest.mark.requirement("REQ-PRV-002")
@pytest.mark.django_db(transaction=True)
def test_no_canary_reaches_a_role_that_may_not_read_it():
    arc = build_arc()
    plant_canaries(arc)
    assert {where.split("#")[0] for where, _kind in arc.canaries.values()} == {
        f"{label}.{name}" for label, name, _lookup, _kind in CANARY_FIELDS
    }
    ids = _ids(arc)
    routes = _routes()
    assert len(routes) > 60, "the walk lost its routes"

    care_team = _signed_in(arc.staff["therapist"].user)
    assert arc.client.care_team.filter(membership=arc.staff["therapist"]).exists()
    personas: dict[str, User] = {
        "researcher": arc.staff["researcher"].user,
        "therapist off the care team": arc.staff["off_team"].user,
        "clinic admin": arc.staff["admin"].user,
        "medical lead of the other clinic": arc.staff["south_lead"].user,
        "portal user (another client)": _portal_user(arc),
        # A blinded rater sees outcome-assessment visits only (holdspace.studies; the arms are
        # walked for the rater in tests/studies/test_rater_walk.py).
        "blinded rater": arc.staff["rater"].user,
    }
    assert not arc.client.care_team.filter(membership=arc.staff["off_team"]).exists()

    # Valid bodies, built before anyone writes: forms as the care team's pages show them.
    # ninja lists a path once per group of operations: walk each URL once.
    urls: list[tuple[str, str, str]] = []
    for kind, route in routes:
        url = _fill(route, arc, ids)
        if all(url != known for _k, _r, known in urls):
            urls.append((kind, route, url))
    bodies: dict[str, dict[str, Any]] = {}
    for kind, _route, url in urls:
        if kind == "api":
            bodies[url] = _api_bodies(url, arc, ids, care_team)
        else:
            form = _page_form(care_team, url)
            bodies[url] = {"post": form} if form else {}

    violations: list[str] = []
    requests = 0
    before = fingerprint(arc.client)
    probe = apps.get_model("integration", "JournalEntry").objects.create(
        client=arc.client, text="probe"
    )
    assert fingerprint(arc.client) != before, "the fingerprint misses a new row"
    probe.delete()
    assert fingerprint(arc.client) == before
    for persona, user in personas.items():
        browser = _signed_in(user)
        for kind, _route, url in urls:
            ran = False  # whether a view ran for an unsafe method (not a 405)
            for method in METHODS:
                sends: list[tuple[str, Any]] = [("{}", {})]
                if method in bodies[url]:
                    sends.append(("valid body", bodies[url][method]))
                for label, body in sends:
                    requests += 1
                    response = _send(browser, kind, method, url, body)
                    ran = ran or (method != "get" and response.status_code != 405)
                    where = f"{persona}: {method.upper()} {url} ({label}) -> {response.status_code}"
                    if response.status_code >= 500:
                        violations.append(f"{where}: server error")
                    text = _text(response)
                    leaked = [arc.canaries[c][0] for c in arc.canaries if c in text]
                    if leaked:
                        violations.append(f"{where}: shows {', '.join(sorted(leaked))}")
            if not ran:
                continue
            after = fingerprint(arc.client)
            if after != before:
                violations.append(f"{persona}: a request to {url} changed the client's record")
                before = after

    # The care team may read it all, and every read that shows the record is audited (a row
    # naming the client, or a list's row naming none).
    seen: set[str] = set()
    for _kind, _route, url in urls:
        requests += 1
        # A read repeated every second (the live monitor) is audited once per person and window
        # (people.auditing.audit_read_throttled): start each read with no window open.
        cache.clear()
        last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        response = care_team.get(url)
        if response.status_code >= 500:
            violations.append(f"care team: GET {url} -> {response.status_code}: server error")
        if not 200 <= response.status_code < 300:
            continue
        text = _text(response)
        shown = sorted(arc.canaries[c][0] for c in arc.canaries if c in text)
        seen.update(shown)
        audited = AuditEvent.objects.filter(
            id__gt=last, actor=arc.staff["therapist"].user, client_code__in=[arc.client.code, ""]
        )
        if shown and not audited.exists():
            violations.append(
                f"care team: GET {url} -> {response.status_code} shows "
                f"{', '.join(shown[:4])}{'…' if len(shown) > 4 else ''} with no audit row"
            )
    assert fingerprint(arc.client) == before, "the care team's reads changed the record"

    # The walk reaches the record: the care team sees the identity and the clinical notes.
    assert {"people.ClientIdentity.family_name", "integration.IntegrationNote.text"} <= {
        where.split("#")[0] for where in seen
    }, f"the care team saw only {sorted(seen)}"

    unseen = sorted(where for where, _kind in arc.canaries.values() if where not in seen)
    summary = f"{len(violations)} violations in {requests} requests over {len(urls)} routes"
    note = f"\n(no page or route shows these to the care team: {', '.join(unseen)})"
    assert not violations, summary + ":\n" + "\n".join(violations) + (note if unseen else "")
