"""The resources of a FHIR Bulk Data export, one generator per type, streaming rows from the
database with `.iterator()` as tuples (no whole table in memory, no model per row) and
building each resource as plain dicts around parts made once per export (codings, categories,
answer items), which are shared between resources rather than rebuilt.

Resources are FHIR R4 (fhir.resources' R4B models validate them; the resources used here did
not change between R4 and R4B). Every resource points at its Patient by `Patient/<id>`, where
the id is the client code, or the research id in a de-identified export.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import orjson
from django.db.models import Q, QuerySet, TextField
from django.db.models.functions import Cast

from holdspace.courses.models import Course, Visit
from holdspace.measures import fhir as measures_fhir
from holdspace.measures import library
from holdspace.measures.models import Response, Score
from holdspace.people.models import Client
from holdspace.preparation.models import Preparation
from holdspace.screening.models import MedicalHistory, Medication, VitalsReading
from holdspace.sessions import fhir as sessions_fhir
from holdspace.sessions.models import AdverseEvent, MedicineSession, SessionStatus, VitalReading

from .deid import Privacy

CHUNK = 2000
CODE_SYSTEM = "https://holdspace.org/client-code"
HS = "https://holdspace.org/fhir/CodeSystem/"
AGE_GROUP_EXTENSION = "https://holdspace.org/fhir/StructureDefinition/age-group"

Resource = dict[str, Any]


def stream(rows: QuerySet[Any], *fields: str) -> Iterator[tuple[Any, ...]]:
    """The rows' fields as tuples, fetched in chunks (a server-side cursor on PostgreSQL):
    memory stays flat whatever the number of rows."""
    found: Iterator[tuple[Any, ...]] = rows.values_list(*fields).iterator(chunk_size=CHUNK)
    return found


Source = Callable[[QuerySet[Client], dt.datetime | None, Privacy, int], Iterator[Resource]]


def stream_dicts(rows: QuerySet[Any], *fields: str) -> Iterator[dict[str, Any]]:
    """The rows' fields as dicts, fetched in chunks (for the smaller tables, where reading by
    name keeps the code plain)."""
    found: Iterator[dict[str, Any]] = rows.values(*fields).iterator(chunk_size=CHUNK)
    return found


def patient(subject: str, system: str) -> Resource:
    """A Patient known by its code (or research id) alone: all a pseudonymous export says."""
    return {
        "resourceType": "Patient",
        "id": subject,
        "identifier": [{"system": system, "value": subject}],
    }


def patient_system(privacy: Privacy) -> str:
    return CODE_SYSTEM + ("/research" if privacy.deidentified else "")


def patients(
    clients: QuerySet[Client], since: dt.datetime | None, privacy: Privacy, clinic_id: int
) -> Iterator[Resource]:
    rows = clients.order_by("pk")
    if since is not None:
        rows = rows.filter(updated_at__gte=since)
    fields = ["code", "identity__birth_date"]
    if privacy.identified:
        fields += [
            "identity__given_name",
            "identity__family_name",
            "identity__email",
            "identity__phone",
        ]
    system = patient_system(privacy)
    pseudonymous = not privacy.identified and not privacy.deidentified
    for row in stream(rows, *fields):
        code = row[0]
        subject = privacy.subject(code)
        resource = patient(subject, system)
        if pseudonymous:  # no birth date, no identity: nothing more to add
            yield resource
            continue
        birth, group = privacy.birth(row[1])
        if birth:
            resource["birthDate"] = birth
        if group:
            resource["extension"] = [{"url": AGE_GROUP_EXTENSION, "valueString": group}]
        if privacy.identified and row[3]:
            given, family, email, phone = row[2:6]
            resource["name"] = [{"family": family, "given": [given]}]
            telecom = []
            if email:
                telecom.append({"system": "email", "value": email})
            if phone:
                telecom.append({"system": "phone", "value": phone})
            if telecom:
                resource["telecom"] = telecom
        yield resource


def questionnaires(
    clients: QuerySet[Client], since: dt.datetime | None, privacy: Privacy, clinic_id: int
) -> Iterator[Resource]:
    for code, definition in sorted(library.definitions_for(clinic_id).items()):
        resource = measures_fhir.questionnaire(definition)
        resource["id"] = "".join(ch for ch in code if ch.isalnum() or ch in "-.")[:64]
        yield resource


class _Answers:
    """Answer items of QuestionnaireResponses, each made once per export by the shared
    mapping (measures.fhir.response_items) and then looked up: a network export holds
    millions of answers drawn from a few hundred distinct (item, value) pairs. Bounded, so
    memory stays flat even if values were free numbers."""

    LIMIT = 50_000

    def __init__(self, definitions: dict[str, Any]) -> None:
        self.definitions = definitions
        # Per instrument, in the definition's item order: (link id, value -> item). Free
        # numbers ("number" items) are built each time: 1 and 1.0 would share a key.
        self.tables: dict[str, list[tuple[str, dict[Any, dict[str, Any]] | None]]] = {
            code: [
                (item.link_id, {} if item.type != "number" else None) for item in definition.items
            ]
            for code, definition in definitions.items()
        }
        self.size = 0

    def items(self, instrument: str, answers: dict[str, Any]) -> list[dict[str, Any]]:
        found = []
        for link_id, made in self.tables[instrument]:
            if link_id not in answers:
                continue
            value = answers[link_id]
            item = made.get(value) if made is not None and value.__hash__ else None
            if item is None:
                [item] = measures_fhir.response_items(
                    {link_id: value}, self.definitions[instrument]
                )
                if made is not None and value.__hash__:
                    if self.size >= self.LIMIT:
                        for entries in self.tables.values():
                            for _link, table in entries:
                                if table:
                                    table.clear()
                        self.size = 0
                    made[value] = item
                    self.size += 1
            found.append(item)
        return found


def questionnaire_responses(
    clients: QuerySet[Client],
    since: dt.datetime | None,
    privacy: Privacy,
    clinic_id: int,
    only: list[int] | None = None,
) -> Iterator[Resource]:
    """`only`: these responses (those fhir_sql hands back: an answer it has no item for)."""
    definitions = library.definitions_for(clinic_id)
    answers = _Answers(definitions)
    references: dict[tuple[str, str], str] = {}
    rows = response_rows(clients, since, definitions)
    if only is not None:
        rows = rows.filter(pk__in=only)
    # The answers as JSON text, parsed by orjson: several times faster than the JSONField's
    # own decoding, which matters at millions of rows.
    rows = rows.annotate(answers_text=Cast("answers", TextField()))
    values = stream(
        rows,
        "pk",
        "client__code",
        "instrument_code",
        "definition_version",
        "answers_text",
        "submitted_at",
        "updated_at",
    )
    for pk, code, instrument, version, answers_text, submitted_at, updated_at in values:
        definition = definitions[instrument]
        reference = references.get((instrument, version))
        if reference is None:
            reference = references[instrument, version] = measures_fhir.questionnaire_reference(
                definition, version
            )
        yield questionnaire_response(
            pk,
            questionnaire=reference,
            status=response_status(submitted_at),
            subject=privacy.reference(code),
            authored=privacy.when(code, submitted_at or updated_at),
            items=answers.items(instrument, orjson.loads(answers_text or "{}")),
        )


def questionnaire_response(
    pk: object, *, questionnaire: str, status: str, subject: object, authored: object, items: object
) -> Resource:
    return {
        "resourceType": "QuestionnaireResponse",
        "id": f"qr-{pk}",
        "questionnaire": questionnaire,
        "status": status,
        "subject": subject,
        "authored": authored,
        "item": items,
    }


def response_rows(
    clients: QuerySet[Client], since: dt.datetime | None, definitions: dict[str, Any]
) -> QuerySet[Response]:
    """The responses an export writes: not those of an instrument the clinic no longer has
    (nothing to interpret them with)."""
    rows = Response.objects.filter(client__in=clients, instrument_code__in=list(definitions))
    if since is not None:
        rows = rows.filter(updated_at__gte=since)
    return rows.order_by("pk")


def response_status(submitted_at: object) -> str:
    return "completed" if submitted_at else "in-progress"


SURVEY = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "survey",
            "display": "Survey",
        }
    ]
}


# A screening visit's baseline vital signs as both export paths read them (fhir_sql's line
# templates count on this order).
BASELINE_READING_COLUMNS = (
    "pk",
    "client__code",
    "measured_at",
    "systolic",
    "diastolic",
    "heart_rate",
    "temperature_c",
)

# A medicine session's vital-signs reading as both export paths read it (fhir_sql's line
# templates count on this order).
SESSION_READING_COLUMNS = (
    "pk",
    "session__client__code",
    "taken_at",
    "systolic",
    "diastolic",
    "heart_rate",
    "temperature",
    "spo2",
)


def observations(
    clients: QuerySet[Client], since: dt.datetime | None, privacy: Privacy, clinic_id: int
) -> Iterator[Resource]:
    """Vital signs (LOINC, UCUM): during medicine sessions, then the baseline readings and body
    weight and height recorded at screening; then instrument totals."""
    vitals = sessions_fhir.VitalSigns()
    readings = VitalReading.objects.filter(session__client__in=clients).order_by("pk")
    if since is not None:
        readings = readings.filter(recorded_at__gte=since)
    for pk, code, taken_at, systolic, diastolic, heart_rate, temperature, spo2 in stream(
        readings, *SESSION_READING_COLUMNS
    ):
        for suffix, fields in vitals.reading(
            subject=privacy.reference(code),
            taken_at=privacy.when(code, taken_at) or "",
            systolic=systolic,
            diastolic=diastolic,
            heart_rate=heart_rate,
            temperature=float(temperature),
            spo2=spo2,
        ):
            yield vital_observation("vital", pk, suffix, fields)
    yield from screening_observations(clients, since, privacy, vitals)
    texts = score_texts(clinic_id)
    codes: dict[str, dict[str, Any]] = {}
    scores = Score.objects.filter(client__in=clients).order_by("pk")
    if since is not None:
        scores = scores.filter(scored_at__gte=since)
    for pk, response_id, code, instrument, total, band, observed_on in stream(
        scores,
        "pk",
        "response_id",
        "client__code",
        "instrument_code",
        "total",
        "band",
        "observed_on",
    ):
        if total is None:
            continue
        concept = codes.get(instrument)
        if concept is None:
            concept = codes[instrument] = score_concept(instrument, texts)
        yield score_observation(
            pk,
            response_id,
            concept=concept,
            subject=privacy.reference(code),
            at=privacy.when(code, observed_on),
            total=total,
            band=band,
        )


SURVEY_CATEGORY = [SURVEY]


def vital_observation(prefix: str, pk: object, suffix: str, fields: Resource) -> Resource:
    """One Observation of a reading (`vital`, `baseline`) or medical history (`history`)."""
    return {"resourceType": "Observation", "id": f"{prefix}-{pk}-{suffix}", **fields}


def score_texts(clinic_id: int) -> dict[str, str]:
    return {code: f"{d.name} total" for code, d in library.definitions_for(clinic_id).items()}


def score_concept(instrument: str, texts: dict[str, str]) -> dict[str, Any]:
    return {
        "coding": [{"system": HS + "instrument-total", "code": instrument}],
        "text": texts.get(instrument, f"{instrument} total"),
    }


def score_observation(
    pk: object,
    response_id: object,
    *,
    concept: object,
    subject: object,
    at: str | None,
    total: object,
    band: str,
) -> Resource:
    """An instrument total as a survey Observation, derived from its QuestionnaireResponse."""
    resource: Resource = {
        "resourceType": "Observation",
        "id": f"score-{pk}",
        "status": "final",
        "category": SURVEY_CATEGORY,
        "code": concept,
        "subject": subject,
        "effectiveDateTime": at,
        "valueQuantity": {"value": total, "unit": "{score}"},
        "derivedFrom": [{"reference": f"QuestionnaireResponse/qr-{response_id}"}],
    }
    if band:
        resource["interpretation"] = [{"text": band}]
    return resource


def screening_observations(
    clients: QuerySet[Client],
    since: dt.datetime | None,
    privacy: Privacy,
    vitals: sessions_fhir.VitalSigns,
) -> Iterator[Resource]:
    """Screening's baseline readings (blood pressure, heart rate, temperature when taken) and
    each medical-history version's body weight and height, as vital-sign Observations with the
    same codes as session readings. `_since` reads the time each was recorded."""
    readings = VitalsReading.objects.filter(client__in=clients).order_by("pk")
    histories = MedicalHistory.objects.filter(client__in=clients).order_by("pk")
    histories = histories.filter(Q(weight_kg__isnull=False) | Q(height_cm__isnull=False))
    if since is not None:
        readings = readings.filter(recorded_at__gte=since)
        histories = histories.filter(recorded_at__gte=since)
    for pk, code, measured_at, systolic, diastolic, heart_rate, temperature in stream(
        readings, *BASELINE_READING_COLUMNS
    ):
        for suffix, fields in vitals.reading(
            subject=privacy.reference(code),
            taken_at=privacy.when(code, measured_at) or "",
            systolic=systolic,
            diastolic=diastolic,
            heart_rate=heart_rate,
            temperature=None if temperature is None else float(temperature),
            spo2=None,
        ):
            yield vital_observation("baseline", pk, suffix, fields)
    for pk, code, recorded_at, weight_kg, height_cm in stream(
        histories, "pk", "client__code", "recorded_at", "weight_kg", "height_cm"
    ):
        for suffix, fields in vitals.body(
            subject=privacy.reference(code),
            at=privacy.when(code, recorded_at) or "",
            weight_kg=None if weight_kg is None else float(weight_kg),
            height_cm=height_cm,
        ):
            yield vital_observation("history", pk, suffix, fields)


def medication_statements(
    clients: QuerySet[Client], since: dt.datetime | None, privacy: Privacy, clinic_id: int
) -> Iterator[Resource]:
    """Current and recent medication from screening. The name a person typed is free text:
    only an identified export carries it; the others carry the medication list's key."""
    rows = Medication.objects.filter(client__in=clients).order_by("pk")
    if since is not None:
        rows = rows.filter(updated_at__gte=since)
    for row in stream_dicts(
        rows, "pk", "client__code", "name", "list_key", "dose", "start_date", "stop_date"
    ):
        code = row["client__code"]
        if privacy.identified:
            medication: Resource = {"text": row["name"]}
        elif row["list_key"]:
            medication = {"coding": [{"system": HS + "medication", "code": row["list_key"]}]}
        else:
            medication = {"text": "unlisted medication"}
        resource: Resource = {
            "resourceType": "MedicationStatement",
            "id": f"med-{row['pk']}",
            "status": "completed" if row["stop_date"] else "active",
            "medicationCodeableConcept": medication,
            "subject": privacy.reference(code),
        }
        period = {
            key: privacy.when(code, row[field])
            for key, field in (("start", "start_date"), ("end", "stop_date"))
            if row[field]
        }
        if period:
            resource["effectivePeriod"] = period
        if privacy.identified and row["dose"]:
            resource["dosage"] = [{"text": row["dose"]}]
        yield resource


