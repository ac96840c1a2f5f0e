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


class VitalSigns:
    """Builds vital-sign Observations as plain data from a template made once (codes from
    session.yaml): shared by the per-reading Bundle, the bulk export (which streams millions
    of readings without building models) and screening's baseline readings. The coded parts
    are shared objects, so a reading costs a few small dicts."""

    def __init__(self) -> None:
        loinc = session_rules().loinc
        self.bp = _code(loinc.blood_pressure_panel, "Blood pressure panel")
        self.systolic = _code(loinc.systolic, "Systolic blood pressure")
        self.diastolic = _code(loinc.diastolic, "Diastolic blood pressure")
        self.heart_rate = _code(loinc.heart_rate, "Heart rate")
        self.temperature = _code(loinc.temperature, "Body temperature")
        self.spo2 = _code(loinc.spo2, "Oxygen saturation in Arterial blood")
        self.weight = _code(loinc.body_weight, "Body weight")
        self.height = _code(loinc.body_height, "Body height")
        self.category = [CATEGORY]

    def _one(
        self, subject: dict[str, Any], at: str, code: dict[str, Any], **value: Any
    ) -> dict[str, Any]:
        return {
            "status": "final",
            "category": self.category,
            "code": code,
            "subject": subject,
            "effectiveDateTime": at,
            **value,
        }

    def reading(
        self,
        *,
        subject: dict[str, Any],
        taken_at: str,
        systolic: int,
        diastolic: int,
        heart_rate: int,
        temperature: float | None,
        spo2: int | None,
    ) -> list[tuple[str, dict[str, Any]]]:
        """A reading's Observations as (suffix, fields): blood pressure (a panel with the two
        pressures as components), heart rate, and temperature and SpO2 when measured."""
        rows = [
            (
                "bp",
                self._one(
                    subject,
                    taken_at,
                    self.bp,
                    component=[
                        {
                            "code": self.systolic,
                            "valueQuantity": _quantity(systolic, "mmHg", "mm[Hg]"),
                        },
                        {
                            "code": self.diastolic,
                            "valueQuantity": _quantity(diastolic, "mmHg", "mm[Hg]"),
                        },
                    ],
                ),
            ),
            (
                "hr",
                self._one(
                    subject,
                    taken_at,
                    self.heart_rate,
                    valueQuantity=_quantity(heart_rate, "beats/minute", "/min"),
                ),
            ),
        ]
        if temperature is not None:
            rows.append(
                (
                    "temp",
                    self._one(
                        subject,
                        taken_at,
                        self.temperature,
                        valueQuantity=_quantity(float(temperature), "C", "Cel"),
                    ),
                )
            )
        if spo2 is not None:
            rows.append(
                (
                    "spo2",
                    self._one(
                        subject, taken_at, self.spo2, valueQuantity=_quantity(spo2, "%", "%")
                    ),
                )
            )
        return rows

    def body(
        self,
        *,
        subject: dict[str, Any],
        at: str,
        weight_kg: float | None,
        height_cm: int | None,
    ) -> list[tuple[str, dict[str, Any]]]:
        """Body weight and height as recorded at screening (BMI is not recorded, so none)."""
        rows = []
        if weight_kg is not None:
            rows.append(
                (
                    "weight",
                    self._one(
                        subject, at, self.weight, valueQuantity=_quantity(weight_kg, "kg", "kg")
                    ),
                )
            )
        if height_cm is not None:
            rows.append(
                (
                    "height",
                    self._one(
                        subject, at, self.height, valueQuantity=_quantity(height_cm, "cm", "cm")
                    ),
                )
            )
        return rows


def reading_observations(reading: VitalReading) -> list[Observation]:
    subject = {
        "identifier": {"system": "urn:holdspace:client-code", "value": reading.session.client.code}
    }
    rows = VitalSigns().reading(
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
