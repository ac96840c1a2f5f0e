"""Every write to measures: permission, transaction and audit in one place.

Other apps call `assignment_create`, `safety_alert_raise` and `safety_alert_acknowledge`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from holdspace.audit.models import Channel
from holdspace.people.actors import Actor
from holdspace.people.auditing import audit_write
from holdspace.people.models import Client
from holdspace.people.policies import require
from holdspace.screening.models import PriorExperience

from . import library, policies, scoring
from .definitions import Definition
from .models import (
    Assignment,
    AssignmentState,
    EnteredBy,
    InstrumentDefinition,
    Response,
    SafetyAlert,
    Score,
    Severity,
)

LINK_SALT = "holdspace.measures.link"
LINK_DAYS = 14  # how long a one-time link stays valid; a new link replaces the old one
# The acute-experience measures that may be filled in about an earlier experience (issue 11):
# the same ones filled the day after each medicine session.
RETROSPECTIVE_INSTRUMENTS = ("EBI", "MEQ30", "CEQ")
SOURCES = frozenset({"measures", "check-in", "session", "courses", "integration", "preparation"})


def _audit(
    by: Actor | None, action: str, *, client: Client, target: Any, fields: list[str]
) -> None:
    # `by` is None for a client answering through a one-time link: no account acts. An
    # operator's job on the command line has no account either, and says so.
    if by is not None and by.user is None and by.channel == Channel.CLI:
        label = "command line job"
    elif by is None or by.user is None:
        label = "client (one-time link)"
    else:
        label = ""
    audit_write(
        by or Actor(user=None, membership=None),
        action,
        actor_label=label,
        target=target,
        client=client,
        fields=fields,
    )


def _require_write(by: Actor, client: Client) -> None:
    require(
        by,
        policies.can_write_measures,
        client,
        message="You may not record measures for this client.",
    )


# --- assignments ---------------------------------------------------------------------------


def assignment_create(
    *,
    by: Actor,
    client: Client,
    instrument_code: str,
    due_on: dt.date,
    timepoint: str = "",
) -> Assignment:
    """Ask the client to complete an instrument by `due_on` (optionally at a course timepoint)."""
    _require_write(by, client)
    definition = library.definition_for(client.clinic_id, instrument_code)
    if not definition.usable:
        raise ValidationError({"instrument_code": definition.usable_note or "Not usable yet."})
    with transaction.atomic():
        assignment = Assignment.objects.create(
            client=client,
            instrument_code=definition.code,
            due_on=due_on,
            timepoint=timepoint.strip()[:80],
            assigned_by=by.membership,
        )
        _audit(
            by,
            "measures.assignment.create",
            client=client,
            target=assignment,
            fields=["instrument_code", "due_on", "timepoint"],
        )
    return assignment


def assignment_cancel(*, by: Actor, assignment: Assignment) -> Assignment:
    _require_write(by, assignment.client)
    if assignment.state == AssignmentState.COMPLETED:
        raise ValidationError({"state": "A completed measure cannot be cancelled."})
    with transaction.atomic():
        assignment.state = AssignmentState.CANCELLED
        assignment.link_nonce_hash = ""
        assignment.save(update_fields=["state", "link_nonce_hash"])
        _audit(
            by,
            "measures.assignment.cancel",
            client=assignment.client,
            target=assignment,
            fields=["state"],
        )
    return assignment


def assignments_follow_session(
    *, by: Actor, client: Client, number: int, session_date: dt.date
) -> int:
    """A medicine session moved: its questionnaires ("before session N" the day before, "after
    session N" the day after) move with it. Completed or cancelled ones stay as they were."""
    _require_write(by, client)
    days = {
        f"before_medicine_session_{number}": session_date - dt.timedelta(days=1),
        f"after_medicine_session_{number}": session_date + dt.timedelta(days=1),
    }
    moved = 0
    with transaction.atomic():
        for assignment in Assignment.objects.filter(
            client=client,
            timepoint__in=list(days),
            state__in=[AssignmentState.DUE, AssignmentState.IN_PROGRESS],
        ):
            moved += _reschedule(by, client, assignment, days[assignment.timepoint])
    return moved


def _reschedule(by: Actor, client: Client, assignment: Assignment, due_on: dt.date) -> int:
    """Move an open assignment to `due_on` (audited); 1 if it moved, 0 if it was due then."""
    if assignment.due_on == due_on:
        return 0
    assignment.due_on = due_on
    assignment.save(update_fields=["due_on"])
    _audit(
        by, "measures.assignment.reschedule", client=client, target=assignment, fields=["due_on"]
    )
    return 1


# --- one-time links ------------------------------------------------------------------------


class LinkError(Exception):
    """Why a one-time link does not open. `reason` is one of invalid / expired / used."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def link_issue(*, by: Actor, assignment: Assignment, days: int = LINK_DAYS) -> str:
    """A signed, expiring, single-use link token. Issuing again invalidates the previous one."""
    _require_write(by, assignment.client)
    definition = library.definition_for(assignment.client.clinic_id, assignment.instrument_code)
    if not definition.has_text or definition.rated_by != "self":
        raise ValidationError(
            {"instrument_code": "Only self-report instruments with item text can be sent."}
        )
    if assignment.state in (AssignmentState.COMPLETED, AssignmentState.CANCELLED):
        raise ValidationError({"state": "This measure is already closed."})
    nonce = secrets.token_urlsafe(24)
    with transaction.atomic():
        assignment.link_nonce_hash = _hash(nonce)
        assignment.link_expires_at = timezone.now() + dt.timedelta(days=days)
        assignment.save(update_fields=["link_nonce_hash", "link_expires_at"])
        _audit(
            by,
            "measures.link.issue",
            client=assignment.client,
            target=assignment,
            fields=["link"],
        )
    return signing.dumps({"a": assignment.pk, "n": nonce}, salt=LINK_SALT, compress=True)


def link_open(token: str) -> Assignment:
    """The assignment behind a link token, or LinkError. Nothing about it leaks on failure."""
    try:
        data = signing.loads(token, salt=LINK_SALT)
    except signing.BadSignature:
        raise LinkError("invalid") from None
    if not isinstance(data, dict) or not isinstance(data.get("a"), int):
        raise LinkError("invalid")
    assignment = (
        Assignment.objects.select_related("client", "client__clinic").filter(pk=data["a"]).first()
    )
    nonce = data.get("n")
    if (
        assignment is None
        or not isinstance(nonce, str)
        or not assignment.link_nonce_hash
        or not secrets.compare_digest(assignment.link_nonce_hash, _hash(nonce))
    ):
        # A replaced link after completion still reads as used, not as a forgery.
        if assignment is not None and assignment.state == AssignmentState.COMPLETED:
            raise LinkError("used")
        raise LinkError("invalid")
    if assignment.state == AssignmentState.COMPLETED:
        raise LinkError("used")
    if assignment.state == AssignmentState.CANCELLED:
        raise LinkError("invalid")
    if assignment.link_expires_at is None or assignment.link_expires_at <= timezone.now():
        raise LinkError("expired")
    return assignment


# --- responses and scores ------------------------------------------------------------------


def _definition(client: Client, code: str) -> Definition:
    return library.definition_for(client.clinic_id, code)


def response_save(
    *,
    by: Actor | None,
    assignment: Assignment,
    answers: Mapping[str, object],
    entered_by: str = EnteredBy.CLIENT_LINK,
) -> Response:
    """Keep a half-finished form. Wrong answers raise AnswerError; nothing is saved then."""
    if by is not None and by.user is not None:
        _require_write(by, assignment.client)
    if assignment.state in (AssignmentState.COMPLETED, AssignmentState.CANCELLED):
        raise ValidationError({"state": "This measure is already closed."})
    definition = _definition(assignment.client, assignment.instrument_code)
    cleaned = scoring.clean_answers(definition, answers, partial=True)
    with transaction.atomic():
        response = _open_response(assignment, definition, by, entered_by)
        response.answers = {**response.answers, **_as_json(definition, cleaned)}
        response.save(update_fields=["answers", "updated_at"])
        if assignment.state == AssignmentState.DUE:
            assignment.state = AssignmentState.IN_PROGRESS
            assignment.save(update_fields=["state"])
        _audit(
            by,
            "measures.response.save",
            client=assignment.client,
            target=response,
            fields=["answers"],
        )
    return response


def _as_json(definition: Definition, cleaned: Mapping[str, float]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for link_id, value in cleaned.items():
        item = definition.item(link_id)
        if item is not None and item.type == "yes-no":
            out[link_id] = bool(value)
        else:
            out[link_id] = int(value) if value == int(value) else value
    return out


def _open_response(
    assignment: Assignment, definition: Definition, by: Actor | None, entered_by: str
) -> Response:
    response = Response.objects.select_for_update().filter(assignment=assignment).first()
    if response is None:
        response = Response.objects.create(
            client=assignment.client,
            assignment=assignment,
            instrument_code=definition.code,
            definition_version=definition.version,
            entered_by=entered_by,
            entered_by_user=by.user if by is not None else None,
        )
    return response


def response_submit(
    *,
    by: Actor | None,
    assignment: Assignment,
    answers: Mapping[str, object],
    entered_by: str = EnteredBy.CLIENT_LINK,
    sex: str | None = None,
) -> Score:
    """Save the last answers and submit. Missing required items raise AnswerError, and what
    was typed is still kept as a partial save so nothing is lost."""
    response = response_save(by=by, assignment=assignment, answers=answers, entered_by=entered_by)
    definition = _definition(assignment.client, assignment.instrument_code)
    result = scoring.score(definition, response.answers, sex=sex)
    with transaction.atomic():
        # Two submits of the same link at once: the row lock lets only the first one through.
        locked = Assignment.objects.select_for_update().get(pk=assignment.pk)
        if locked.state == AssignmentState.COMPLETED:
            raise ValidationError("This questionnaire has already been submitted.")
        response.submitted_at = timezone.now()
        response.definition_version = definition.version
        response.save(update_fields=["submitted_at", "definition_version"])
        assignment.state = AssignmentState.COMPLETED
        assignment.link_nonce_hash = ""  # the link is spent
        assignment.save(update_fields=["state", "link_nonce_hash"])
        score = _score_store(by, response, result)
        _audit(
            by,
            "measures.response.submit",
            client=assignment.client,
            target=response,
            fields=["answers", "submitted_at"],
        )
    return score


def _check_retrospective(
    client: Client, instrument_code: str, prior_experience: PriorExperience | None
) -> None:
    if prior_experience is None:
        return
    if prior_experience.client_id != client.pk:
        raise ValidationError({"prior_experience": _("No such earlier experience.")})
    if instrument_code not in RETROSPECTIVE_INSTRUMENTS:
        raise ValidationError(
            {
                "instrument_code": _("Only %(codes)s can be filled in about an earlier experience.")
                % {"codes": ", ".join(RETROSPECTIVE_INSTRUMENTS)}
            }
        )


def response_record(
    *,
    by: Actor,
    client: Client,
    instrument_code: str,
    answers: Mapping[str, object],
    sex: str | None = None,
    observed_on: dt.date | None = None,
    entered_by: str = EnteredBy.CLINICIAN,
    prior_experience: PriorExperience | None = None,
    authorised_by: Callable[..., bool] | None = None,
) -> Score:
    """A clinician enters a whole response on the client's behalf (or the API does).

    With `prior_experience`, the response is about that earlier experience, filled in
    retrospectively: it is marked so and never completes an assignment of the course.
    `authorised_by`: as in `score_record_total` (a blinded rater's own CAPS-5 ratings)."""
    if authorised_by is None:
        _require_write(by, client)
    else:
        require(by, authorised_by, client, message="You may not record measures for this client.")
    definition = _definition(client, instrument_code)
    if definition.score_entry_only:
        raise ValidationError({"instrument_code": "This instrument takes a total score only."})
    _check_retrospective(client, definition.code, prior_experience)
    result = scoring.score(definition, answers, sex=sex)
    cleaned = scoring.clean_answers(definition, answers)
    with transaction.atomic():
        assignment = None if prior_experience else _open_assignment(client, definition.code)
        response = Response.objects.create(
            client=client,
            assignment=assignment,
            instrument_code=definition.code,
            definition_version=definition.version,
            answers=_as_json(definition, cleaned),
            entered_by=entered_by,
            entered_by_user=by.user,
            submitted_at=timezone.now(),
            retrospective=prior_experience is not None,
            prior_experience=prior_experience,
        )
        _close(assignment)
        score = _score_store(by, response, result, observed_on=observed_on)
        _audit(
            by,
            "measures.response.record",
            client=client,
            target=response,
            fields=["answers", "submitted_at"]
            + (["retrospective", "prior_experience"] if prior_experience else []),
        )
    return score


def score_record_total(
    *,
    by: Actor,
    client: Client,
    instrument_code: str,
    total: object,
    observed_on: dt.date | None = None,
    prior_experience: PriorExperience | None = None,
    authorised_by: Callable[..., bool] | None = None,
) -> Score:
    """Only a total, for instruments whose text we may not ship (BDI-II). `prior_experience`:
    as in response_record.

    `authorised_by`: another app's policy that lets a role outside the care team record this
    one score (studies: a blinded rater's own assessment); measures' own rule otherwise."""
    if authorised_by is None:
        _require_write(by, client)
    else:
        require(by, authorised_by, client, message="You may not record measures for this client.")
    definition = _definition(client, instrument_code)
    _check_retrospective(client, definition.code, prior_experience)
    result = scoring.score_from_total(definition, total)
    with transaction.atomic():
        assignment = None if prior_experience else _open_assignment(client, definition.code)
        response = Response.objects.create(
            client=client,
            assignment=assignment,
            instrument_code=definition.code,
            definition_version=definition.version,
            answers={"total": result.total},
            entered_by=EnteredBy.SCORE_ONLY,
            entered_by_user=by.user,
            submitted_at=timezone.now(),
            retrospective=prior_experience is not None,
            prior_experience=prior_experience,
        )
        _close(assignment)
        score = _score_store(by, response, result, observed_on=observed_on)
        _audit(
            by,
            "measures.score.record",
            client=client,
            target=response,
            fields=["total"] + (["retrospective", "prior_experience"] if prior_experience else []),
        )
    return score


def _open_assignment(client: Client, code: str) -> Assignment | None:
    return (
        Assignment.objects.select_for_update(of=("self",))
        .filter(
            client=client,
            instrument_code=code,
            state__in=[AssignmentState.DUE, AssignmentState.IN_PROGRESS],
            response__isnull=True,
        )
        .order_by("due_on")
        .first()
    )


def _close(assignment: Assignment | None) -> None:
    if assignment is not None:
        assignment.state = AssignmentState.COMPLETED
        assignment.link_nonce_hash = ""
        assignment.save(update_fields=["state", "link_nonce_hash"])


def _score_store(
    by: Actor | None,
    response: Response,
    result: scoring.ScoreResult,
    *,
    observed_on: dt.date | None = None,
) -> Score:
    now = timezone.now()
    score = Score.objects.create(
        response=response,
        client=response.client,
        instrument_code=result.instrument,
        definition_version=result.version,
        total=result.total,
        subscales=result.subscales,
        band=result.band or "",
        flags=result.flags,
        scored_at=now,
        observed_on=observed_on or timezone.localdate(now),
        timepoint=response.assignment.timepoint if response.assignment is not None else "",
    )
    for rule in result.safety:
        _alert_insert(
            by=by,
            client=response.client,
            severity=rule.severity,
            source="measures",
            reason_code=rule.reason_code,
        )
    return score


def scores_rescore(*, by: Actor) -> int:
    """Recompute every score whose definition version is not the current one. Audited."""
    changed = 0
    for score in Score.objects.select_related("response", "client").iterator():
        definition = _definition(score.client, score.instrument_code)
        if score.definition_version == definition.version:
            continue
        response = score.response
        if response.entered_by == EnteredBy.SCORE_ONLY:
            result = scoring.score_from_total(definition, response.answers.get("total"))
        else:
            result = scoring.score(definition, response.answers)
        with transaction.atomic():
            score.definition_version = result.version
            score.total = result.total
            score.subscales = result.subscales
            score.band = result.band or ""
            score.flags = result.flags
            score.scored_at = timezone.now()
            score.save()
            audit_write(
                by,
                "measures.score.rescore",
                actor_label="" if by.user else "holdspace measures rescore",
                target=score,
                client=score.client,
                fields=["definition_version", "total", "subscales", "band", "flags"],
            )
        changed += 1
    return changed


# --- safety alerts -------------------------------------------------------------------------


def _alert_insert(
    *, by: Actor | None, client: Client, severity: str, source: str, reason_code: str
) -> SafetyAlert:
    if severity not in Severity.values:
        raise ValidationError({"severity": f"Severity must be one of {Severity.values}."})
    if source not in SOURCES:
        raise ValidationError({"source": f"Unknown source {source!r}."})
    if not reason_code or len(reason_code) > 80 or " " in reason_code:
        raise ValidationError({"reason_code": "A short code such as 'phq9.item9', no text."})
    alert = SafetyAlert.objects.create(
        client=client,
        severity=severity,
        source=source,
        reason_code=reason_code,
        raised_at=timezone.now(),
        raised_by=by.user if by is not None else None,
    )
    _audit(
        by,
        "measures.safety_alert.raise",
        client=client,
        target=alert,
        fields=["severity", "source", "reason_code"],
    )
    return alert


def safety_alert_raise(
    *, by: Actor | None, client: Client, severity: str, source: str, reason_code: str
) -> SafetyAlert:
    """Raise an alert for the client's care team and the clinic's medical leads at once.

    `by` is None when the system raises it (a client's own answer). `reason_code` is a
    non-clinical code ("phq9.item9"), never free text.
    """
    if (
        by is not None
        and by.membership is not None
        and not policies.can_view_measures(by.membership, client)
    ):
        raise PermissionDenied("You may not raise alerts for this client.")
    with transaction.atomic():
        return _alert_insert(
            by=by, client=client, severity=severity, source=source, reason_code=reason_code
        )


def safety_alert_acknowledge(*, by: Actor, alert: SafetyAlert, action_taken: str) -> SafetyAlert:
    """Close an alert with what was done. The text stays on the alert, never in the audit."""
    require(
        by, policies.can_see_alerts, alert.client, message="You may not acknowledge this alert."
    )
    action_taken = action_taken.strip()
    if not action_taken:
        raise ValidationError({"action_taken": "Say what was done."})
    with transaction.atomic():
        locked = SafetyAlert.objects.select_for_update().get(pk=alert.pk)
        if locked.acknowledged_at is not None:
            raise ValidationError({"action_taken": "Someone has already acknowledged this alert."})
        locked.acknowledged_at = timezone.now()
        locked.acknowledged_by = by.user
        locked.action_taken = action_taken
        locked.save(update_fields=["acknowledged_at", "acknowledged_by", "action_taken"])
        _audit(
            by,
            "measures.safety_alert.acknowledge",
            client=alert.client,
            target=locked,
            fields=["acknowledged_at", "action_taken"],
        )
    return locked


# --- a clinic's own instruments ------------------------------------------------------------

INSTRUMENT_ADMIN_ROLES = frozenset({"medical_lead", "clinic_admin"})


def instrument_import_fhir(
    *, by: Actor, questionnaire: dict[str, Any], code: str, licence: str = ""
) -> InstrumentDefinition:
    """Add a FHIR Questionnaire as the clinic's own instrument (weights from ordinalValue)."""
    from .fhir import definition_from_questionnaire

    membership = by.membership
    if membership is None or membership.role not in INSTRUMENT_ADMIN_ROLES:
        raise PermissionDenied("You may not add instruments.")
    code = code.strip()
    if not code or len(code) > 40 or "/" in code:
        raise ValidationError({"code": "A short code such as 'PHQ-9-LOINC'."})
    if code in library.shipped():
        raise ValidationError({"code": "A shipped instrument has this code; choose another."})
    definition = definition_from_questionnaire(questionnaire, code=code, licence=licence)
    with transaction.atomic():
        if InstrumentDefinition.objects.filter(
            clinic_id=membership.clinic_id, code=code, is_active=True
        ).exists():
            raise ValidationError({"code": "Your clinic already has an instrument with this code."})
        row = InstrumentDefinition.objects.create(
            clinic_id=membership.clinic_id,
            code=code,
            version=definition.version,
            body=definition.model_dump(mode="json", by_alias=True),
            origin="fhir",
        )
        audit_write(
            by, "measures.instrument.import", target=row, fields=["code", "version", "body"]
        )
    return row


def assignments_follow_up(
    *,
    by: Actor,
    client: Client,
    timepoint: str,
    due_on: dt.date,
    instruments: Sequence[str],
) -> tuple[int, int]:
    """Make sure the client is asked for each instrument at a long-term follow-up `timepoint`
    due on `due_on`: a missing assignment is made, an open one at that timepoint (whatever its
    instrument, e.g. one a protocol template planned) is moved to the day. Completed and
    cancelled ones stay. Idempotent: a second run changes nothing. Returns (made, moved).

    The operator's scheduled job (`holdspace studies follow-ups`, command line, no membership)
    may call it for any client; anyone else needs the right to write measures for the client."""
    if not (by.channel == Channel.CLI and by.membership is None):
        _require_write(by, client)
    made = moved = 0
    with transaction.atomic():
        existing = list(Assignment.objects.filter(client=client, timepoint=timepoint))
        have = {a.instrument_code for a in existing}
        for code in instruments:
            definition = library.definition_for(client.clinic_id, code)
            if definition.code in have or not definition.usable:
                continue  # asked already, or not usable at this clinic (left out, not invented)
            assignment = Assignment.objects.create(
                client=client,
                instrument_code=definition.code,
                due_on=due_on,
                timepoint=timepoint,
                assigned_by=by.membership,
            )
            _audit(
                by,
                "measures.assignment.create",
                client=client,
                target=assignment,
                fields=["instrument_code", "due_on", "timepoint"],
            )
            made += 1
        for assignment in existing:
            if assignment.state in (AssignmentState.DUE, AssignmentState.IN_PROGRESS):
                moved += _reschedule(by, client, assignment, due_on)
    return made, moved
