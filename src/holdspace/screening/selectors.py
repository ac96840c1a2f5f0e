"""Every read of intake and screening. Other apps call the three plain queries at the bottom:
`washout_plans_for`, `earliest_medicine_session_date` and `screening_eligibility`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import (
    F,
    Max,
    OuterRef,
    QuerySet,
    Subquery,
)
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from holdspace.core.compiled import Compiled, CompiledQueries, compile_query
from holdspace.core.lookups import InIds
from holdspace.people.models import Client, Membership
from holdspace.people.selectors import client_for_user

from . import policies
from .engine import Evaluation, TaperMatch, evaluate_client, taper_matches
from .models import (
    Decision,
    MedicalHistory,
    Medication,
    PriorExperience,
    PsychiatricHistory,
    RuleOverride,
    ScreeningDecision,
    SettingOverride,
    VitalsReading,
)


def medical_history_current(client: Client) -> MedicalHistory | None:
    return MedicalHistory.objects.filter(client=client).first()


def psychiatric_history_current(client: Client) -> PsychiatricHistory | None:
    return PsychiatricHistory.objects.filter(client=client).first()


def vitals_for(client: Client) -> QuerySet[VitalsReading]:
    return VitalsReading.objects.filter(client=client)


def medications_for(client: Client) -> QuerySet[Medication]:
    return Medication.objects.filter(client=client)


def experiences_for(client: Client) -> QuerySet[PriorExperience]:
    return PriorExperience.objects.filter(client=client)


def decisions_for(client: Client) -> QuerySet[ScreeningDecision]:
    return ScreeningDecision.objects.filter(client=client).select_related("signed_by")


def facts_changed_at(client: Client) -> dt.datetime | None:
    """When any intake fact of the client last changed (None: nothing recorded)."""
    moments = [
        MedicalHistory.objects.filter(client=client).aggregate(m=Max("recorded_at"))["m"],
        PsychiatricHistory.objects.filter(client=client).aggregate(m=Max("recorded_at"))["m"],
        VitalsReading.objects.filter(client=client).aggregate(m=Max("recorded_at"))["m"],
        Medication.objects.filter(client=client).aggregate(m=Max("updated_at"))["m"],
        PriorExperience.objects.filter(client=client).aggregate(m=Max("updated_at"))["m"],
    ]
    known = [m for m in moments if m is not None]
    return max(known) if known else None


def decision_is_outdated(decision: ScreeningDecision) -> bool:
    changed = facts_changed_at(decision.client)
    return changed is not None and changed > decision.signed_at


def screening_evaluate(client: Client) -> Evaluation:
    return evaluate_client(client)


# The plain queries other apps call -----------------------------------------------------------


@dataclass(frozen=True)
class WashoutPlan:
    medication_name: str
    drug_class: str
    last_dose_date: dt.date | None  # None: no stop date recorded yet (still taking)
    washout_days: int
    # The last dose date plus the washout; while still taking, today plus the washout (a
    # lower bound that moves each day until a stop date is recorded).
    earliest_session_date: dt.date | None
    rule_id: str
    source: str

    @property
    def class_label(self) -> str:
        """The drug class as the medication list names it ("SSRI"), not its key ("ssri")."""
        from .medications import medication_list

        return medication_list().class_text(self.drug_class)


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    status: str  # not_started, pending_decision, eligible, not_eligible, deferred, outdated
    reason: str
    decided_at: dt.datetime | None


def washout_plans_for(client: Client, *, names: bool = True) -> list[WashoutPlan]:
    """One plan per medication that needs a taper (the longest washout if several rules ask).
    `names=False` leaves out the medication's name (intake text) for researchers."""
    today = timezone.localdate()
    return _washout_plans(evaluate_client(client, today=today).tapers, today=today, names=names)


def _washout_plans(
    tapers: Iterable[TaperMatch], *, today: dt.date, names: bool
) -> list[WashoutPlan]:
    best: dict[int, WashoutPlan] = {}
    for match in tapers:
        stop = match.medication.stop_date  # the last dose, planned or past
        base = today if stop is None else stop
        plan = WashoutPlan(
            medication_name=match.medication.name if names else "",
            drug_class=match.drug_class,
            last_dose_date=stop,
            washout_days=match.washout_days,
            earliest_session_date=base + dt.timedelta(days=match.washout_days),
            rule_id=match.rule.id,
            source=f"{match.rule.source.citation} {match.rule.source.link}",
        )
        current = best.get(match.medication.pk)
        if current is None or plan.washout_days > current.washout_days:
            best[match.medication.pk] = plan
    return sorted(best.values(), key=lambda p: (p.earliest_session_date or today, p.rule_id))


def earliest_medicine_session_date(client: Client) -> dt.date | None:
    """The first day every washout is over; None when there is nothing (left) to wait for."""
    return earliest_medicine_session_dates([client])[client.pk]


