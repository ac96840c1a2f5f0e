"""FHIR R4 (R4B models in fhir.resources): instruments as Questionnaires, responses as
QuestionnaireResponses, and importing a Questionnaire (LHC-Forms style, weights from
`ordinalValue`) as a new definition."""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from .definitions import Definition, DefinitionError, parse_definition
from .models import Response

LOINC = "http://loinc.org"
ORDINAL = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
BASE = "https://holdspace.org/fhir/Questionnaire/"


def _canonical(definition: Definition) -> str:
    return BASE + definition.code


def _value(value: float) -> int | float:
    return int(value) if value == int(value) else value


def questionnaire(definition: Definition) -> dict[str, Any]:
    items: list[dict[str, Any]] = []
    for item in definition.items:
        entry: dict[str, Any] = {
            "linkId": item.link_id,
            "text": item.text or f"Item {item.link_id}",
            "required": item.required,
        }
        if item.loinc:
            entry["code"] = [{"system": LOINC, "code": item.loinc}]
        if item.type == "choice":
            entry["type"] = "choice"
            entry["answerOption"] = [
                {
                    "extension": [{"url": ORDINAL, "valueDecimal": option.value}],
                    "valueCoding": {
                        **({"system": LOINC, "code": option.code} if option.code else {}),
                        **({"code": f"{option.value:g}"} if not option.code else {}),
                        "display": option.label or f"{option.value:g}",
                    },
                }
                for option in item.options
            ]
        elif item.type == "yes-no":
            entry["type"] = "boolean"
        elif item.type == "scale-0-100":
            entry["type"] = "integer"
        else:
            entry["type"] = "decimal"
        items.append(entry)
    resource: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "url": _canonical(definition),
        "version": definition.version,
        "name": "".join(ch for ch in definition.code if ch.isalnum()),
        "title": definition.name,
        "status": "active",
        "copyright": f"{definition.licence} {definition.licence_note}".strip(),
        "item": items,
    }
    if definition.loinc_panel:
        resource["code"] = [{"system": LOINC, "code": definition.loinc_panel}]
    return Questionnaire.model_validate(resource).model_dump(mode="json", exclude_none=True)


def questionnaire_response(response: Response, definition: Definition) -> dict[str, Any]:
    items: list[dict[str, Any]] = []
    for item in definition.items:
        if item.link_id not in response.answers:
            continue
        value = response.answers[item.link_id]
        answer: dict[str, Any]
        if item.type == "choice":
            option = next((o for o in item.options if o.value == float(value)), None)
            coding: dict[str, Any] = {"display": option.label if option else str(value)}
            if option is not None and option.code:
                coding.update({"system": LOINC, "code": option.code})
            else:
                coding["code"] = f"{float(value):g}"
            answer = {"valueCoding": coding}
        elif item.type == "yes-no":
            answer = {"valueBoolean": bool(value)}
        elif item.type == "scale-0-100":
            answer = {"valueInteger": int(value)}
        else:
            answer = {"valueDecimal": value}
        items.append({"linkId": item.link_id, "answer": [answer]})
    resource = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": f"{_canonical(definition)}|{response.definition_version}",
        "status": "completed" if response.submitted_at else "in-progress",
        "subject": {
            "identifier": {
                "system": "https://holdspace.org/client-code",
                "value": response.client.code,
            }
        },
        "authored": (response.submitted_at or response.updated_at).isoformat(),
        "item": items,
    }
    return QuestionnaireResponse.model_validate(resource).model_dump(mode="json", exclude_none=True)


def _ordinal(option: dict[str, Any]) -> float | None:
    for extension in option.get("extension", []):
        if extension.get("url") == ORDINAL:
            for key in ("valueDecimal", "valueInteger"):
                if key in extension:
                    return float(extension[key])
    return None


def definition_from_questionnaire(
    data: dict[str, Any], *, code: str, licence: str = ""
) -> Definition:
    """A new definition from a FHIR Questionnaire: choice items in order become "1", "2", ...;
    option weights come from `ordinalValue`; the total is their sum. Display-only and computed
    items (a read-only total) are left out. Raises DefinitionError naming what is wrong."""
    try:
        parsed = Questionnaire.model_validate(data)
    except ValueError as exc:
        raise DefinitionError(f"Questionnaire: not valid FHIR R4: {str(exc)[:300]}") from exc
    items: list[dict[str, Any]] = []
    for source in data.get("item") or []:
        if source.get("type") != "choice":
            continue
        options = []
        for option in source.get("answerOption") or []:
            weight = _ordinal(option)
            coding = option.get("valueCoding") or {}
            if weight is None:
                raise DefinitionError(
                    f"Questionnaire: item {source.get('linkId')}: an option has no ordinalValue"
                )
            options.append(
                {
                    "value": weight,
                    "label": coding.get("display", ""),
                    "code": coding.get("code", ""),
                }
            )
        codes = source.get("code") or []
        items.append(
            {
                "linkId": str(len(items) + 1),
                "type": "choice",
                "text": source.get("text", ""),
                "loinc": codes[0].get("code", "") if codes else "",
                "options": options,
                "required": bool(source.get("required", True)),
            }
        )
    panel = (data.get("code") or [{}])[0].get("code", "")
    body = {
        "code": code,
        "name": parsed.title or parsed.name or code,
        "version": parsed.version or "fhir-1",
        "citation": f"Imported from FHIR Questionnaire {parsed.url or panel or code}",
        "licence": licence or parsed.copyright or "As stated by the importing clinic.",
        "licence_verdict": "text",
        "licence_note": "Imported by a clinic, which is responsible for the licence of the text.",
        "loinc_panel": panel,
        "items": items,
        "scoring": {"method": "sum"},
    }
    return parse_definition(body, origin="Questionnaire")
