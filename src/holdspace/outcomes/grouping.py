"""The factors the cohort can be grouped by: one entry each in `FACTORS`.

A factor says how to name a row's group and, when the group comes from another app's records
(sex from intake, study arm from a study), how to read those for the whole cohort in ONE query
(`load`: clients queryset -> {client id: value}); the value lands in `row.attributes[key]`.
The cohort form, the API's `group_by` and the summary's group order all read this table, so
adding a factor (e.g. `arm` once studies exist) is one `Factor(...)` entry here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from holdspace.measures.definitions import Definition
from holdspace.people.models import Client, Membership
from holdspace.screening.models import MedicalHistory, Sex

from . import studies_hooks
from .rows import PARTY_USE_GROUPS, ClientRow, party_use_group

# A group with fewer analysed clients than this is flagged "small cell": its numbers are
# unstable and, with a factor such as sex, may point at a person. A common disclosure-control
# convention, not a clinical fact.
SMALL_CELL = 5


@dataclass(frozen=True)
class Factor:
    key: str
    label: Any  # a lazy translation
    group: Callable[[ClientRow, Definition], str]
    # The groups in the order to show them (the first is the comparisons' reference);
    # None: alphabetical.
    order: Sequence[str] | None = None
    # Reads the factor's value for every client of the cohort (as the reader may see it).
    load: Callable[[QuerySet[Client], Membership | None], dict[int, str]] | None = None


def severity_group(row: ClientRow, definition: Definition) -> str:
    if row.baseline is None:
        return _("no baseline")
    if row.baseline_band:
        return row.baseline_band
    if row.diagnosis_at_baseline is not None:
        if row.diagnosis_at_baseline:
            return _("at or above the provisional diagnosis cut-off")
        return _("below the provisional diagnosis cut-off")
    return _("not banded")


def sex_by_client(clients: QuerySet[Client], _reader: Membership | None = None) -> dict[int, str]:
    """The sex on each client's current (latest) medical history, in one query."""
    latest = MedicalHistory.objects.filter(client=OuterRef("pk")).order_by("-recorded_at", "-pk")
    rows = clients.annotate(sex=Subquery(latest.values("sex")[:1])).values_list("pk", "sex")
    return {pk: sex or "" for pk, sex in rows}


def arm_by_client(clients: QuerySet[Client], reader: Membership | None) -> dict[int, str]:
    """Each client's study arm as the reader may see it (concealed until the study is
    unblinded for analysis), from the studies app through `studies_hooks`."""
    return studies_hooks.arms_of(reader, list(clients.values_list("pk", flat=True)))


def _arm_group(row: ClientRow, _definition: Definition) -> str:
    return row.attributes.get("arm") or _("not randomised")


def _sex_group(row: ClientRow, _definition: Definition) -> str:
    value = row.attributes.get("sex", "")
    return str(Sex(value).label) if value in Sex.values else _("not recorded")


FACTORS: dict[str, Factor] = {
    factor.key: factor
    for factor in (
        Factor(
            "prior_party_use",
            gettext_lazy("Prior party use"),
            lambda row, _d: party_use_group(row.prior_party_uses),
            order=PARTY_USE_GROUPS,
        ),
        Factor("baseline_severity", gettext_lazy("Baseline severity"), severity_group),
        Factor("sex", gettext_lazy("Sex"), _sex_group, load=sex_by_client),
        Factor(
            "template",
            gettext_lazy("Protocol template"),
            lambda row, _d: row.template or _("no course"),
        ),
        Factor(
            "arm",
            gettext_lazy("Study arm (once a study is unblinded)"),
            _arm_group,
            load=arm_by_client,
        ),
    )
}
GROUP_BY = tuple(FACTORS)


def group_of(row: ClientRow, group_by: str, definition: Definition) -> str:
    factor = FACTORS.get(group_by)
    return factor.group(row, definition) if factor else _("all")


def group_order(group_by: str, names: set[str]) -> list[str]:
    factor = FACTORS.get(group_by)
    if factor is not None and factor.order is not None:
        return [g for g in factor.order if g in names] + sorted(names - set(factor.order))
    return sorted(names)