def earliest_medicine_session_dates(clients: Sequence[Client]) -> dict[int, dt.date | None]:
    """`earliest_medicine_session_date` of many clients, in a constant number of queries (only
    the taper rules are run: `engine.taper_matches`)."""
    today = timezone.localdate()
    found: dict[int, dt.date | None] = {}
    for pk, tapers in taper_matches(clients, today=today).items():
        plans = _washout_plans(tapers, today=today, names=False)
        dates = [p.earliest_session_date for p in plans]
        latest = max((d for d in dates if d is not None), default=None)
        found[pk] = latest if latest is not None and latest > today else None
    return found


def screening_eligibility(client: Client) -> Eligibility:
    """Eligible only when the latest signed decision says so and no fact changed since. One
    query (`_eligibility_query`), its SQL compiled once per process; the same answer as
    `screening_eligibility_many`, which reads many clients in two."""
    rows = _eligibility_sql.bound("eligibility", _eligibility_query, client_id=client.pk).rows()
    decision, signed_at, *facts = rows[0] if rows else (None, None)
    known = [moment for moment in facts if moment is not None]
    return _eligibility(decision, signed_at, max(known) if known else None)


def _eligibility_query(client_id: int) -> QuerySet[Any]:
    """The client's latest decision (its value and when it was signed) and the latest fact of
    each intake table, each read by index from the client's own rows."""
    latest = ScreeningDecision.objects.filter(client=OuterRef("pk")).order_by("-signed_at", "-pk")
    facts = {f"fact_{i}": _latest(model, column) for i, (model, column) in enumerate(_FACT_TABLES)}
    return (
        Client.objects.filter(pk=client_id)
        .annotate(
            latest_decision=Subquery(latest.values("decision")[:1]),
            latest_signed=Subquery(latest.values("signed_at")[:1]),
            **facts,
        )
        .values_list("latest_decision", "latest_signed", *facts)
    )


_eligibility_sql = CompiledQueries()


def _latest(model: type[models.Model], column: str) -> Subquery:
    """The latest `column` of the outer client's rows of `model` (NULL when it has none)."""
    return Subquery(
        model._default_manager.filter(client=OuterRef("pk"))
        .order_by()
        .values("client")
        .annotate(at=Max(column))
        .values("at")
    )


# The intake tables whose rows change a client's facts, with the column that says when.
_FACT_TABLES: list[tuple[type[models.Model], str]] = [
    (MedicalHistory, "recorded_at"),
    (PsychiatricHistory, "recorded_at"),
    (VitalsReading, "recorded_at"),
    (Medication, "updated_at"),
    (PriorExperience, "updated_at"),
]


def facts_changed_at_many(client_ids: list[int]) -> dict[int, dt.datetime]:
    """When each client's intake facts last changed: each intake table grouped by client,
    the five sent as one UNION ALL (one round trip rather than five, on every page that shows
    eligibility)."""
    latest: dict[int, dt.datetime] = {}
    grouped = [
        model._default_manager.filter(InIds(F("client_id"), client_ids))
        .order_by()
        .values("client_id")
        .annotate(m=Max(column))
        .values_list("client_id", "m")
        for model, column in _FACT_TABLES
    ]
    if client_ids:
        rows = grouped[0].union(*grouped[1:], all=True)
        for client_id, moment in rows:
            if moment is not None and (client_id not in latest or moment > latest[client_id]):
                latest[client_id] = moment
    return latest


def decisions_waiting_query(clients: QuerySet[Client], limit: int) -> Compiled:
    """(code, status) for the first `limit` of `clients` by code, where status is
    `pending_decision`, `outdated` (as `screening_eligibility_many` would say) or None: one
    query; each client's latest decision and latest fact of each intake table are read by
    index from its own rows (scalar subqueries: as EXISTS, PostgreSQL hashed a whole intake
    table for them), once each in an inner query, and the status worked out from them by the
    outer one (written in one query, the ORM repeated the decision's subquery in every
    comparison: 16 subqueries a client). Its SQL depends only on how `clients` is scoped, so
    a page can compile it once per member (`core.compiled`) and run it on every visit."""
    facts = [f"fact_{i}" for i in range(len(_FACT_TABLES))]
    inner = compile_query(
        clients.order_by("code")
        .annotate(
            latest_signed=_latest(ScreeningDecision, "signed_at"),
            **{
                name: _latest(model, column)
                for name, (model, column) in zip(facts, _FACT_TABLES, strict=True)
            },
        )
        .values_list("code", "latest_signed", *facts)[:limit]
    )
    if not inner.sql:
        return inner
    any_fact = " OR ".join(f'w."{name}" IS NOT NULL' for name in facts)
    fact_after_decision = " OR ".join(f'w."{name}" > w."latest_signed"' for name in facts)
    # Only fixed names and the ORM's own SQL go into this text; values stay parameters.
    sql = (
        f'SELECT w."code", CASE WHEN w."latest_signed" IS NULL AND ({any_fact}) '  # noqa: S608
        f"THEN 'pending_decision' WHEN {fact_after_decision} THEN 'outdated' END "
        f'FROM ({inner.sql}) w ORDER BY w."code"'
    )
    return Compiled(inner.alias, sql, inner.params)


