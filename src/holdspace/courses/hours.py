"""A clinic's opening hours and closed days, as the schedule sees them.

The clinic sets them (CourseSettings: opens at, closes at, open weekdays, closed dates). A
visit must start within opening hours; a visit at the clinic (not a phone check-in, which the
protocol asks for daily after a medicine session) must also fall on an open day. The schedule
proposal moves a visit that would not to the next open slot and says so in its "why" line; a
manual move there is refused (constraints.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from .phrases import Phrase

# Phone check-ins follow the protocol's daily rhythm, closed day or not.
OFF_SITE_KINDS = frozenset({"check_in"})  # VisitKind.CHECK_IN (models imports this module)
# How far ahead the proposal looks for an open day before it gives up (a clinic closed for
# longer than this is a setting to fix, not a schedule to bend).
LOOK_AHEAD_DAYS = 60


@dataclass(frozen=True)
class OpeningHours:
    opens: dt.time = dt.time(8, 0)
    closes: dt.time = dt.time(18, 0)
    weekdays: frozenset[int] = frozenset(range(7))  # Monday is 0
    closed: frozenset[dt.date] = field(default_factory=frozenset)

    def is_open_day(self, day: dt.date) -> bool:
        return day.weekday() in self.weekdays and day not in self.closed

    def within_hours(self, time: dt.time) -> bool:
        return self.opens <= time < self.closes

    def refusal(self, kind: str, starts_at: dt.datetime) -> tuple[str, str] | None:
        """(conflict kind, message) when a visit of this kind may not start then."""
        local = timezone.localtime(starts_at)
        if kind not in OFF_SITE_KINDS and not self.is_open_day(local.date()):
            return (
                "clinic_closed",
                _("The clinic is closed on %(day)s.")
                % {"day": formats.date_format(local.date(), "l j F Y")},
            )
        if not self.within_hours(local.time()):
            return (
                "outside_opening_hours",
                _("%(time)s is outside the clinic's opening hours (%(opens)s-%(closes)s).")
                % {
                    "time": local.strftime("%H:%M"),
                    "opens": self.opens.strftime("%H:%M"),
                    "closes": self.closes.strftime("%H:%M"),
                },
            )
        return None

    def place(
        self, kind: str, day: dt.date, time: dt.time
    ) -> tuple[dt.date, dt.time, Phrase | None]:
        """The first open slot at or after (day, time), and a phrase saying why it moved."""
        new_day, new_time = day, time
        if new_time < self.opens:
            new_time = self.opens
        elif new_time >= self.closes:
            new_day, new_time = new_day + dt.timedelta(days=1), self.opens
        if kind not in OFF_SITE_KINDS:
            for _step in range(LOOK_AHEAD_DAYS):
                if self.is_open_day(new_day):
                    break
                new_day += dt.timedelta(days=1)
            else:
                return day, time, None  # no open day in sight: left where the template put it
        if (new_day, new_time) == (day, time):
            return day, time, None
        if new_day != day and not self.is_open_day(day) and kind not in OFF_SITE_KINDS:
            why = Phrase(
                gettext_noop("moved to %(day)s %(time)s: the clinic is closed on %(closed)s"),
                {
                    "day": new_day.isoformat(),
                    "time": new_time.strftime("%H:%M"),
                    "closed": day.isoformat(),
                },
            )
        else:
            why = Phrase(
                gettext_noop(
                    "moved to %(day)s %(time)s: %(was)s is outside opening hours "
                    "(%(opens)s-%(closes)s)"
                ),
                {
                    "day": new_day.isoformat(),
                    "time": new_time.strftime("%H:%M"),
                    "was": time.strftime("%H:%M"),
                    "opens": self.opens.strftime("%H:%M"),
                    "closes": self.closes.strftime("%H:%M"),
                },
            )
        return new_day, new_time, why
