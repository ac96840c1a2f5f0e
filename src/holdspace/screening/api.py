"""/api/v1/clients/{code}/intake, /medications and /screening: the same services and scoping
as the pages. No `from __future__ import annotations` here: it breaks ninja's Body resolution."""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from ninja import Router, Schema, Status
from pydantic import Field, create_model

from holdspace.core.http import ApiRequest
from holdspace.core.schemas import ClientCode, EventTime, Id, LifeDate, LongText, ShortText
from holdspace.people.auditing import audit_read
from holdspace.people.models import Client

from . import policies, selectors, services
from .models import Context, HowItWent, Hypertension, Severity, Substance, SuicideRisk

router = Router(tags=["screening"])


Qtc = Annotated[int, Field(ge=0, le=10_000)]
WeightKg = Annotated[Decimal, Field(ge=0, le=1000, max_digits=5, decimal_places=1)]
HeightCm = Annotated[int, Field(ge=0, le=1000)]
Pressure = Annotated[int, Field(ge=0, le=1000)]
Temperature = Annotated[Decimal, Field(ge=0, le=100, max_digits=4, decimal_places=1)]


class MedicalIn(Schema):
    """The whole medical history: every field is required (a PUT replaces the document)."""

    sex: Literal["", "female", "male", "other"] = ""  # "" = not recorded
    hypertension: Hypertension
    arrhythmia: bool
    qtc_value: Qtc | None
    qtc_unit: Literal["", "ms"]  # "ms"; required whenever qtc_value is given
    other_cardiovascular: bool
    liver_disease: bool
    glaucoma: bool
    diabetes: bool
    hyperthyroidism: bool
    pregnant: bool
    breastfeeding: bool
    weight_kg: WeightKg | None
    height_cm: HeightCm | None


class MedicalOut(MedicalIn):
    recorded_at: dt.datetime


class PsychiatricIn(Schema):
    """The whole psychiatric history: every field is required (a PUT replaces the document)."""

    psychotic_disorder: bool
    bipolar_1: bool
    mdd_psychotic_features: bool
    dissociative_identity_disorder: bool
    eating_disorder_purging: bool
    personality_disorder: bool
    alcohol_use_disorder: Severity
    alcohol_in_remission: bool
    cannabis_use_disorder: Severity
    cannabis_in_remission: bool
    other_sud_last_12_months: bool
    suicide_risk: SuicideRisk


class PsychiatricOut(PsychiatricIn):
    recorded_at: dt.datetime


def _partial(model: type[Schema], name: str) -> type[Schema]:
    """The same fields, each optional: a PATCH changes only the fields it sends."""
    fields: dict[str, Any] = {
        field: (info.annotation | None, None)  # type: ignore[operator]  # a type, not None
        for field, info in model.model_fields.items()
    }
    return create_model(name, __base__=Schema, __doc__="Only the fields sent change.", **fields)


MedicalPatch = _partial(MedicalIn, "MedicalPatch")
PsychiatricPatch = _partial(PsychiatricIn, "PsychiatricPatch")


class VitalsIn(Schema):
    measured_at: EventTime
    systolic: Pressure
    diastolic: Pressure
    heart_rate: Pressure
    temperature_c: Temperature | None = None


class VitalsOut(Schema):
    measured_at: dt.datetime
    systolic: int
    diastolic: int
    heart_rate: int
    temperature_c: Decimal | None = None


class ExperienceIn(Schema):
    substance: Substance
    context: Context
    times: Annotated[int, Field(ge=0, le=100_000)]
    last_use: LifeDate | None = None
    intention: LongText = ""
    sober_person_present: bool = False
    co_used_substances: ShortText = ""
    how_it_went: HowItWent
    notes: LongText = ""


class ExperienceOut(Schema):
    substance: str
    context: str
    times: int
    last_use: dt.date | None = None
    intention: str = ""
    sober_person_present: bool = False
    co_used_substances: str = ""
    how_it_went: str
    notes: str = ""


class IntakeIn(Schema):
    """The intake document. `medical` and `psychiatric` are required and complete: each becomes
    a new version (earlier versions stay). A vitals reading and prior experiences, when sent,
    are added to the history: they are events, never replaced."""

    medical: MedicalIn
    psychiatric: PsychiatricIn
    vitals: VitalsIn | None = None
    experiences: list[ExperienceIn] = Field(default_factory=list, max_length=100)


class IntakePatch(Schema):
    """Change only what is sent: the fields given in `medical` or `psychiatric` make a new
    version with every other field as it was; `vitals` and `experiences` are added."""

    medical: MedicalPatch | None = None  # type: ignore[valid-type]
    psychiatric: PsychiatricPatch | None = None  # type: ignore[valid-type]
    vitals: VitalsIn | None = None
    experiences: list[ExperienceIn] = Field(default_factory=list, max_length=100)


