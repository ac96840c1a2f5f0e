"""A checker for REDCap import files: every rule of REDCap's data dictionary upload and
flat-record import that we found documented (outcomes.md E2; linkml-redcap's data
dictionary and record schemas; REDCapR's test fixtures). Returns the list of broken rules."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter

COLUMNS = [
    "Variable / Field Name",
    "Form Name",
    "Section Header",
    "Field Type",
    "Field Label",
    "Choices, Calculations, OR Slider Labels",
    "Field Note",
    "Text Validation Type OR Show Slider Number",
    "Text Validation Min",
    "Text Validation Max",
    "Identifier?",
    "Branching Logic (Show field only if...)",
    "Required Field?",
    "Custom Alignment",
    "Question Number (surveys only)",
    "Matrix Group Name",
    "Matrix Ranking?",
    "Field Annotation",
]
FIELD_TYPES = {
    "text",
    "notes",
    "dropdown",
    "radio",
    "checkbox",
    "yesno",
    "truefalse",
    "calc",
    "file",
    "slider",
    "descriptive",
    "sql",
}
VALIDATIONS = {
    "",
    "date_ymd",
    "date_mdy",
    "date_dmy",
    "datetime_ymd",
    "datetime_mdy",
    "datetime_dmy",
    "datetime_seconds_ymd",
    "datetime_seconds_mdy",
    "datetime_seconds_dmy",
    "time",
    "time_mm_ss",
    "integer",
    "number",
    "number_1dp",
    "number_2dp",
    "email",
    "phone",
    "alpha_only",
    "zipcode",
}
NAME = re.compile(r"^[a-z][a-z0-9_]*$")
CHOICE_CODE = re.compile(r"^-?[A-Za-z0-9_]+$")
EVENT = re.compile(r"^[a-z][a-z0-9_]*_arm_\d+$")
FORMATS = {
    "date_ymd": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
    "datetime_ymd": re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$"),
    "datetime_seconds_ymd": re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$"),
    "integer": re.compile(r"^-?\d+$"),
    "number": re.compile(r"^-?\d+(\.\d+)?$"),
    "email": re.compile(r"^[^@\s]+@[^@\s]+$"),
}
RESERVED = {
    "redcap_event_name",
    "redcap_repeat_instrument",
    "redcap_repeat_instance",
    "redcap_data_access_group",
    "redcap_survey_identifier",
}


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def check_dictionary(text: str) -> tuple[list[str], list[dict[str, str]]]:
    problems: list[str] = []
    rows = _rows(text)
    if rows[0] != COLUMNS:
        problems.append("header: not REDCap's 18 columns in order")
        return problems, []
    fields = [dict(zip(COLUMNS, row, strict=True)) for row in rows[1:]]
    names = [f["Variable / Field Name"] for f in fields]
    if fields[0]["Variable / Field Name"] != "record_id" or fields[0]["Field Type"] != "text":
        problems.append("the first field must be the record id, a text field")
    for name, n in Counter(names).items():
        if n > 1:
            problems.append(f"{name}: variable name used twice")
    forms_seen: list[str] = []
    for f in fields:
        name, form, kind = f["Variable / Field Name"], f["Form Name"], f["Field Type"]
        if not NAME.match(name) or len(name) > 100:
            problems.append(f"{name}: variable name not lowercase letters/digits/underscores")
        if len(name) > 26:
            problems.append(f"{name}: longer than the advised 26 characters")
        if "___" in name or name in RESERVED or name.endswith("_complete"):
            problems.append(f"{name}: reserved variable name")
        if not NAME.match(form):
            problems.append(f"{name}: form name {form!r} is not a machine name")
        if form in forms_seen and forms_seen[-1] != form:
            problems.append(f"{form}: its fields are not contiguous")
        if not forms_seen or forms_seen[-1] != form:
            forms_seen.append(form)
        if kind not in FIELD_TYPES:
            problems.append(f"{name}: unknown field type {kind!r}")
        if not f["Field Label"] and kind != "descriptive":
            problems.append(f"{name}: no field label")
        choices = f["Choices, Calculations, OR Slider Labels"]
        if kind in {"radio", "dropdown", "checkbox"}:
            codes = []
            for part in choices.split("|"):
                code, sep, label = part.strip().partition(",")
                if not sep or not label.strip():
                    problems.append(f"{name}: choice {part!r} is not 'code, label'")
                if not CHOICE_CODE.match(code.strip()):
                    problems.append(f"{name}: choice code {code!r} not allowed")
                codes.append(code.strip())
            if len(set(codes)) != len(codes):
                problems.append(f"{name}: repeated choice code")
        elif kind not in {"calc", "slider", "sql"} and choices:
            problems.append(f"{name}: choices on a {kind} field")
        validation = f["Text Validation Type OR Show Slider Number"]
        if kind == "text" and validation not in VALIDATIONS:
            problems.append(f"{name}: unknown validation {validation!r}")
        if kind not in {"text", "slider"} and validation:
            problems.append(f"{name}: validation on a {kind} field")
        for bound in ("Text Validation Min", "Text Validation Max"):
            if f[bound] and not FORMATS["number"].match(f[bound]):
                problems.append(f"{name}: {bound} is not a number")
        for flag in ("Identifier?", "Required Field?", "Matrix Ranking?"):
            if f[flag] not in {"", "y"}:
                problems.append(f"{name}: {flag} must be 'y' or empty")
        if f["Custom Alignment"] not in {"", "LH", "LV", "RH", "RV"}:
            problems.append(f"{name}: bad custom alignment")
    if fields and fields[0]["Form Name"] != forms_seen[0]:
        problems.append("record id is not on the first form")
    return problems, fields


def check_records(
    text: str,
    fields: list[dict[str, str]],
    *,
    events: set[str],
    mapping: set[tuple[str, str]],
    repeating: set[tuple[str, str]],
) -> list[str]:
    problems: list[str] = []
    rows = _rows(text)
    header, body = rows[0], rows[1:]
    forms: list[str] = []
    expected = [
        "record_id",
        "redcap_event_name",
        "redcap_repeat_instrument",
        "redcap_repeat_instance",
    ]
    by_name = {f["Variable / Field Name"]: f for f in fields}
    for f in fields:
        if f["Form Name"] not in forms:
            if forms:
                expected.append(f"{forms[-1]}_complete")
            forms.append(f["Form Name"])
        name = f["Variable / Field Name"]
        if name == "record_id":
            continue
        if f["Field Type"] == "checkbox":
            for part in f["Choices, Calculations, OR Slider Labels"].split("|"):
                expected.append(f"{name}___{part.split(',')[0].strip().lower()}")
        elif f["Field Type"] != "descriptive":
            expected.append(name)
    expected.append(f"{forms[-1]}_complete")
    if header != expected:
        problems.append(
            "records header: not record_id, event, repeat columns, then each "
            "form's fields and <form>_complete in dictionary order"
        )
        return problems
    seen: set[tuple[str, str, str, str]] = set()
    form_of = {}
    for column in header[4:]:
        base = column.split("___")[0]
        form_of[column] = (
            by_name[base]["Form Name"] if base in by_name else column.removesuffix("_complete")
        )
    for number, row in enumerate(body, start=2):
        values = dict(zip(header, row, strict=True))
        record, event = values["record_id"], values["redcap_event_name"]
        instrument, instance = values["redcap_repeat_instrument"], values["redcap_repeat_instance"]
        if not record:
            problems.append(f"row {number}: no record id")
        if event not in events or not EVENT.match(event):
            problems.append(f"row {number}: unknown event {event!r}")
        key = (record, event, instrument, instance)
        if key in seen:
            problems.append(f"row {number}: the same record/event/instance twice")
        seen.add(key)
        if instrument:
            if (event, instrument) not in repeating:
                problems.append(f"row {number}: {instrument} does not repeat in {event}")
            if not instance.isdigit() or int(instance) < 1:
                problems.append(f"row {number}: repeat instance must be 1, 2, ...")
        elif instance:
            problems.append(f"row {number}: an instance without a repeating instrument")
        filled = {form_of[c] for c in header[4:] if values[c] != ""}
        for form in filled:
            if (event, form) not in mapping:
                problems.append(f"row {number}: form {form} not in event {event}")
            if instrument and form != instrument:
                problems.append(f"row {number}: {form} data on a {instrument} instance row")
        for column in header[4:]:
            value = values[column]
            if value == "":
                continue
            if column.endswith("_complete") and column not in by_name:
                if value not in {"0", "1", "2"}:
                    problems.append(f"row {number}: {column} must be 0, 1 or 2")
                continue
            if "___" in column:
                if value not in {"0", "1"}:
                    problems.append(f"row {number}: checkbox {column} must be 0 or 1")
                continue
            f = by_name[column]
            kind = f["Field Type"]
            if kind in {"radio", "dropdown"}:
                codes = {
                    p.split(",")[0].strip()
                    for p in f["Choices, Calculations, OR Slider Labels"].split("|")
                }
                if value not in codes:
                    problems.append(f"row {number}: {column}={value!r} is not a choice code")
            elif kind in {"yesno", "truefalse"}:
                if value not in {"0", "1"}:
                    problems.append(f"row {number}: {column} must be 0 or 1")
            elif kind == "text":
                validation = f["Text Validation Type OR Show Slider Number"]
                pattern = FORMATS.get(validation)
                if pattern is not None and not pattern.match(value):
                    problems.append(f"row {number}: {column}={value!r} is not {validation}")
                elif validation in {"integer", "number"}:
                    low, high = f["Text Validation Min"], f["Text Validation Max"]
                    if (low and float(value) < float(low)) or (high and float(value) > float(high)):
                        problems.append(f"row {number}: {column} out of range")
    return problems
