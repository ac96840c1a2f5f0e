"""A REDCap-ready pair: the data dictionary (the 18 columns, outcomes.md E2) and the flat
records CSV (record_id, redcap_event_name, redcap_repeat_instrument, redcap_repeat_instance,
then each form's fields and `<form>_complete`), plus the events, form-event mapping and
repeating-form files REDCap's project setup (and API) takes, so a REDCap user creates a
longitudinal project from them and imports the records without editing either.

Layout: the `enrolment` form in event `enrolment_arm_1`, with screening's `baseline_vitals`
and `body_measures` (weight, height) repeating beside it; one form per instrument, repeating,
in one event per timepoint (`unscheduled_arm_1` when a response had none); the `vitals` and
`adverse_event` forms, repeating, in `sessions_arm_1`. Dates are date_ymd, times
datetime_seconds_ymd (clinic local time); checkboxes export as `<field>___<code>` with 1/0;
`_complete` is 0 incomplete, 2 complete.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from holdspace.measures import library
from holdspace.measures.definitions import Definition
from holdspace.measures.models import Response
from holdspace.people.models import Client, Phase
from holdspace.screening.models import MedicalHistory, VitalsReading
from holdspace.sessions.models import AdverseEvent, Outcome, Relatedness, Severity, VitalReading
from holdspace.sessions.rules import session_rules

from .deid import Privacy

DICTIONARY_COLUMNS = [
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
RECORD_COLUMNS = [
    "record_id",
    "redcap_event_name",
    "redcap_repeat_instrument",
    "redcap_repeat_instance",
]
ENROLMENT_EVENT = "enrolment_arm_1"
SESSIONS_EVENT = "sessions_arm_1"
UNSCHEDULED = "unscheduled"
NAME_LIMIT = 26  # REDCap advises variable names of at most 26 characters
EVENT_LIMIT = 18  # the part of a unique event name before "_arm_1" that we keep
CHUNK = 2000


def machine_name(text: str, limit: int = NAME_LIMIT) -> str:
    """Lowercase letters, digits and single underscores, starting with a letter."""
    name = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    if not name or not name[0].isalpha():
        name = "f_" + name
    return name[:limit].rstrip("_")


@dataclass
class Field:
    name: str
    form: str
    type: str
    label: str
    choices: list[tuple[str, str]] = field(default_factory=list)
    validation: str = ""
    minimum: str = ""
    maximum: str = ""
    identifier: bool = False
    note: str = ""
    annotation: str = ""

    def dictionary_row(self) -> list[str]:
        choices = " | ".join(f"{code}, {label}" for code, label in self.choices)
        return [
            self.name,
            self.form,
            "",
            self.type,
            self.label,
            choices,
            self.note,
            self.validation,
            self.minimum,
            self.maximum,
            "y" if self.identifier else "",
            "",
            "",
            "",
            "",
            "",
            "",
            self.annotation,
        ]

    def columns(self) -> list[str]:
        if self.type == "checkbox":
            return [f"{self.name}___{code}" for code, _label in self.choices]
        return [self.name]


@dataclass
class Form:
    name: str
    fields: list[Field]
    repeating: bool
    events: list[str]


@dataclass
class Instrument:
    definition: Definition
    form: str
    fields: dict[str, Field]  # by link id
    codes: dict[str, dict[float, str]]  # link id -> option value -> raw code


def _choices(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(code, label.replace("|", "/").replace(",", ";") or code) for code, label in pairs]


def _instrument(definition: Definition, used: set[str]) -> Instrument:
    form = machine_name(definition.code, 20)
    while form in used:
        form = form[:18] + str(len(used))
    used.add(form)
    fields: dict[str, Field] = {}
    codes: dict[str, dict[float, str]] = {}
    for item in definition.items:
        name = machine_name(f"{form}_{item.link_id}")
        label = (item.text or f"Item {item.link_id}")[:500]
        if item.type == "choice":
            integral = all(o.value == int(o.value) for o in item.options)
            mapping = {
                o.value: (str(int(o.value)) if integral else str(index))
                for index, o in enumerate(item.options, start=1)
            }
            codes[item.link_id] = mapping
            choices = _choices(
                [(mapping[o.value], o.label or f"{o.value:g}") for o in item.options]
            )
            note = "" if integral else "Raw codes are the options' positions."
            fields[item.link_id] = Field(name, form, "radio", label, choices, note=note)
        elif item.type == "yes-no":
            fields[item.link_id] = Field(name, form, "yesno", label)
        elif item.type == "scale-0-100":
            fields[item.link_id] = Field(
                name, form, "text", label, validation="integer", minimum="0", maximum="100"
            )
        else:
            fields[item.link_id] = Field(name, form, "text", label, validation="number")
    return Instrument(definition, form, fields, codes)


@dataclass
class Project:
    forms: list[Form]
    instruments: dict[str, Instrument]
    events: dict[str, str]  # timepoint -> unique event name


def event_name(label: str, used: set[str]) -> str:
    base = machine_name(label, EVENT_LIMIT)
    name = base
    number = 2
    while f"{name}_arm_1" in used:
        suffix = str(number)
        name = base[: EVENT_LIMIT - len(suffix)] + suffix
        number += 1
    used.add(f"{name}_arm_1")
    return f"{name}_arm_1"


def project(clients: QuerySet[Client], privacy: Privacy, clinic_id: int) -> Project:
    enrol = [
        Field("record_id", "enrolment", "text", "Record ID"),
        Field(
            "phase",
            "enrolment",
            "radio",
            "Phase of care",
            _choices(
                [(str(i), str(label)) for i, (_v, label) in enumerate(Phase.choices, start=1)]
            ),
        ),
    ]
    if privacy.identified:
        enrol += [
            Field("given_name", "enrolment", "text", "Given name", identifier=True),
            Field("family_name", "enrolment", "text", "Family name", identifier=True),
            Field(
                "birth_date",
                "enrolment",
                "text",
                "Birth date",
                validation="date_ymd",
                identifier=True,
            ),
            Field("email", "enrolment", "text", "Email", validation="email", identifier=True),
            Field("phone", "enrolment", "text", "Phone", identifier=True),
        ]
    elif privacy.deidentified:
        enrol += [
            Field(
                "birth_year",
                "enrolment",
                "text",
                "Birth year (empty when 90 or older)",
                validation="integer",
            ),
            Field("age_group", "enrolment", "text", "Age group (90+ when over 89)"),
        ]
    used_events = {ENROLMENT_EVENT, SESSIONS_EVENT}
    timepoints = sorted(
        {
            tp or UNSCHEDULED
            for tp in Response.objects.filter(client__in=clients)
            .values_list("assignment__timepoint", flat=True)
            .distinct()
        }
    )
    events = {tp: event_name(tp, used_events) for tp in timepoints}
    forms = [Form("enrolment", enrol, repeating=False, events=[ENROLMENT_EVENT])]
    instruments: dict[str, Instrument] = {}
    used_forms = {"enrolment", "baseline_vitals", "body_measures", "vitals", "adverse_event"}
    for code, definition in sorted(library.definitions_for(clinic_id).items()):
        instrument = _instrument(definition, used_forms)
        instruments[code] = instrument
        extra = [
            Field(
                machine_name(f"{instrument.form}_date"),
                instrument.form,
                "text",
                "Date answered",
                validation="date_ymd",
            ),
            Field(
                machine_name(f"{instrument.form}_total"),
                instrument.form,
                "text",
                "Total score (computed by Holdspace)",
                validation="number",
                annotation="@READONLY",
            ),
        ]
        forms.append(
            Form(
                instrument.form,
                [*instrument.fields.values(), *extra],
                repeating=True,
                events=list(events.values()),
            )
        )
    # Screening: baseline readings and each medical-history version's weight and height,
    # repeating in the enrolment event (they are taken before any session).
    forms.append(
        Form(
            "baseline_vitals",
            [
                Field(
                    "baseline_time",
                    "baseline_vitals",
                    "text",
                    "Time measured (screening)",
                    validation="datetime_seconds_ymd",
                ),
                Field(
                    "baseline_systolic",
                    "baseline_vitals",
                    "text",
                    "Systolic (mmHg)",
                    validation="integer",
                ),
                Field(
                    "baseline_diastolic",
                    "baseline_vitals",
                    "text",
                    "Diastolic (mmHg)",
                    validation="integer",
                ),
                Field(
                    "baseline_heart_rate",
                    "baseline_vitals",
                    "text",
                    "Heart rate (/min)",
                    validation="integer",
                ),
                Field(
                    "baseline_temp",
                    "baseline_vitals",
                    "text",
                    "Temperature (C)",
                    validation="number",
                ),
            ],
            repeating=True,
            events=[ENROLMENT_EVENT],
        )
    )
    forms.append(
        Form(
            "body_measures",
            [
                Field(
                    "body_time",
                    "body_measures",
                    "text",
                    "Time recorded (medical history)",
                    validation="datetime_seconds_ymd",
                ),
                Field("body_weight", "body_measures", "text", "Weight (kg)", validation="number"),
                Field("body_height", "body_measures", "text", "Height (cm)", validation="integer"),
            ],
            repeating=True,
            events=[ENROLMENT_EVENT],
        )
    )
    rules = session_rules()
    criteria = [(machine_name(c.key, 20), c.label) for c in rules.adverse_events.serious_criteria]
    forms.append(
        Form(
            "vitals",
            [
                Field(
                    "vitals_session",
                    "vitals",
                    "text",
                    "Medicine session (id)",
                    validation="integer",
                ),
                Field(
                    "vitals_time", "vitals", "text", "Time taken", validation="datetime_seconds_ymd"
                ),
                Field("vitals_systolic", "vitals", "text", "Systolic (mmHg)", validation="integer"),
                Field(
                    "vitals_diastolic", "vitals", "text", "Diastolic (mmHg)", validation="integer"
                ),
                Field(
                    "vitals_heart_rate", "vitals", "text", "Heart rate (/min)", validation="integer"
                ),
                Field("vitals_temp", "vitals", "text", "Temperature (C)", validation="number"),
                Field("vitals_spo2", "vitals", "text", "SpO2 (%)", validation="integer"),
            ],
            repeating=True,
            events=[SESSIONS_EVENT],
        )
    )
    forms.append(
        Form(
            "adverse_event",
            [
                Field(
                    "ae_session",
                    "adverse_event",
                    "text",
                    "Medicine session (id)",
                    validation="integer",
                ),
                Field("ae_term", "adverse_event", "text", "Term"),
                Field(
                    "ae_onset", "adverse_event", "text", "Onset", validation="datetime_seconds_ymd"
                ),
                Field(
                    "ae_severity",
                    "adverse_event",
                    "radio",
                    "Severity",
                    _choices(_coded(Severity.choices)),
                ),
                Field("ae_serious", "adverse_event", "yesno", "Serious"),
                Field(
                    "ae_criteria",
                    "adverse_event",
                    "checkbox",
                    "Serious criteria",
                    _choices(criteria),
                ),
                Field(
                    "ae_relatedness",
                    "adverse_event",
                    "radio",
                    "Relatedness",
                    _choices(_coded(Relatedness.choices)),
                ),
                Field(
                    "ae_outcome",
                    "adverse_event",
                    "radio",
                    "Outcome",
                    _choices(_coded(Outcome.choices)),
                ),
            ],
            repeating=True,
            events=[SESSIONS_EVENT],
        )
    )
    return Project(forms, instruments, events)


def _coded(choices: list[tuple[str, Any]]) -> list[tuple[str, str]]:
    return [(str(i), str(label)) for i, (_v, label) in enumerate(choices, start=1)]


def _code_of(choices: list[tuple[str, Any]], value: str) -> str:
    for i, (key, _label) in enumerate(choices, start=1):
        if key == value:
            return str(i)
    return ""


def header(proj: Project) -> list[str]:
    columns = list(RECORD_COLUMNS)
    for form in proj.forms:
        for f in form.fields:
            if f.name != "record_id":
                columns += f.columns()
        columns.append(f"{form.name}_complete")
    return columns


def _stamp(value: dt.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def records(clients: QuerySet[Client], privacy: Privacy, proj: Project) -> Iterator[dict[str, Any]]:
    phases = [key for key, _label in Phase.choices]
    fields = ["code", "phase", "identity__birth_date"]
    if privacy.identified:
        fields += [
            "identity__given_name",
            "identity__family_name",
            "identity__email",
            "identity__phone",
        ]
    for row in clients.order_by("pk").values(*fields).iterator(chunk_size=CHUNK):
        code = row["code"]
        out: dict[str, Any] = {
            "record_id": privacy.subject(code),
            "redcap_event_name": ENROLMENT_EVENT,
            "phase": str(phases.index(row["phase"]) + 1),
            "enrolment_complete": 2,
        }
        birth, group = privacy.birth(row["identity__birth_date"])
        if privacy.identified:
            out.update(
                given_name=row["identity__given_name"] or "",
                family_name=row["identity__family_name"] or "",
                birth_date=birth or "",
                email=row["identity__email"] or "",
                phone=row["identity__phone"] or "",
            )
        elif privacy.deidentified:
            out.update(birth_year=birth or "", age_group=group or "")
        yield out

    instances: dict[tuple[str, str, str], int] = {}
    last_client = None

    def instance(record: str, event: str, form: str) -> int:
        nonlocal last_client
        if record != last_client:  # rows come ordered by client: keep one client's counters
            instances.clear()
            last_client = record
        key = (record, event, form)
        instances[key] = instances.get(key, 0) + 1
        return instances[key]

    responses = Response.objects.filter(client__in=clients).order_by("client_id", "pk")
    for row in responses.values(
        "client__code",
        "instrument_code",
        "assignment__timepoint",
        "answers",
        "submitted_at",
        "updated_at",
        "score__total",
    ).iterator(chunk_size=CHUNK):
        instrument = proj.instruments.get(row["instrument_code"])
        if instrument is None:
            continue
        code = row["client__code"]
        record = privacy.subject(code)
        event = proj.events[row["assignment__timepoint"] or UNSCHEDULED]
        form = instrument.form
        out = {
            "record_id": record,
            "redcap_event_name": event,
            "redcap_repeat_instrument": form,
            "redcap_repeat_instance": instance(record, event, form),
            f"{form}_complete": 2 if row["submitted_at"] else 0,
        }
        for link_id, value in row["answers"].items():
            target = instrument.fields.get(link_id)
            if target is None or value is None:
                continue
            if target.type == "radio":
                out[target.name] = instrument.codes[link_id].get(float(value), "")
            elif target.type == "yesno":
                out[target.name] = 1 if value else 0
            elif target.validation == "integer":
                out[target.name] = int(value)
            else:
                out[target.name] = f"{float(value):g}"
        day = privacy.shifted(code, timezone.localtime(row["submitted_at"] or row["updated_at"]))
        out[machine_name(f"{form}_date")] = day.date().isoformat()
        if row["score__total"] is not None:
            out[machine_name(f"{form}_total")] = f"{row['score__total']:g}"
        yield out

    baseline = VitalsReading.objects.filter(client__in=clients).order_by("client_id", "pk")
    for code, measured_at, systolic, diastolic, heart_rate, temperature in baseline.values_list(
        "client__code", "measured_at", "systolic", "diastolic", "heart_rate", "temperature_c"
    ).iterator(chunk_size=CHUNK):
        record = privacy.subject(code)
        yield {
            "record_id": record,
            "redcap_event_name": ENROLMENT_EVENT,
            "redcap_repeat_instrument": "baseline_vitals",
            "redcap_repeat_instance": instance(record, ENROLMENT_EVENT, "baseline_vitals"),
            "baseline_time": _stamp(privacy.shifted(code, measured_at)),
            "baseline_systolic": systolic,
            "baseline_diastolic": diastolic,
            "baseline_heart_rate": heart_rate,
            "baseline_temp": "" if temperature is None else f"{float(temperature):g}",
            "baseline_vitals_complete": 2,
        }
    bodies = (
        MedicalHistory.objects.filter(client__in=clients)
        .exclude(weight_kg__isnull=True, height_cm__isnull=True)
        .order_by("client_id", "pk")
    )
    for code, recorded_at, weight_kg, height_cm in bodies.values_list(
        "client__code", "recorded_at", "weight_kg", "height_cm"
    ).iterator(chunk_size=CHUNK):
        record = privacy.subject(code)
        yield {
            "record_id": record,
            "redcap_event_name": ENROLMENT_EVENT,
            "redcap_repeat_instrument": "body_measures",
            "redcap_repeat_instance": instance(record, ENROLMENT_EVENT, "body_measures"),
            "body_time": _stamp(privacy.shifted(code, recorded_at)),
            "body_weight": "" if weight_kg is None else f"{float(weight_kg):g}",
            "body_height": "" if height_cm is None else height_cm,
            "body_measures_complete": 2,
        }

    vitals = VitalReading.objects.filter(session__client__in=clients).order_by(
        "session__client_id", "pk"
    )
    for row in vitals.values(
        "session__client__code",
        "session_id",
        "taken_at",
        "systolic",
        "diastolic",
        "heart_rate",
        "temperature",
        "spo2",
    ).iterator(chunk_size=CHUNK):
        code = row["session__client__code"]
        record = privacy.subject(code)
        yield {
            "record_id": record,
            "redcap_event_name": SESSIONS_EVENT,
            "redcap_repeat_instrument": "vitals",
            "redcap_repeat_instance": instance(record, SESSIONS_EVENT, "vitals"),
            "vitals_session": row["session_id"],
            "vitals_time": _stamp(privacy.shifted(code, row["taken_at"])),
            "vitals_systolic": row["systolic"],
            "vitals_diastolic": row["diastolic"],
            "vitals_heart_rate": row["heart_rate"],
            "vitals_temp": f"{float(row['temperature']):g}",
            "vitals_spo2": row["spo2"] if row["spo2"] is not None else "",
            "vitals_complete": 2,
        }

    criteria = [machine_name(c.key, 20) for c in session_rules().adverse_events.serious_criteria]
    events = AdverseEvent.objects.filter(session__client__in=clients).order_by(
        "session__client_id", "pk"
    )
    for row in events.values(
        "session__client__code",
        "session_id",
        "term",
        "onset_at",
        "severity",
        "serious_criteria",
        "relatedness",
        "outcome",
    ).iterator(chunk_size=CHUNK):
        code = row["session__client__code"]
        record = privacy.subject(code)
        chosen = {machine_name(c, 20) for c in row["serious_criteria"] or []}
        out = {
            "record_id": record,
            "redcap_event_name": SESSIONS_EVENT,
            "redcap_repeat_instrument": "adverse_event",
            "redcap_repeat_instance": instance(record, SESSIONS_EVENT, "adverse_event"),
            "ae_session": row["session_id"],
            "ae_term": "" if privacy.deidentified else row["term"],
            "ae_onset": _stamp(privacy.shifted(code, row["onset_at"])),
            "ae_severity": _code_of(Severity.choices, row["severity"]),
            "ae_serious": 1 if chosen else 0,
            "ae_relatedness": _code_of(Relatedness.choices, row["relatedness"]),
            "ae_outcome": _code_of(Outcome.choices, row["outcome"]),
            "adverse_event_complete": 2,
        }
        for key in criteria:
            out[f"ae_criteria___{key}"] = 1 if key in chosen else 0
        yield out


def write_redcap(
    directory: Path,
    clients: QuerySet[Client],
    privacy: Privacy,
    clinic_id: int,
    tick: Callable[[], None],
) -> list[tuple[str, str, int]]:
    proj = project(clients, privacy, clinic_id)
    with (directory / "data_dictionary.csv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(DICTIONARY_COLUMNS)
        count = 0
        for form in proj.forms:
            for f in form.fields:
                writer.writerow(f.dictionary_row())
                count += 1
    written = [("data_dictionary.csv", "redcap_dictionary", count)]
    all_events = [ENROLMENT_EVENT, *proj.events.values(), SESSIONS_EVENT]
    with (directory / "events.csv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["event_name", "arm_num", "unique_event_name"])
        for name in all_events:
            writer.writerow([name.removesuffix("_arm_1"), 1, name])
    written.append(("events.csv", "redcap_events", len(all_events)))
    mapping = [(1, event, form.name) for form in proj.forms for event in form.events]
    with (directory / "instrument_event_mapping.csv").open(
        "w", encoding="utf-8", newline=""
    ) as out:
        writer = csv.writer(out)
        writer.writerow(["arm_num", "unique_event_name", "form"])
        writer.writerows(mapping)
    written.append(("instrument_event_mapping.csv", "redcap_mapping", len(mapping)))
    repeating = [
        (event, form.name) for form in proj.forms if form.repeating for event in form.events
    ]
    with (directory / "repeating_forms_events.csv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["event_name", "form_name", "custom_form_label"])
        writer.writerows([(event, form, "") for event, form in repeating])
    written.append(("repeating_forms_events.csv", "redcap_repeating", len(repeating)))
    columns = header(proj)
    with (directory / "records.csv").open("w", encoding="utf-8", newline="") as out:
        rows = csv.DictWriter(out, fieldnames=columns, restval="", extrasaction="raise")
        rows.writeheader()
        count = 0
        for row in records(clients, privacy, proj):
            rows.writerow(row)
            count += 1
            if count % 5000 == 0:
                tick()
    written.append(("records.csv", "redcap_records", count))
    return written
