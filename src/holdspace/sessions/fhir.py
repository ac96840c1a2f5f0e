"""Each vital-sign reading as FHIR R4 vital-signs Observations (LOINC codes and UCUM units from
data/session/session.yaml, after the research notes' instruments.md section 5), validated by
fhir.resources."""

from __future__ import annotations

import uuid
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.observation import Observation

from .models import VitalReading
from .rules import session_rules

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
CATEGORY = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "vital-signs",
            "display": "Vital Signs",
        }
    ]
}


def _code(code: str, display: str) -> dict[str, Any]:
    return {"coding": [{"system": LOINC, "code": code, "display": display}], "text": display}


def _quantity(value: float, unit: str, code: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": UCUM, "code": code}


def vital_observations_data(
    *,
    subject: dict[str, Any],
    taken_at: str,
    systolic: int,
    diastolic: int,
    heart_rate: int,
    temperature: float,
    spo2: int | None,
) -> list[tuple[str, dict[str, Any]]]:
    """One reading's Observations as (suffix, fields) pairs of plain data: shared by the
    per-reading Bundle and the bulk export, which streams without building models."""
    loinc = session_rules().loinc
    base: dict[str, Any] = {
        "status": "final",
        "category": [CATEGORY],
        "subject": subject,
        "effectiveDateTime": taken_at,
    }
    rows: list[tuple[str, dict[str, Any]]] = [
        (
            "bp",
            {
                "code": _code(loinc.blood_pressure_panel, "Blood pressure panel"),
                "component": [
                    {
                        "code": _code(loinc.systolic, "Systolic blood pressure"),
                        "valueQuantity": _quantity(systolic, "mmHg", "mm[Hg]"),
                    },
                    {
                        "code": _code(loinc.diastolic, "Diastolic blood pressure"),
                        "valueQuantity": _quantity(diastolic, "mmHg", "mm[Hg]"),
                    },
                ],
            },
        ),
        (
            "hr",
            {
                "code": _code(loinc.heart_rate, "Heart rate"),
                "valueQuantity": _quantity(heart_rate, "beats/minute", "/min"),
            },
        ),
        (
            "temp",
            {
                "code": _code(loinc.temperature, "Body temperature"),
                "valueQuantity": _quantity(float(temperature), "C", "Cel"),
            },
        ),
    ]
    if spo2 is not None:
        rows.append(
            (
                "spo2",
                {
                    "code": _code(loinc.spo2, "Oxygen saturation in Arterial blood"),
                    "valueQuantity": _quantity(spo2, "%", "%"),
                },
            )
        )
    return [(suffix, base | fields) for suffix, fields in rows]


def reading_observations(reading: VitalReading) -> list[Observation]:
    subject = {
        "identifier": {"system": "urn:holdspace:client-code", "value": reading.session.client.code}
    }
    rows = vital_observations_data(
        subject=subject,
        taken_at=reading.taken_at.isoformat(),
        systolic=reading.systolic,
        diastolic=reading.diastolic,
        heart_rate=reading.heart_rate,
        temperature=float(reading.temperature),
        spo2=reading.spo2,
    )
    return [Observation(id=f"hs-vital-{reading.pk}-{suffix}", **fields) for suffix, fields in rows]


def reading_bundle(reading: VitalReading) -> dict[str, Any]:
    """A collection Bundle of the reading's Observations, as JSON-ready data."""
    observations = reading_observations(reading)
    entries: list[Any] = [
        {"fullUrl": f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, str(o.id))}", "resource": o}
        for o in observations
    ]
    bundle = Bundle(type="collection", entry=entries)
    return bundle.model_dump(mode="json", exclude_none=True)
