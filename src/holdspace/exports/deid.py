"""How a client shows in an export, per profile: pseudonymous (the client code), identified
(code plus identity), or de-identified after HIPAA Safe Harbor, 45 CFR 164.514(b)(2)
(outcomes.md E3):

- names, contact, free text and the clinic's client code are left out; the record is known
  by a research id, an HMAC of the code under the clinic's secret;
- every date of a client is shifted back by 0-364 days, an HMAC of the code under the same
  secret: constant within a client (intervals are kept), different between clients, the same
  on every export until the clinic re-keys (as REDCap does, outcomes.md E3);
- the birth date keeps its year only, and ages over 89 become "90 or older" (no year);
- small cells (fewer than SMALL_CELL clients sharing a value) are flagged in the README.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass, field
from typing import TypeVar

from .models import ExportProfile

DateLike = TypeVar("DateLike", dt.datetime, dt.date, dt.datetime | None, dt.date | None)

# Cells with fewer clients than this are flagged (policy choice, outcomes.md E3: k >= 5).
SMALL_CELL = 5
MAX_AGE = 89  # Safe Harbor: ages over 89 are aggregated into "90 or older"
OLDEST_GROUP = "90+"

RECIPE = """\
De-identification recipe (HIPAA Safe Harbor, 45 CFR 164.514(b)(2))
- Removed: names, birth day and month, email, telephone, free text (notes, medication names,
  actions taken), the clinic's client code, staff names.
- Each client is known by a research id (HMAC-SHA256 of the client code under a secret the
  clinic keeps; the same on every export until the clinic re-keys).
- Every date and time of a client is shifted back by 0-364 days, an amount derived the same
  way: constant within a client, so intervals are kept, different between clients.
- Birth dates keep their year only; clients older than 89 show as "90+" with no year.
- Small cells: values shared by fewer than {k} clients are listed in small_cells.csv;
  suppress or generalise them before publishing.
"""


def _digest(secret: str, purpose: str, code: str) -> bytes:
    return hmac.new(secret.encode(), f"{purpose}:{code}".encode(), hashlib.sha256).digest()


def shift_days(secret: str, code: str) -> int:
    """0..364: how many days this client's dates move back."""
    return int.from_bytes(_digest(secret, "shift", code)[:4], "big") % 365


def research_id(secret: str, code: str) -> str:
    return "R" + _digest(secret, "id", code).hex()[:12].upper()


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


@dataclass
class Privacy:
    """One export's view of people. `subject` and `when` are called once per row, so the
    per-client digests are cached (bounded: memory must not grow with the client count)."""

    profile: str
    secret: str
    today: dt.date
    _cache: dict[str, tuple[str, int]] = field(default_factory=dict)
    _references: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def deidentified(self) -> bool:
        return self.profile == ExportProfile.DEIDENTIFIED

    @property
    def identified(self) -> bool:
        return self.profile == ExportProfile.IDENTIFIED

    def _of(self, code: str) -> tuple[str, int]:
        found = self._cache.get(code)
        if found is None:
            if len(self._cache) > 10_000:
                self._cache.clear()
            found = (research_id(self.secret, code), shift_days(self.secret, code))
            self._cache[code] = found
        return found

    def subject(self, code: str) -> str:
        return self._of(code)[0] if self.deidentified else code

    def reference(self, code: str) -> dict[str, str]:
        """`{"reference": "Patient/<id>"}`, one shared dict per client (rows of a client come
        together, so a small cache serves nearly every row)."""
        found = self._references.get(code)
        if found is None:
            if len(self._references) > 10_000:
                self._references.clear()
            found = self._references[code] = {"reference": f"Patient/{self.subject(code)}"}
        return found

    def shift(self, code: str) -> int:
        return self._of(code)[1] if self.deidentified else 0

    def shifted(self, code: str, value: DateLike) -> DateLike:
        if value is None or not self.deidentified:
            return value
        return value - dt.timedelta(days=self._of(code)[1])

    def when(self, code: str, value: dt.datetime | dt.date | None) -> str | None:
        if value is None:
            return None
        if self.profile == ExportProfile.DEIDENTIFIED:
            value = value - dt.timedelta(days=self._of(code)[1])
        return value.isoformat()

    def birth(self, birth: dt.date | None) -> tuple[str | None, str | None]:
        """(birth date as exported, age group): identified keeps the date; de-identified the
        year, or no year and "90+" past 89; pseudonymous nothing."""
        if birth is None or self.profile == ExportProfile.PSEUDONYMOUS:
            return None, None
        if self.identified:
            return birth.isoformat(), None
        if age_on(birth, self.today) > MAX_AGE:
            return None, OLDEST_GROUP
        return str(birth.year), None