AE_SEVERITY = "http://terminology.hl7.org/CodeSystem/adverse-event-severity"
AE_SERIOUS = "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness"
AE_OUTCOME = "http://terminology.hl7.org/CodeSystem/adverse-event-outcome"
OUTCOMES = {
    "ongoing": "ongoing",
    "resolved": "resolved",
    "resolved_sequelae": "resolvedWithSequelae",
    "fatal": "fatal",
}


def adverse_events(
    clients: QuerySet[Client], since: dt.datetime | None, privacy: Privacy, clinic_id: int
) -> Iterator[Resource]:
    rows = AdverseEvent.objects.filter(session__client__in=clients).order_by("pk")
    if since is not None:
        rows = rows.filter(reported_at__gte=since)
    for row in stream_dicts(
        rows,
        "pk",
        "session_id",
        "session__client__code",
        "term",
        "onset_at",
        "severity",
        "serious_criteria",
        "relatedness",
        "outcome",
        "reported_at",
    ):
        code = row["session__client__code"]
        serious = bool(row["serious_criteria"])
        resource: Resource = {
            "resourceType": "AdverseEvent",
            "id": f"ae-{row['pk']}",
            "actuality": "actual",
            # The term is typed by staff: a de-identified export leaves it out.
            "event": {"text": "adverse event" if privacy.deidentified else row["term"]},
            "subject": privacy.reference(code),
            "date": privacy.when(code, row["onset_at"]),
            "recordedDate": privacy.when(code, row["reported_at"]),
            "seriousness": {
                "coding": [
                    {
                        "system": AE_SERIOUS,
                        "code": "serious" if serious else "non-serious",
                    }
                ]
            },
            "suspectEntity": [
                {
                    "instance": {"reference": f"Procedure/session-{row['session_id']}"},
                    "causality": [{"assessment": {"text": row["relatedness"]}}],
                }
            ],
        }
        if row["severity"] in ("mild", "moderate", "severe"):
            resource["severity"] = {"coding": [{"system": AE_SEVERITY, "code": row["severity"]}]}
        else:
            resource["severity"] = {"text": row["severity"]}
        if row["outcome"] in OUTCOMES:
            resource["outcome"] = {
                "coding": [{"system": AE_OUTCOME, "code": OUTCOMES[row["outcome"]]}]
            }
        yield resource


ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"


