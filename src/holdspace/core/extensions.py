"""Where the parts of the arc plug into the shell, so the shell never imports them.

Each app registers in its AppConfig.ready():
- a *client panel*: a partial template on the client overview, with its own context;
- a *banner source*: notices shown on every staff page (e.g. unacknowledged safety alerts);
- a *demo extension*: what `holdspace demo` adds for that part of the arc;
- a *Today panel*: what that part of the arc asks of this member today (the landing page);
- a *settings panel*: that part's clinic settings, summarised on the clinic settings page with
  a link to where they are edited (a TodayPanel: key, order, template, context).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
_banner_sources: list[Callable[[HttpRequest], list[Banner]]] = []
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


def register_banner_source(source: Callable[[HttpRequest], list[Banner]]) -> None:
    if source not in _banner_sources:
        _banner_sources.append(source)


def banners(request: HttpRequest) -> list[Banner]:
    return [banner for source in _banner_sources for banner in source(request)]


def register_demo_extension(order: int, extension: Callable[[DemoContext], None]) -> None:
    if all(existing is not extension for _order, existing in _demo_extensions):
        _demo_extensions.append((order, extension))
        _demo_extensions.sort(key=lambda pair: pair[0])


def demo_extensions() -> list[Callable[[DemoContext], None]]:
    return [extension for _order, extension in _demo_extensions]
