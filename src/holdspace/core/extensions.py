"""Where the parts of the arc plug into the shell, so the shell never imports them.

Each app registers in its AppConfig.ready():
- a *client panel*: a partial template on the client overview, with its own context;
- a *banner source*: notices shown on every staff page (e.g. unacknowledged safety alerts). A
  source gives a query of four standard columns and turns its rows into banners; the shell asks
  every source's query at once, as one UNION, so all banners of a page cost one query;
- a *demo extension*: what `holdspace demo` adds for that part of the arc;
- a *Today panel*: what that part of the arc asks of this member today (the landing page);
- a *settings panel*: that part's clinic settings, summarised on the clinic settings page with
  a link to where they are edited (a TodayPanel: key, order, template, context);
- a *care-team check*: a reason a staff member must not join a client's care team that only a
  higher app knows (e.g. they rate that client blind in a study).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import CharField, IntegerField, QuerySet, Value
from django.db.models.functions import Cast

from .compiled import Compiled, compile_query
from .memo import BoundedMemo

if TYPE_CHECKING:
    from django.db.models.expressions import Combinable
    from django.http import HttpRequest
    from faker import Faker

    from holdspace.people.models import Client, Clinic, Membership


@dataclass(frozen=True)
class ClientPanel:
    """A region of the client overview. `context` returns None to hide the panel."""

    key: str
    order: int
    template: str
    context: Callable[[HttpRequest, Client], dict[str, Any] | None]


@dataclass(frozen=True)
class TodayPanel:
    """A region of the Today page. `context` returns None when it has nothing for this role."""

    key: str
    order: int
    template: str
    context: Callable[[HttpRequest, Membership], dict[str, Any] | None]


@dataclass(frozen=True)
class Banner:
    """A notice at the top of every staff page until its cause is dealt with."""

    level: str  # "act" (red), "watch" (amber) or "info"
    text: str
    url: str = ""


@dataclass(frozen=True)
class BannerRow:
    """One row of a banner source's query: what the columns mean is the source's own."""

    level: str
    label: str
    ref: int | None
    count: int | None


@dataclass(frozen=True)
class BannerSource:
    """Banners of one part of the arc. `rows` returns a `banner_query(...)` (or None when this
    member has nothing to ask: no query then); `banners` turns its rows into notices. A source
    that needs at most N rows slices in a subquery (`pk__in=...[:N]`): SQLite does not allow
    LIMIT or ORDER BY inside one part of a UNION, so the rows come unordered.

    The query's SQL is made once per member and kept (see `banners`): `rows` must depend only
    on the member's membership (its id, role and clinic) and on what `vary` returns for the
    request (e.g. whether it is one of the app's own pages), never on the data or the time;
    the rows themselves are read on every request."""

    key: str
    rows: Callable[[HttpRequest], QuerySet[Any] | None]
    banners: Callable[[HttpRequest, list[BannerRow]], list[Banner]]
    vary: Callable[[HttpRequest], Hashable] | None = None


BANNER_COLUMNS = ("banner_source", "banner_level", "banner_label", "banner_ref", "banner_count")


def banner_query(
    rows: QuerySet[Any],
    *,
    level: str | Combinable,
    label: str | Combinable,
    ref: int | Combinable | None = None,
    count: int | Combinable | None = None,
) -> QuerySet[Any]:
    """`rows` as the four banner columns (a plain value is a constant). Typed casts keep the
    columns of every part of the UNION alike on PostgreSQL, NULLs included."""

    def text(value: str | Combinable) -> Any:
        return Cast(Value(value) if isinstance(value, str) else value, CharField())

    def number(value: int | Combinable | None) -> Any:
        if value is None or isinstance(value, int):
            return Cast(Value(value), IntegerField())
        return Cast(value, IntegerField())

    return rows.order_by().annotate(
        banner_level=text(level),
        banner_label=text(label),
        banner_ref=number(ref),
        banner_count=number(count),
    )


@dataclass
class DemoContext:
    """What a demo extension needs to add its part of the arc to one demo clinic."""

    clinic: Clinic
    members: dict[str, Membership]  # by demo login: "therapist", "lead", ...
    clients: list[Client]
    rng: random.Random
    fake: Faker
    today: dt.date
    extra: dict[str, Any] = field(default_factory=dict)  # shared between extensions
    # The synthetic outcomes cohort (many finished courses) is the slow part of a demo: tests
    # that need a working clinic rather than a cohort leave it out.
    with_cohort: bool = True


_client_panels: list[ClientPanel] = []
_banner_sources: list[BannerSource] = []
_demo_extensions: list[tuple[int, Callable[[DemoContext], None]]] = []
_today_panels: list[TodayPanel] = []
_settings_panels: list[TodayPanel] = []


def register_settings_panel(panel: TodayPanel) -> None:
    if all(existing.key != panel.key for existing in _settings_panels):
        _settings_panels.append(panel)
        _settings_panels.sort(key=lambda p: p.order)


def settings_panels(
    request: HttpRequest, membership: Membership
) -> list[tuple[str, dict[str, Any]]]:
    shown = []
    for panel in _settings_panels:
        context = panel.context(request, membership)
        if context is not None:
            shown.append((panel.template, context))
    return shown


def register_today_panel(panel: TodayPanel) -> None:
    if all(existing.key != panel.key for existing in _today_panels):
        _today_panels.append(panel)
        _today_panels.sort(key=lambda p: p.order)


def today_panels(request: HttpRequest, membership: Membership) -> list[tuple[str, dict[str, Any]]]:
    shown = []
    for panel in _today_panels:
        context = panel.context(request, membership)
        if context is not None:
            shown.append((panel.template, context))
    return shown


def register_client_panel(panel: ClientPanel) -> None:
    if all(existing.key != panel.key for existing in _client_panels):
        _client_panels.append(panel)
        _client_panels.sort(key=lambda p: p.order)


def client_panels(request: HttpRequest, client: Client) -> list[tuple[str, dict[str, Any]]]:
    shown = []
    for panel in _client_panels:
        context = panel.context(request, client)
        if context is not None:
            shown.append((panel.template, context))
    return shown


def register_banner_source(source: BannerSource) -> None:
    if all(existing.key != source.key for existing in _banner_sources):
        _banner_sources.append(source)


# The banner query's SQL by member (and each source's `vary`): building and compiling the
# UNION of every source's query costs several milliseconds of CPU on each page, more than
# running it, and it only changes with the member. Kept per process, bounded.
_banner_sql: BoundedMemo[tuple[Compiled, tuple[str, ...]]] = BoundedMemo(4096, lambda _kept: 1)


def _banner_sql_for(request: HttpRequest) -> tuple[Compiled, tuple[str, ...]]:
    """(the query, the keys of the sources it asks) for this request's member."""
    membership = request.membership  # type: ignore[attr-defined]
    key = (
        membership.pk,
        membership.role,
        membership.clinic_id,
        *(source.vary(request) if source.vary else None for source in _banner_sources),
    )
    kept = _banner_sql.get(key)
    if kept is not None:
        return kept
    asked = []
    for source in _banner_sources:
        query = source.rows(request)
        if query is not None:
            tagged = query.annotate(banner_source=Cast(Value(source.key), CharField()))
            asked.append((source.key, tagged.values_list(*BANNER_COLUMNS)))
    made: tuple[Compiled, tuple[str, ...]] = (Compiled("default", "", ()), ())
    if asked:
        first, *rest = [query for _key, query in asked]
        union = first.union(*rest, all=True) if rest else first
        made = (compile_query(union), tuple(key for key, _query in asked))
    _banner_sql.put(key, made)
    return made


def banners(request: HttpRequest) -> list[Banner]:
    """Every banner of this request, from one query over all sources, kept on the request (a
    page that renders twice, or asks again, does not query again). The query's SQL is made
    once per member (`_banner_sql_for`); its rows are read on every request."""
    kept: list[Banner] | None = getattr(request, "_holdspace_banners", None)
    if kept is not None:
        return kept
    compiled, asked = _banner_sql_for(request)
    found: dict[str, list[BannerRow]] = {key: [] for key in asked}
    for key, level, label, ref, count in compiled.rows():
        found[key].append(BannerRow(level, label, ref, count))
    sources = {source.key: source for source in _banner_sources}
    shown = [banner for key in asked for banner in sources[key].banners(request, found[key])]
    request._holdspace_banners = shown  # type: ignore[attr-defined]  # memo on the request
    return shown


_care_team_checks: list[Callable[[Client, Membership], str | None]] = []


def register_care_team_check(check: Callable[[Client, Membership], str | None]) -> None:
    if all(existing is not check for existing in _care_team_checks):
        _care_team_checks.append(check)


def care_team_refusal(client: Client, member: Membership) -> str | None:
    """The first registered reason `member` must not join `client`'s care team, or None."""
    for check in _care_team_checks:
        reason = check(client, member)
        if reason:
            return reason
    return None


def register_demo_extension(order: int, extension: Callable[[DemoContext], None]) -> None:
    if all(existing is not extension for _order, existing in _demo_extensions):
        _demo_extensions.append((order, extension))
        _demo_extensions.sort(key=lambda pair: pair[0])


def demo_extensions() -> list[Callable[[DemoContext], None]]:
    return [extension for _order, extension in _demo_extensions]
