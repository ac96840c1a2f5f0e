"""Links for many rows at the cost of one `reverse()`.

A page listing a hundred rows with a link each spent more on `reverse()` (or `{% url %}`)
than on the rest of its markup. `RowLinks(name, arity)` reverses the route once with markers
in place of its arguments and fills each row's arguments into that path. An argument the
route's converter might treat differently from the marker (anything but letters, digits,
hyphens and underscores for a `str` argument, anything but digits for an `int` one) goes
through `reverse()` as before, so a link is always what `reverse()` gives.
"""

from __future__ import annotations

import itertools
import re
from functools import cache

from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse

_WORD = re.compile(r"[A-Za-z0-9_-]+")
_DIGITS = re.compile(r"[0-9]+")


def _markers(n: int) -> tuple[tuple[str, re.Pattern[str]], ...]:
    # A word for str converters, digits for int ones; neither occurs in a route by chance.
    return ((f"HSMARK{n}X", _WORD), (f"9071{n}3581", _DIGITS))


class RowLinks:
    def __init__(self, name: str, arity: int = 1) -> None:
        self.name = name
        self._pieces: list[str] = []
        self._accepts: list[re.Pattern[str]] = []
        self._tail = ""
        for choice in itertools.product(*(_markers(n) for n in range(arity))):
            try:
                path = reverse(name, args=[marker for marker, _accepts in choice])
            except NoReverseMatch:
                continue
            pieces = []
            for marker, _accepts in choice:
                head, found, path = path.partition(marker)
                if not found:
                    break
                pieces.append(head)
            else:
                self._pieces, self._tail = pieces, path
                self._accepts = [accepts for _marker, accepts in choice]
                return
        # No marker fits the route: every link through reverse().

    def __call__(self, *args: str | int) -> str:
        parts = [str(arg) for arg in args]
        if not self._pieces or not all(
            accepts.fullmatch(part) for accepts, part in zip(self._accepts, parts, strict=True)
        ):
            return reverse(self.name, args=args)
        return "".join(piece + part for piece, part in zip(self._pieces, parts, strict=True)) + (
            self._tail
        )


def fixed_url(name: str) -> str:
    """`reverse(name)` of a route that takes no arguments, reversed once per process for the
    script prefix and URLconf in force: the shell links to a dozen such pages on every
    request."""
    return _fixed(name, get_script_prefix(), get_urlconf())


@cache
def _fixed(name: str, prefix: str, urlconf: str | None) -> str:
    # reverse() itself reads the same prefix and URLconf, so the key holds what it reads.
    return reverse(name, urlconf=urlconf)
