"""Where the studies app plugs into the cohort report without outcomes importing it.

`arms`: the arm of each client (by id) for the member, where the member may compare arms (a
study unblinded for analysis), else a label saying it is concealed. `excluded`: the ids of the
clients to leave out (a site's, or those with a major protocol deviation). Without the studies
app both answer nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from holdspace.people.models import Membership

ArmsOf = Callable[[Membership | None, Iterable[int]], dict[int, str]]
Excluded = Callable[[Membership | None, int | None, bool], set[int]]

_arms: list[ArmsOf] = []
_excluded: list[Excluded] = []


def register(*, arms: ArmsOf, excluded: Excluded) -> None:
    if arms not in _arms:
        _arms.append(arms)
    if excluded not in _excluded:
        _excluded.append(excluded)


def arms_of(membership: Membership | None, client_ids: Iterable[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    ids = list(client_ids)
    for source in _arms:
        found.update(source(membership, ids))
    return found


def excluded(membership: Membership | None, site: int | None, major_deviations: bool) -> set[int]:
    if site is None and not major_deviations:
        return set()
    return {pk for source in _excluded for pk in source(membership, site, major_deviations)}