def encounters(
    clients: QuerySet[Client], since: dt.datetime | None, privacy: Privacy, clinic_id: int
) -> Iterator[Resource]:
    """Visits of each client's courses (a couple's visit is one Encounter per client)."""
    rows = Visit.objects.filter(course__clients__in=clients).order_by("pk")
    if since is not None:
        rows = rows.filter(Q(starts_at__gte=since) | Q(moves__at__gte=since)).distinct()
    now = dt.datetime.now(tz=dt.UTC)
    for row in stream_dicts(
        rows,
        "pk",
        "course__clients__code",
        "course__clients__pk",
        "kind",
        "number",
        "starts_at",
        "duration_minutes",
        "cancelled",
    ):
        code = row["course__clients__code"]
        end = row["starts_at"] + dt.timedelta(minutes=row["duration_minutes"])
        status = "cancelled" if row["cancelled"] else ("finished" if end < now else "planned")
        yield {
            "resourceType": "Encounter",
            "id": f"visit-{row['pk']}-{row['course__clients__pk']}",
            "status": status,
            "class": {"system": ACT_CODE, "code": "AMB", "display": "ambulatory"},
            "type": [
                {
                    "coding": [{"system": HS + "visit-kind", "code": row["kind"]}],
                    "text": f"{row['kind']} {row['number']}",
                }
            ],
            "subject": privacy.reference(code),
            "period": {
                "start": privacy.when(code, row["starts_at"]),
                "end": privacy.when(code, end),
            },
        }


