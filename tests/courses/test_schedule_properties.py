"""Properties of every proposed schedule, for any start date and washout."""

from __future__ import annotations

import datetime as dt
import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from holdspace.courses.models import VisitKind
from holdspace.courses.protocols import builtin_protocols
from holdspace.courses.schedule import schedule_propose

dates = st.dates(min_value=dt.date(2026, 1, 1), max_value=dt.date(2030, 12, 31))


@settings(max_examples=60, deadline=None)
@given(
    key=st.sampled_from(sorted(builtin_protocols())),
    start=dates,
    washout_after=st.one_of(st.none(), st.integers(min_value=-30, max_value=200)),
)
def test_every_schedule_respects_washout_spacing_and_order(key, start, washout_after):
    protocol = builtin_protocols()[key]
    washout = start + dt.timedelta(days=washout_after) if washout_after is not None else None
    visits = schedule_propose(protocol=protocol, start_date=start, washout_date=washout)
    assert [v.starts_at for v in visits] == sorted(v.starts_at for v in visits)
    sessions = [v for v in visits if v.kind == VisitKind.MEDICINE_SESSION]
    assert len(sessions) == protocol.medicine_session_count
    if washout is not None:
        assert sessions[0].starts_at.date() >= washout
    last_prep = max(v.starts_at for v in visits if v.kind == VisitKind.PREPARATION)
    assert sessions[0].starts_at > last_prep
    for before, after in itertools.pairwise(sessions):
        assert (after.starts_at.date() - before.starts_at.date()).days >= (
            protocol.medicine_sessions.min_spacing_days
        )
    by_number = {s.number: s for s in sessions}
    for visit in visits:
        if visit.follows is not None:
            assert visit.starts_at > by_number[visit.follows].starts_at
        assert visit.why