class IntakeOut(Schema):
    code: str
    medical: MedicalOut | None
    psychiatric: PsychiatricOut | None
    vitals: list[VitalsOut]
    experiences: list[ExperienceOut]


class MedicationIn(Schema):
    name: Annotated[ShortText, Field(min_length=1)]
    dose: ShortText = ""
    start_date: LifeDate | None = None
    stop_date: LifeDate | None = None
    keep_unmatched: bool = False


class MedicationUpdateIn(Schema):
    dose: ShortText
    stop_date: LifeDate | None = None


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


def _intake_client(request: ApiRequest, code: str) -> Client:
    return selectors.intake_client_for_user(request.membership, code)


def _intake_out(client: Client) -> IntakeOut:
    medical = selectors.medical_history_current(client)
    psychiatric = selectors.psychiatric_history_current(client)
    return IntakeOut(
        code=client.code,
        medical=MedicalOut.from_orm(medical) if medical else None,
        psychiatric=PsychiatricOut.from_orm(psychiatric) if psychiatric else None,
        vitals=[VitalsOut.from_orm(v) for v in selectors.vitals_for(client)],
        experiences=[ExperienceOut.from_orm(e) for e in selectors.experiences_for(client)],
    )


@router.get("/{code}/intake", response=IntakeOut, summary="Intake facts")
def intake_read(request: ApiRequest, code: ClientCode) -> IntakeOut:
    client = _intake_client(request, code)
    audit_read(request.actor, "screening.intake.view", client=client, target=client)
    return _intake_out(client)


@router.put(
    "/{code}/intake",
    response=IntakeOut,
    summary="Record the whole intake (new versions; nothing is overwritten)",
)
def intake_replace(request: ApiRequest, code: ClientCode, payload: IntakeIn) -> IntakeOut:
    client = _intake_client(request, code)
    services.intake_record(
        by=request.actor,
        client=client,
        medical=payload.medical.dict(),
        psychiatric=payload.psychiatric.dict(),
        vitals=payload.vitals.dict() if payload.vitals else None,
        experiences=[e.dict() for e in payload.experiences],
    )
    return _intake_out(client)


@router.patch(
    "/{code}/intake",
    response=IntakeOut,
    summary="Change some intake facts (a new version keeps every field not sent)",
)
def intake_update(request: ApiRequest, code: ClientCode, payload: IntakePatch) -> IntakeOut:
    client = _intake_client(request, code)
    services.intake_record(
        by=request.actor,
        client=client,
        medical=payload.medical.dict(exclude_unset=True) if payload.medical else None,
        psychiatric=payload.psychiatric.dict(exclude_unset=True) if payload.psychiatric else None,
        vitals=payload.vitals.dict() if payload.vitals else None,
        experiences=[e.dict() for e in payload.experiences],
        partial=True,
    )
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


@router.get("/{code}/medications", response=list[MedicationOut], summary="Medications")
def medication_list(request: ApiRequest, code: ClientCode) -> list[MedicationOut]:
    client = _intake_client(request, code)
    audit_read(request.actor, "screening.medication.list", client=client)
    return [_medication_out(m) for m in selectors.medications_for(client)]


@router.post(
    "/{code}/medications",
    response={201: MedicationOut},
    summary="Add a medication (a name not in the list needs keep_unmatched)",
)
def medication_add(
    request: ApiRequest, code: ClientCode, payload: MedicationIn
) -> Status[MedicationOut]:
    client = _intake_client(request, code)
    row = services.medication_add(by=request.actor, client=client, **payload.dict())
    return Status(201, _medication_out(row))


@router.get("/{code}/medications/{medication_id}", response=MedicationOut, summary="One medication")
def medication_read(request: ApiRequest, code: ClientCode, medication_id: Id) -> MedicationOut:
    medication = selectors.medication_for_user(request.membership, code, medication_id)
    audit_read(
        request.actor, "screening.medication.view", client=medication.client, target=medication
    )
    return _medication_out(medication)


@router.patch(
    "/{code}/medications/{medication_id}",
    response=MedicationOut,
    summary="Change the dose or record the last dose (starts the washout)",
)
def medication_update(
    request: ApiRequest, code: ClientCode, medication_id: Id, payload: MedicationUpdateIn
) -> MedicationOut:
    medication = selectors.medication_for_user(request.membership, code, medication_id)
    row = services.medication_update(
        by=request.actor, medication=medication, dose=payload.dose, stop_date=payload.stop_date
    )
    return _medication_out(row)


@router.get(
    "/{code}/screening",
    response=ScreeningOut,
    summary="Findings, washout plan and the signed decision",
)
def screening_read(request: ApiRequest, code: ClientCode) -> ScreeningOut:
    membership = request.membership
    client = selectors.findings_client_for_user(membership, code)
    audit_read(request.actor, "screening.view", client=client, target=client)
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
