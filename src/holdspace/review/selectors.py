"""What a clinic still has to review: every value a shipped file marks unconfirmed, or that the
clinic has changed, with the value in force there now and the clinic's latest decision.

The values themselves live where they always did (screening overrides, session settings, the
data files); this module only reads them, so nothing is stored twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.translation import gettext as _

from holdspace.core.sources import Source
from holdspace.people.models import Membership
from holdspace.screening.engine import clinic_rules
from holdspace.screening.rules import shipped_rules
from holdspace.sessions import selectors as session_selectors
from holdspace.sessions.models import MedicineSession, SessionSettings

from . import policies
from .models import ReviewDecision
from .register import AREAS, REVIEW_AREAS, ClinicalRow, clinical_rows


@dataclass(frozen=True)
class ChangeField:
    """A value the review page can change directly, through its owning app's service."""

    minimum: int
    maximum: int
    unit: str


@dataclass(frozen=True)
class ReviewItem:
    row: ClinicalRow
    current: str  # the value in force at this clinic, as text
    changed_by_clinic: bool
    latest: ReviewDecision | None
    edit_url: str  # where the value is changed, when not on the review page
    change: ChangeField | None

    @property
    def confirmed(self) -> bool:
        return self.latest is not None and self.latest.value == self.current

    @property
    def key(self) -> str:
        return self.row.key

    @property
    def sources(self) -> tuple[Source, ...]:
        return self.row.sources


@cache
def _review_rows() -> tuple[ClinicalRow, ...]:
    return tuple(r for r in clinical_rows() if r.area in REVIEW_AREAS)


SESSION_FIELDS = {
    "sessions.cadence.every_minutes": ("vitals_every_minutes", "min", 5, 240),
    "sessions.cadence.after_alert_minutes": ("vitals_after_alert_minutes", "min", 1, 240),
    "sessions.suds.max": ("suds_max", "", 1, 100),
}
THRESHOLD_FIELDS = (
    "systolic_watch",
    "systolic_act",
    "diastolic_watch",
    "diastolic_act",
    "heart_rate_watch",
    "heart_rate_act",
    "temperature_watch",
    "temperature_act",
    "spo2_watch_below",
    "spo2_act_below",
)


def _thresholds_text(values: dict[str, object]) -> str:
    def show(name: str) -> str:
        value = values.get(name)
        return "-" if value is None else f"{value}"

    return "; ".join(f"{name.replace('_', ' ')} {show(name)}" for name in THRESHOLD_FIELDS)


def _session_values(clinic_id: int) -> dict[str, object]:
    found = SessionSettings.objects.filter(clinic_id=clinic_id).first()
    defaults = session_selectors.settings_defaults()
    if found is None:
        return dict(defaults)
    return {name: getattr(found, name) for name in defaults}


def review_items(clinic_id: int) -> list[ReviewItem]:
    """Every item the clinic's medical lead reviews, in the order of the areas."""
    effective = clinic_rules(clinic_id)
    rules = {item.rule.id: item for item in effective.rules}
    shipped = session_selectors.settings_defaults()
    session_now = _session_values(clinic_id)
    latest: dict[str, ReviewDecision] = {}
    for decision in ReviewDecision.objects.filter(clinic_id=clinic_id).select_related(
        "decided_by__user"
    ):
        latest.setdefault(decision.key, decision)
    rules_url = reverse("screening:rules")
    sessions_url = reverse("sessions:settings")
    templates_url = reverse("courses:templates")
    items: list[ReviewItem] = []
    for row in _review_rows():
        current, changed, edit_url, change = row.value, False, "", None
        if row.key.startswith("screening.setting."):
            key = row.key.removeprefix("screening.setting.")
            declared = shipped_rules().settings[key]
            current = f"{effective.values[key]} {declared.unit}"
            changed = effective.values[key] != declared.default
            edit_url = rules_url
            change = ChangeField(declared.minimum, declared.maximum, declared.unit)
        elif row.key.startswith("screening.rule."):
            item = rules[row.key.removeprefix("screening.rule.")]
            if item.changed_by_clinic:
                state = item.outcome.replace("_", " ") if item.enabled else "switched off"
                current, changed = f"{state} (changed by the clinic)", True
            edit_url = rules_url
        elif row.key in SESSION_FIELDS:
            field, unit, low, high = SESSION_FIELDS[row.key]
            current = f"{session_now[field]} {unit}".strip()
            changed = session_now[field] != shipped[field]
            edit_url = sessions_url
            change = ChangeField(low, high, unit)
        elif row.key == "sessions.thresholds":
            current = _thresholds_text(session_now)
            changed = current != _thresholds_text(shipped)
            edit_url = sessions_url
        elif row.key.startswith("scheduling."):
            edit_url = templates_url
        if not (row.unconfirmed or changed):
            continue
        items.append(
            ReviewItem(
                row=row,
                current=current,
                changed_by_clinic=changed,
                latest=latest.get(row.key),
                edit_url=edit_url,
                change=change,
            )
        )
    return items


def review_item(clinic_id: int, key: str) -> ReviewItem | None:
    return next((item for item in review_items(clinic_id) if item.key == key), None)


def unconfirmed_count(clinic_id: int) -> int:
    return sum(1 for item in review_items(clinic_id) if not item.confirmed)


def review_for_user(membership: Membership | None) -> list[tuple[str, str, list[ReviewItem]]]:
    """The review page's content, grouped by area: medical leads of the clinic only."""
    if not policies.can_review(membership):
        raise PermissionDenied
    assert membership is not None  # noqa: S101  (checked by the policy)
    items = review_items(membership.clinic_id)
    return [
        (area, str(AREAS[area]), [i for i in items if i.row.area == area])
        for area in REVIEW_AREAS
        if any(i.row.area == area for i in items)
    ]


def review_history_for_user(
    membership: Membership | None, *, limit: int = 30
) -> list[ReviewDecision]:
    """The clinic's latest review decisions, newest first: medical leads of the clinic only."""
    if not policies.can_review(membership):
        raise PermissionDenied
    assert membership is not None  # noqa: S101  (checked by the policy)
    return list(
        ReviewDecision.objects.filter(clinic_id=membership.clinic_id).select_related(
            "decided_by__user"
        )[:limit]
    )


def first_session_needs_review(session: MedicineSession) -> int:
    """Unconfirmed values that keep a clinic's *first* medicine session from starting (0 once
    any session of the clinic has started)."""
    started_before = (
        MedicineSession.objects.filter(clinic_id=session.clinic_id, started_at__isnull=False)
        .exclude(pk=session.pk)
        .exists()
    )
    return 0 if started_before else unconfirmed_count(session.clinic_id)


def session_start_blocker(session: MedicineSession) -> session_selectors.Blocker | None:
    """The clinic's first medicine session does not start while clinical values are unconfirmed
    (a medical lead may override it). Registered with sessions in ReviewConfig.ready()."""
    unreviewed = first_session_needs_review(session)
    if not unreviewed:
        return None
    return session_selectors.Blocker(
        "clinical_review",
        _(
            "The clinic's first medicine session: %(n)d clinical values are still "
            "unconfirmed (Clinical review)."
        )
        % {"n": unreviewed},
        True,
    )