def waiting_reason(status: str) -> str:
    """What `screening_eligibility` says to a client of `decisions_waiting_query`'s status."""
    return _pending().reason if status == "pending_decision" else _outdated(None).reason


def latest_decisions(client_ids: list[int]) -> dict[int, ScreeningDecision]:
    """Each client's latest signed decision, in one query (the page holds at most 50)."""
    latest: dict[int, ScreeningDecision] = {}
    # Only what eligibility needs: no findings, reason or overridden rules (JSON) to decode.
    for decision in ScreeningDecision.objects.filter(InIds(F("client_id"), client_ids)).only(
        "client_id", "decision", "signed_at"
    ):
        latest.setdefault(decision.client_id, decision)  # ordered newest first
    return latest


def screening_eligibility_many(clients: Iterable[Client]) -> dict[int, Eligibility]:
    """`screening_eligibility` for many clients in a constant number of queries."""
    ids = [client.pk for client in clients]
    if not ids:
        return {}
    decisions = latest_decisions(ids)
    changed = facts_changed_at_many(ids)
    eligibility = {}
    for pk in ids:
        latest = decisions.get(pk)
        eligibility[pk] = (
            _eligibility(latest.decision, latest.signed_at, changed.get(pk))
            if latest is not None
            else _eligibility(None, None, changed.get(pk))
        )
    return eligibility


def _eligibility(
    decision: str | None, signed_at: dt.datetime | None, changed: dt.datetime | None
) -> Eligibility:
    """From the latest decision's value and time (None: no decision signed) and when an
    intake fact last changed (None: nothing recorded)."""
    if decision is None or signed_at is None:
        if changed is None:
            return Eligibility(False, "not_started", _("No intake recorded yet."), None)
        return _pending()
    if changed is not None and changed > signed_at:
        return _outdated(signed_at)
    label = _SIGNED_LABELS.get(Decision(decision))
    return Eligibility(
        decision == Decision.ELIGIBLE,
        decision,
        _(label) if label else "",  # translated for this one only (a page asks for 200)
        signed_at,
    )


def _pending() -> Eligibility:
    return Eligibility(False, "pending_decision", _("Awaiting a medical lead's decision."), None)


def _outdated(signed_at: dt.datetime | None) -> Eligibility:
    return Eligibility(
        False,
        "outdated",
        _("Intake facts changed after the decision was signed; a new decision is needed."),
        signed_at,
    )


_SIGNED_LABELS = {
    Decision.ELIGIBLE: gettext_noop("Signed eligible."),
    Decision.NOT_ELIGIBLE: gettext_noop("Signed not eligible."),
    Decision.DEFERRED: gettext_noop("Decision deferred."),
}


def intake_client_for_user(membership: Membership | None, code: str) -> Client:
    """The client, if the member may read their intake (history, medications by name)."""
    client = client_for_user(membership, code)
    if not policies.can_read_intake(membership, client):
        raise PermissionDenied(_("Your role may not read this client's intake."))
    return client


def findings_client_for_user(membership: Membership | None, code: str) -> Client:
    """The client, if the member may read the screening findings and decision."""
    client = client_for_user(membership, code)
    if not policies.can_read_findings(membership, client):
        raise PermissionDenied(_("Your role may not read this client's screening."))
    return client


def medication_for_user(membership: Membership | None, code: str, pk: int) -> Medication:
    client = intake_client_for_user(membership, code)
    medication = medications_for(client).filter(pk=pk).select_related("client").first()
    if medication is None:
        raise Http404("No such medication.")
    return medication


@dataclass(frozen=True)
class RuleHistory:
    """The clinic's latest changes to its screening rules and settings, newest first."""

    rules: list[RuleOverride]
    settings: list[SettingOverride]


def rule_history_for_user(membership: Membership | None, *, limit: int = 20) -> RuleHistory:
    """What the member's clinic changed in its rules (medical leads only: 403 otherwise)."""
    if membership is None or not policies.can_manage_rules(membership):
        raise PermissionDenied
    clinic_id = membership.clinic_id
    return RuleHistory(
        rules=list(
            RuleOverride.objects.filter(clinic_id=clinic_id).select_related("changed_by")[:limit]
        ),
        settings=list(
            SettingOverride.objects.filter(clinic_id=clinic_id).select_related("changed_by")[:limit]
        ),
    )
