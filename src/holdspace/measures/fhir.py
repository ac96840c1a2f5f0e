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


def response_items(answers: dict[str, Any], definition: Definition) -> list[dict[str, Any]]:
    """The answered items of a QuestionnaireResponse (shared with the bulk export)."""
    items: list[dict[str, Any]] = []
    for item in definition.items:
        if item.link_id not in answers:
            continue
        value = answers[item.link_id]
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
    return items


def questionnaire_reference(definition: Definition, version: str) -> str:
    return f"{_canonical(definition)}|{version}"


def questionnaire_response(response: Response, definition: Definition) -> dict[str, Any]:
    resource = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": questionnaire_reference(definition, response.definition_version),
        "status": "completed" if response.submitted_at else "in-progress",
        "subject": {
            "identifier": {
                "system": "https://holdspace.org/client-code",
                "value": response.client.code,
            }
        },
        "authored": (response.submitted_at or response.updated_at).isoformat(),
        "item": response_items(response.answers, definition),
    }
    return QuestionnaireResponse.model_validate(resource).model_dump(mode="json", exclude_none=True)


ORDINALS = (ORDINAL, "http://hl7.org/fhir/StructureDefinition/itemWeight")
CALCULATED = (
    "http://hl7.org/fhir/StructureDefinition/questionnaire-calculatedExpression",
    "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-calculatedExpression",
)
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"


def _ordinal(option: dict[str, Any]) -> float | None:
    for extension in option.get("extension", []):
        if extension.get("url") in ORDINALS:
            for key in ("valueDecimal", "valueInteger"):
                if key in extension:
                    return float(extension[key])
    return None


def _extension_number(source: dict[str, Any], url: str) -> float | None:
    for extension in source.get("extension", []):
        if extension.get("url") == url:
            for key in ("valueInteger", "valueDecimal"):
                if key in extension:
                    return float(extension[key])
    return None


def _is_calculated(source: dict[str, Any]) -> bool:
    urls = {e.get("url") for e in source.get("extension", [])}
    return bool(urls & set(CALCULATED)) or (
        bool(source.get("readOnly")) and source.get("type") in ("integer", "decimal")
    )


def _value_set_options(data: dict[str, Any], reference: str) -> list[dict[str, Any]] | None:
    """The options of an `answerValueSet` that the form contains (`#id`): each concept (or
    expansion entry) as an answerOption. None when the value set is not in the form."""
    if not reference.startswith("#"):
        return None
    for contained in data.get("contained") or []:
        if contained.get("resourceType") != "ValueSet" or contained.get("id") != reference[1:]:
            continue
        concepts: list[dict[str, Any]] = []
        for include in (contained.get("compose") or {}).get("include") or []:
            for concept in include.get("concept") or []:
                concepts.append({**concept, "system": include.get("system", "")})
        concepts += list((contained.get("expansion") or {}).get("contains") or [])
        return [
            {
                "extension": concept.get("extension", []),
                "valueCoding": {
                    "system": concept.get("system", ""),
                    "code": concept.get("code", ""),
                    "display": concept.get("display", ""),
                },
            }
            for concept in concepts
        ]
    return None


def _flatten(items: list[dict[str, Any]], report: list[dict[str, str]]) -> list[dict[str, Any]]:
    """The questions of a form in order, groups opened (nested groups too)."""
    found: list[dict[str, Any]] = []
    for source in items:
        if source.get("type") == "group":
            report.append(
                {
                    "linkId": str(source.get("linkId")),
                    "action": "group",
                    "detail": "A group: its questions were read in order.",
                }
            )
            found += _flatten(source.get("item") or [], report)
        else:
            found.append(source)
            # A question may carry child items (follow-ups): read them after it.
            if source.get("item"):
                found += _flatten(source["item"], report)
    return found


