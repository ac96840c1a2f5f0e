"""/api/v1/clients/{code}/intake, /medications and /screening: the same services and scoping
as the pages. No `from __future__ import annotations` here: it breaks ninja's Body resolution."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from ninja import Router, Schema, Status

from holdspace.audit.services import audit_record
from holdspace.people import selectors as people_selectors
from holdspace.people.models import Client

from . import policies, selectors, services
from .models import Context, HowItWent, Hypertension, Severity, Substance, SuicideRisk

router = Router(tags=["screening"])


class ErrorOut(Schema):
    detail: str


class InvalidOut(Schema):
    detail: str
    errors: dict[str, list[str]]


class MedicalIn(Schema):
    hypertension: Hypertension = Hypertension.NONE
    arrhythmia: bool = False
    qtc_value: int | None = None
    qtc_unit: str = ""  # "ms"; required whenever qtc_value is given
    other_cardiovascular: bool = False
    liver_disease: bool = False
    glaucoma: bool = False
    diabetes: bool = False
    hyperthyroidism: bool = False
    pregnant: bool = False
    breastfeeding: bool = False
    weight_kg: Decimal | None = None
    height_cm: int | None = None


class MedicalOut(MedicalIn):
    recorded_at: dt.datetime


class PsychiatricIn(Schema):
    psychotic_disorder: bool = False
    bipolar_1: bool = False
    mdd_psychotic_features: bool = False
    dissociative_identity_disorder: bool = False
    eating_disorder_purging: bool = False
    personality_disorder: bool = False
    alcohol_use_disorder: Severity = Severity.NONE
    alcohol_in_remission: bool = False
    cannabis_use_disorder: Severity = Severity.NONE
    cannabis_in_remission: bool = False
    other_sud_last_12_months: bool = False
    suicide_risk: SuicideRisk = SuicideRisk.NONE


class PsychiatricOut(PsychiatricIn):
    recorded_at: dt.datetime


class VitalsIn(Schema):
    measured_at: dt.datetime
    systolic: int
    diastolic: int
    heart_rate: int
    temperature_c: Decimal | None = None


class ExperienceIn(Schema):
    substance: Substance
    context: Context
    times: int
    last_use: dt.date | None = None
    intention: str = ""
    sober_person_present: bool = False
    co_used_substances: str = ""
    how_it_went: HowItWent
    notes: str = ""


class IntakeIn(Schema):
    medical: MedicalIn | None = None
    psychiatric: PsychiatricIn | None = None
    vitals: VitalsIn | None = None
    experiences: list[ExperienceIn] = []


class IntakeOut(Schema):
    code: str
    medical: MedicalOut | None
    psychiatric: PsychiatricOut | None
    vitals: list[VitalsIn]
    experiences: list[ExperienceIn]


class MedicationIn(Schema):
    name: str
    dose: str = ""
    start_date: dt.date | None = None
    stop_date: dt.date | None = None
    keep_unmatched: bool = False


class MedicationUpdateIn(Schema):
    dose: str
    stop_date: dt.date | None = None


class MedicationOut(Schema):
    id: int
    name: str
    matched: bool
    dose: str
    start_date: dt.date | None
    stop_date: dt.date | None


class FindingOut(Schema):
    rule_id: str
    outcome: str
    message: str
    source: str
    url: str
    unconfirmed: bool
    medication: str


class DecisionOut(Schema):
    decision: str
    signed_at: dt.datetime
    signed_by: str
    ruleset_version: str
    outdated: bool
    reason: str | None  # None for roles that do not read free text


class WashoutOut(Schema):
    medication_name: str
    drug_class: str
    last_dose_date: dt.date | None
    washout_days: int
    earliest_session_date: dt.date | None
    rule_id: str
    source: str


class ScreeningOut(Schema):
    code: str
    status: str
    eligible: bool
    ruleset_version: str
    findings: list[FindingOut]
    washout: list[WashoutOut]
    decision: DecisionOut | None


def _audit(request: HttpRequest, action: str, client: Client, fields: list[str] = ()) -> None:  # type: ignore[assignment]
    actor = request.actor  # type: ignore[attr-defined]
    audit_record(
        action=action,
        actor=actor.user,
        clinic_id=actor.clinic_id,
        target=client,
        client_code=client.code,
        fields=fields,
        channel=actor.channel,
        ip=actor.ip,
    )


def _client(request: HttpRequest, code: str, *, intake: bool) -> Client:
    membership = request.membership  # type: ignore[attr-defined]
    client = people_selectors.client_for_user(membership, code)
    allowed = (
        policies.can_read_intake(membership, client)
        if intake
        else policies.can_read_findings(membership, client)
    )
    if not allowed:
        raise PermissionDenied("Your role may not read this client's intake.")
    return client


def _intake_out(client: Client) -> IntakeOut:
    medical = selectors.medical_history_current(client)
    psychiatric = selectors.psychiatric_history_current(client)
    return IntakeOut(
        code=client.code,
        medical=MedicalOut.from_orm(medical) if medical else None,
        psychiatric=PsychiatricOut.from_orm(psychiatric) if psychiatric else None,
        vitals=[VitalsIn.from_orm(v) for v in selectors.vitals_for(client)],
        experiences=[ExperienceIn.from_orm(e) for e in selectors.experiences_for(client)],
    )


RESPONSES: dict[int, Any] = {403: ErrorOut, 404: ErrorOut}


@router.get("/{code}/intake", response={200: IntakeOut, **RESPONSES}, summary="Intake facts")
def intake_read(request: HttpRequest, code: str) -> IntakeOut:
    client = _client(request, code, intake=True)
    _audit(request, "screening.intake.view", client)
    return _intake_out(client)


@router.put(
    "/{code}/intake",
    response={200: IntakeOut, 422: InvalidOut, **RESPONSES},
    summary="Record intake facts (new versions; nothing is overwritten)",
)
def intake_write(request: HttpRequest, code: str, payload: IntakeIn) -> IntakeOut:
    client = _client(request, code, intake=True)
    if not policies.can_record_intake(request.membership, client):  # type: ignore[attr-defined]
        raise PermissionDenied("Your role may not record intake.")
    by = request.actor  # type: ignore[attr-defined]
    from django.db import transaction

    with transaction.atomic():  # all or nothing: a bad part saves no part
        if payload.medical is not None:
            services.medical_history_record(by=by, client=client, **payload.medical.dict())
        if payload.psychiatric is not None:
            services.psychiatric_history_record(by=by, client=client, **payload.psychiatric.dict())
        if payload.vitals is not None:
            services.vitals_record(by=by, client=client, **payload.vitals.dict())
        for experience in payload.experiences:
            services.experience_add(by=by, client=client, **experience.dict())
    return _intake_out(client)


def _medication_out(m: Any) -> MedicationOut:
    return MedicationOut(
        id=m.pk,
        name=m.name,
        matched=not m.unmatched,
        dose=m.dose,
        start_date=m.start_date,
        stop_date=m.stop_date,
    )


@router.get(
    "/{code}/medications", response={200: list[MedicationOut], **RESPONSES}, summary="Medications"
)
def medication_list(request: HttpRequest, code: str) -> list[MedicationOut]:
    client = _client(request, code, intake=True)
    _audit(request, "screening.medication.list", client)
    return [_medication_out(m) for m in selectors.medications_for(client)]


@router.post(
    "/{code}/medications",
    response={201: MedicationOut, 422: InvalidOut, **RESPONSES},
    summary="Add a medication (a name not in the list needs keep_unmatched)",
)
def medication_add(request: HttpRequest, code: str, payload: MedicationIn) -> Status[MedicationOut]:
    client = _client(request, code, intake=True)
    row = services.medication_add(
        by=request.actor,  # type: ignore[attr-defined]
        client=client,
        **payload.dict(),
    )
    return Status(201, _medication_out(row))


def _medication(client: Client, medication_id: int) -> Any:
    medication = selectors.medications_for(client).filter(pk=medication_id).first()
    if medication is None:
        raise Http404("No such medication.")
    return medication


@router.get(
    "/{code}/medications/{medication_id}",
    response={200: MedicationOut, **RESPONSES},
    summary="One medication",
)
def medication_read(request: HttpRequest, code: str, medication_id: int) -> MedicationOut:
    client = _client(request, code, intake=True)
    medication = _medication(client, medication_id)
    _audit(request, "screening.medication.view", client)
    return _medication_out(medication)


@router.patch(
    "/{code}/medications/{medication_id}",
    response={200: MedicationOut, 422: InvalidOut, **RESPONSES},
    summary="Change the dose or record the last dose (starts the washout)",
)
def medication_update(
    request: HttpRequest, code: str, medication_id: int, payload: MedicationUpdateIn
) -> MedicationOut:
    client = _client(request, code, intake=True)
    medication = _medication(client, medication_id)
    row = services.medication_update(
        by=request.actor,  # type: ignore[attr-defined]
        medication=medication,
        dose=payload.dose,
        stop_date=payload.stop_date,
    )
    return _medication_out(row)


@router.get(
    "/{code}/screening",
    response={200: ScreeningOut, **RESPONSES},
    summary="Findings, washout plan and the signed decision",
)
def screening_read(request: HttpRequest, code: str) -> ScreeningOut:
    client = _client(request, code, intake=False)
    membership = request.membership  # type: ignore[attr-defined]
    _audit(request, "screening.view", client)
    evaluation = selectors.screening_evaluate(client)
    eligibility = selectors.screening_eligibility(client)
    decision = selectors.decisions_for(client).first()
    show_text = policies.can_read_intake(membership, client)
    return ScreeningOut(
        code=client.code,
        status=eligibility.status,
        eligible=eligibility.eligible,
        ruleset_version=evaluation.version,
        findings=[
            FindingOut(
                rule_id=f.rule_id,
                outcome=f.outcome,
                message=f.message,
                source=f.citation,
                url=f.url,
                unconfirmed=f.unconfirmed,
                medication=f.medication if show_text else "",
            )
            for f in evaluation.findings
        ],
        washout=[
            WashoutOut(**p.__dict__) for p in selectors.washout_plans_for(client, names=show_text)
        ],
        decision=DecisionOut(
            decision=decision.decision,
            signed_at=decision.signed_at,
            signed_by=decision.signed_by.email if show_text else "",
            ruleset_version=decision.ruleset_version,
            outdated=eligibility.status == "outdated",
            reason=decision.reason if show_text else None,
        )
        if decision is not None
        else None,
    )