CARE_PLAN_STATUS = {"proposed": "draft", "active": "active", "closed": "completed"}


def care_plans(
    clients: QuerySet[Client], since: dt.datetime | None, privacy: Privacy, clinic_id: int
) -> Iterator[Resource]:
    """Each course, once per client on it."""
    rows = Course.objects.filter(clients__in=clients).order_by("pk")
    if since is not None:
        rows = rows.filter(
            Q(created_at__gte=since) | Q(accepted_at__gte=since) | Q(closed_at__gte=since)
        )
    for row in stream_dicts(
        rows,
        "pk",
        "clients__code",
        "clients__pk",
        "status",
        "template_key",
        "template_name",
        "start_date",
        "closed_at",
        "closed_reason",
    ):
        code = row["clients__code"]
        period = {"start": privacy.when(code, row["start_date"])}
        if row["closed_at"]:
            period["end"] = privacy.when(code, row["closed_at"])
        resource: Resource = {
            "resourceType": "CarePlan",
            "id": f"course-{row['pk']}-{row['clients__pk']}",
            "status": CARE_PLAN_STATUS.get(row["status"], "unknown"),
            "intent": "plan",
            "title": row["template_name"],
            "category": [{"coding": [{"system": HS + "protocol", "code": row["template_key"]}]}],
            "subject": privacy.reference(code),
            "period": period,
        }
        if row["closed_reason"]:
            resource["note"] = [{"text": f"closed: {row['closed_reason']}"}]
        yield resource