def questionnaire_import(
    data: dict[str, Any], *, code: str, licence: str = ""
) -> tuple[Definition, list[dict[str, str]]]:
    """A new definition from a FHIR Questionnaire, and what was done with each item.

    - Weighted choice questions (`ordinalValue` or `itemWeight` on every option, in
      `answerOption` or a contained `answerValueSet`) are scored; the total is their sum.
    - Choice questions without weights are kept as asked but not scored (the PHQ-9
      difficulty question, LOINC 69722-7).
    - A calculated or read-only total is left out of scoring (Holdspace computes the total;
      a response's own total is compared with it on import).
    - Display items are left out; groups are opened, nested groups too.
    - Refused, naming the item: options of which only some carry weights, and an
      answerValueSet the form does not contain (its options cannot be listed). Free text,
      dates and unbounded numbers are left out and reported.
    """
    try:
        parsed = Questionnaire.model_validate(data)
    except ValueError as exc:
        raise DefinitionError(f"Questionnaire: not valid FHIR R4: {str(exc)[:300]}") from exc
    report: list[dict[str, str]] = []
    items: list[dict[str, Any]] = []
    link_ids: dict[str, str] = {}
    total_link = ""

    def note(link: str, action: str, detail: str) -> None:
        report.append({"linkId": link, "action": action, "detail": detail})

    for source in _flatten(data.get("item") or [], report):
        link = str(source.get("linkId"))
        kind = source.get("type")
        ours = str(len(items) + 1)
        codes = source.get("code") or []
        common = {
            "linkId": ours,
            "text": source.get("text", ""),
            "loinc": codes[0].get("code", "") if codes else "",
            "required": bool(source.get("required", False)),
        }
        if kind == "display":
            note(link, "left out", "Display text only.")
            continue
        if _is_calculated(source):
            total_link = total_link or link
            note(link, "left out", "A calculated total: Holdspace computes the total itself.")
            continue
        if kind in ("choice", "coding", "open-choice"):
            options = source.get("answerOption")
            if not options and source.get("answerValueSet"):
                options = _value_set_options(data, str(source["answerValueSet"]))
                if options is None:
                    raise DefinitionError(
                        f"Questionnaire: item {link}: its answerValueSet "
                        f"{source['answerValueSet']} is not in the form, so its options "
                        "cannot be listed"
                    )
            if not options:
                raise DefinitionError(f"Questionnaire: item {link}: a choice without options")
            weights = [_ordinal(option) for option in options]
            weighted = all(w is not None for w in weights)
            if not weighted and any(w is not None for w in weights):
                raise DefinitionError(
                    f"Questionnaire: item {link}: some options have an ordinalValue and some "
                    "do not, so it cannot be scored"
                )
            entries = [
                {
                    "value": weight if weighted else float(position),
                    "label": (option.get("valueCoding") or {}).get("display", "")
                    or str(option.get("valueString", "")),
                    "code": (option.get("valueCoding") or {}).get("code", ""),
                }
                for position, (option, weight) in enumerate(zip(options, weights, strict=True))
            ]
            items.append({**common, "type": "choice", "options": entries, "scored": weighted})
            note(
                link,
                "scored" if weighted else "kept, not scored",
                "Weights from ordinalValue."
                if weighted
                else "No option carries a weight: kept as asked, left out of the total.",
            )
        elif kind == "boolean":
            items.append({**common, "type": "yes-no", "scored": False})
            note(link, "kept, not scored", "A yes/no question without weights.")
        elif kind in ("integer", "decimal"):
            low = _extension_number(source, MIN_VALUE)
            high = _extension_number(source, MAX_VALUE)
            if low is None or high is None:
                note(link, "left out", "A number without minValue and maxValue.")
                continue
            items.append(
                {**common, "type": "number", "minimum": low, "maximum": high, "scored": False}
            )
            note(link, "kept, not scored", "A bounded number, recorded beside the score.")
        else:
            note(link, "left out", f"A {kind} item: free text and dates are not kept.")
            continue
        link_ids[link] = ours
    if not any(item.get("scored") for item in items):
        raise DefinitionError("Questionnaire: no question carries weights, so nothing is scored")
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
        "source_link_ids": link_ids,
        "source_url": parsed.url or "",
        "source_total_link_id": total_link,
    }
    return parse_definition(body, origin="Questionnaire"), report


def definition_from_questionnaire(
    data: dict[str, Any], *, code: str, licence: str = ""
) -> Definition:
    """A new definition from a FHIR Questionnaire (see `questionnaire_import`)."""
    return questionnaire_import(data, code=code, licence=licence)[0]


class ResponseError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _answer_value(item: Any, answer: dict[str, Any]) -> float:
    """One FHIR answer as the number our scoring takes."""
    if "valueCoding" in answer:
        coding = answer["valueCoding"] or {}
        for option in item.options:
            if coding.get("code") and option.code == coding.get("code"):
                return option.value
        for option in item.options:
            if coding.get("display") and option.label == coding.get("display"):
                return option.value
        if coding.get("code") not in (None, ""):
            try:
                return float(coding["code"])
            except ValueError:
                pass
        raise ResponseError(item.link_id, "the answer is not one of the item's options")
    if "valueBoolean" in answer:
        return 1.0 if answer["valueBoolean"] else 0.0
    for key in ("valueInteger", "valueDecimal"):
        if key in answer:
            return float(answer[key])
    raise ResponseError(item.link_id, "an answer of a kind this item does not take")


def definition_for_canonical(clinic_id: int, canonical: str) -> Definition | None:
    """The shipped or imported instrument a QuestionnaireResponse's `questionnaire` names:
    Holdspace's own canonical URL, or the URL of the form a clinic imported."""
    from . import library

    url = canonical.split("|", 1)[0]
    definitions = library.definitions_for(clinic_id)
    if url.startswith(BASE):
        return definitions.get(url.removeprefix(BASE))
    for definition in definitions.values():
        if definition.source_url and definition.source_url == url:
            return definition
    return None


def answers_from_response(
    data: dict[str, Any], definition: Definition
) -> tuple[dict[str, float], float | None]:
    """Answers keyed by our linkIds from a FHIR QuestionnaireResponse (items matched by the
    form's own linkId, by our linkId, or by LOINC code), and the response's own total if it
    carries one (to compare with ours)."""
    try:
        QuestionnaireResponse.model_validate(data)
    except ValueError as exc:
        message = f"not valid FHIR R4: {str(exc)[:200]}"
        raise ResponseError("questionnaireResponse", message) from exc
    by_loinc = {item.loinc: item.link_id for item in definition.items if item.loinc}
    known = {item.link_id for item in definition.items}
    answers: dict[str, float] = {}
    their_total: float | None = None

    def walk(items: list[dict[str, Any]]) -> None:
        nonlocal their_total
        for source in items:
            link = str(source.get("linkId", ""))
            found = source.get("answer") or []
            is_total = link == definition.source_total_link_id or (
                bool(definition.loinc_total) and link.strip("/") == definition.loinc_total
            )
            if link and is_total and found:
                value = found[0]
                for key in ("valueDecimal", "valueInteger"):
                    if key in value:
                        their_total = float(value[key])
            ours = (
                definition.source_link_ids.get(link)
                or (link if link in known and not definition.source_link_ids else None)
                or by_loinc.get(link.strip("/"))
            )
            if ours is not None and found:
                item = definition.item(ours)
                assert item is not None  # noqa: S101  (ours comes from the definition)
                answers[ours] = _answer_value(item, found[0])
            walk(source.get("item") or [])
            for answer in found:
                walk(answer.get("item") or [])

    walk(data.get("item") or [])
    return answers, their_total