PROCEDURE_STATUS: dict[str, str] = {
    SessionStatus.PREPARING: "preparation",
    SessionStatus.RUNNING: "in-progress",
    SessionStatus.ENDED: "completed",
}


def procedures(
    clients: QuerySet[Client], since: dt.datetime | None, privacy: Privacy, clinic_id: int
) -> Iterator[Resource]:
    """Each medicine session."""
    rows = MedicineSession.objects.filter(client__in=clients).order_by("pk")
    if since is not None:
        rows = rows.filter(updated_at__gte=since)
    for row in stream_dicts(
        rows, "pk", "client__code", "client__pk", "visit_id", "status", "started_at", "ended_at"
    ):
        code = row["client__code"]
        resource: Resource = {
            "resourceType": "Procedure",
            "id": f"session-{row['pk']}",
            "status": PROCEDURE_STATUS.get(row["status"], "unknown"),
            "code": {
                "coding": [{"system": HS + "procedure", "code": "mdma-medicine-session"}],
                "text": "MDMA-assisted therapy medicine session",
            },
            "subject": privacy.reference(code),
            "encounter": {"reference": f"Encounter/visit-{row['visit_id']}-{row['client__pk']}"},
        }
        if row["started_at"]:
            period = {"start": privacy.when(code, row["started_at"])}
            if row["ended_at"]:
                period["end"] = privacy.when(code, row["ended_at"])
            resource["performedPeriod"] = period
        yield resource


CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
CONSENTS = (
    ("supportive_touch", "supportive-touch", "Supportive touch during sessions"),
    ("recording_consent", "session-recording", "Recording of medicine sessions"),
)


def consents(
    clients: QuerySet[Client], since: dt.datetime | None, privacy: Privacy, clinic_id: int
) -> Iterator[Resource]:
    """Consents recorded in preparation (supportive touch, recording), when answered."""
    rows = Preparation.objects.filter(client__in=clients).order_by("pk")
    if since is not None:
        rows = rows.filter(updated_at__gte=since)
    for row in stream_dicts(
        rows, "pk", "client__code", "supportive_touch", "recording_consent", "updated_at"
    ):
        code = row["client__code"]
        for field, key, text in CONSENTS:
            if row[field] not in ("yes", "no"):
                continue
            yield {
                "resourceType": "Consent",
                "id": f"consent-{row['pk']}-{key}",
                "status": "active",
                "scope": {"coding": [{"system": CONSENT_SCOPE, "code": "treatment"}]},
                "category": [{"coding": [{"system": HS + "consent", "code": key}], "text": text}],
                "patient": privacy.reference(code),
                "dateTime": privacy.when(code, row["updated_at"]),
                "policyRule": {"text": "Consent recorded in the clinic's preparation checklist"},
                "provision": {"type": "permit" if row[field] == "yes" else "deny"},
            }


# Every type the export can write, in the order written.
SOURCES: dict[str, Source] = {
    "Patient": patients,
    "Questionnaire": questionnaires,
    "QuestionnaireResponse": questionnaire_responses,
    "Observation": observations,
    "MedicationStatement": medication_statements,
    "AdverseEvent": adverse_events,
    "Encounter": encounters,
    "CarePlan": care_plans,
    "Procedure": procedures,
    "Consent": consents,
}
