"""Every write of a study: permission, transaction and audit row in one keyword-only function.

Audit rows name what changed, never the arm: a reveal is recorded as `studies.allocation.reveal`
with the enrolment as its target, so the log shows who learnt an allocation and when without
itself becoming a way to learn it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from holdspace.audit.models import Channel
from holdspace.measures import services as measures_services
from holdspace.measures.models import EnteredBy
from holdspace.measures.scoring import AnswerError
from holdspace.people.actors import Actor
from holdspace.people.auditing import audit_write
from holdspace.people.models import Client, Clinic, Role, User
from holdspace.people.policies import require
from holdspace.screening.services import _secret_is_valid as secret_is_valid

from . import allocation, policies
from .models import (
    AllocationSlot,
    Arm,
    Assessment,
    DataQuery,
    Deviation,
    Enrolment,
    EnrolmentStatus,
    Guesser,
    QueryStatus,
    Severity,
    Site,
    Study,
    TreatmentGuess,
    Unblinding,
)
from .team import study_member_add as study_member_add  # the team's writes live in team.py


def study_create(
    *,
    by: Actor,
    code: str,
    title: str,
    arms: list[tuple[str, str, int]],
    sites: list[Clinic],
    strata: list[str],
    block_sizes: list[int] | None = None,
    seed: str = "",
    per_stratum: int = 0,
    protocol_template: str = "",
) -> Study:
    """A medical lead of the sponsoring clinic sets a study up. With a `seed`, its concealed
    allocation list is generated at once (the seed is kept, so the list can be regenerated and
    checked); without one, the list is made later on the set-up page (`allocation_generate` or
    `allocation_upload`)."""
    membership = by.membership
    if not policies.can_create_study(membership):
        raise PermissionDenied(_("Only a medical lead may set up a study."))
    assert membership is not None  # noqa: S101  (checked above)
    errors: dict[str, list[str]] = {}
    design = [(k, r) for k, _n, r in arms]
    # Without a seed there are no blocks yet: the ratio total is a block size that always fits.
    sizes = block_sizes if seed else [sum(r for _k, r in design) or 1]
    problems = allocation.check_design(design, sizes or [])
    if problems:
        errors["arms"] = problems
    if len({key for key, _n, _r in arms}) != len(arms):
        errors.setdefault("arms", []).append(_("Give each arm a different name."))
    if not strata:
        errors["strata"] = [_("Give at least one stratum.")]
    # On the pages a lead names only their clinic's network; the command line (an operator, or
    # the demo) sets up the first study across clinics, which makes the network.
    allowed = policies.site_clinic_ids(membership)
    if by.channel != Channel.CLI and any(clinic.pk not in allowed for clinic in sites):
        errors["sites"] = [_("Choose among your clinic and the clinics of its network.")]
    if Study.objects.filter(code=code).exists():
        errors["code"] = [_("Another study has this code.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        study = Study.objects.create(
            code=code,
            title=title,
            sponsor_clinic_id=membership.clinic_id,
            protocol_template=protocol_template,
            allocation_source="generated" if seed else "",
            allocation_seed=seed,
            block_sizes=block_sizes or [],
            strata=strata,
        )
        made = {
            key: Arm.objects.create(study=study, key=key, name=name, ratio=ratio)
            for key, name, ratio in arms
        }
        clinics = {membership.clinic_id: None, **{c.pk: None for c in sites}}
        Site.objects.bulk_create(Site(study=study, clinic_id=pk) for pk in clinics)
        if seed:
            lines = allocation.generate(
                seed=seed,
                arms=[(k, r) for k, _n, r in arms],
                strata=strata,
                block_sizes=block_sizes or [],
                per_stratum=per_stratum,
            )
            _store_lines(study, made, lines)
        audit_write(by, "studies.study.create", target=study, fields=["arms", "sites", "seed"])
    return study


def _require_set_up(by: Actor, study: Study) -> None:
    """The sponsor's medical lead, and only before anyone is randomised from the list."""
    if not policies.can_set_up(by.membership, study):
        raise PermissionDenied(_("Only the sponsoring clinic's medical lead sets the list up."))
    if study.enrolments.filter(slot__isnull=False).exists():
        raise ValidationError({"__all__": [_("Clients are already randomised from this list.")]})


def allocation_generate(
    *, by: Actor, study: Study, seed: str, block_sizes: list[int], per_stratum: int
) -> int:
    """Make (or remake) the study's concealed list from a documented seed, before anyone is
    randomised. The same seed, arms, strata and block sizes always make the same list."""
    _require_set_up(by, study)
    arms = {arm.key: arm for arm in study.arms.all()}
    design = [(arm.key, arm.ratio) for arm in arms.values()]
    problems = allocation.check_design(design, block_sizes)
    if problems:
        raise ValidationError({"block_sizes": problems})
    if not study.strata:
        raise ValidationError({"__all__": [_("The study has no strata.")]})
    lines = allocation.generate(
        seed=seed,
        arms=design,
        strata=list(study.strata),
        block_sizes=block_sizes,
        per_stratum=per_stratum,
    )
    with transaction.atomic():
        study.slots.all().delete()
        _store_lines(study, arms, lines)
        study.allocation_source, study.allocation_seed = "generated", seed
        study.block_sizes = block_sizes
        study.save(update_fields=["allocation_source", "allocation_seed", "block_sizes"])
        audit_write(by, "studies.allocation.generate", target=study, fields=["slots", "seed"])
    return len(lines)


def _store_lines(study: Study, arms: Mapping[str, Arm], lines: list[allocation.Line]) -> None:
    AllocationSlot.objects.bulk_create(
        AllocationSlot(
            study=study,
            stratum=line.stratum,
            position=line.position,
            block=line.block,
            arm=arms[line.arm],
        )
        for line in lines
    )


def allocation_upload(*, by: Actor, study: Study, text: str) -> int:
    """Replace a study's unused list with an uploaded one (before anyone is randomised).
    A bad line refuses the whole file, naming the line and column; nothing is stored."""
    _require_set_up(by, study)
    arms = {arm.key: arm for arm in study.arms.all()}
    try:
        lines = allocation.parse_upload(text, set(arms))
    except allocation.UploadError as error:
        raise ValidationError({"file": [_upload_problem(error, sorted(arms))]}) from None
    with transaction.atomic():
        study.slots.all().delete()
        _store_lines(study, arms, lines)
        study.allocation_source, study.allocation_seed = "uploaded", ""
        study.strata = sorted({line.stratum for line in lines})
        study.save(update_fields=["allocation_source", "allocation_seed", "strata"])
        audit_write(by, "studies.allocation.upload", target=study, fields=["slots"])
    return len(lines)


def _upload_problem(error: allocation.UploadError, arm_keys: list[str]) -> str:
    """The refusal in the reader's language, naming the line and the column."""
    problems = {
        "stratum": _("give a stratum (at most 120 characters)"),
        "block": _("give the block as a whole number from 1"),
        "arm": _("give one of the study's arms: %(arms)s") % {"arms": ", ".join(arm_keys)},
    }
    if error.line is None:
        return {
            "columns": _("The list needs the header line stratum,block,arm."),
            "empty": _("The list has no lines."),
            "too_long": _("The list has more than %(n)s lines.")
            % {"n": allocation.MAX_UPLOAD_LINES},
        }.get(error.column, _("The file is not a readable CSV list."))
    return _("Line %(line)s, column %(column)s: %(problem)s.") % {
        "line": error.line,
        "column": error.column,
        "problem": problems.get(error.column, error.column),
    }


def enrol(*, by: Actor, study: Study, client: Client, stratum: str) -> Enrolment:
    require(by, policies.can_enrol, study, client, message=_("You may not enrol this client."))
    if stratum not in study.strata:
        raise ValidationError({"stratum": [_("Choose one of the study's strata.")]})
    if Enrolment.objects.filter(client=client).exists():
        raise ValidationError({"client_code": [_("This client is already enrolled in a study.")]})
    site = study.sites.get(clinic_id=client.clinic_id)
    with transaction.atomic():
        enrolment = Enrolment.objects.create(study=study, client=client, site=site, stratum=stratum)
        audit_write(
            by,
            "studies.enrolment.create",
            target=enrolment,
            client=client,
            fields=["study", "stratum"],
        )
    return enrolment


def randomise(*, by: Actor, enrolment: Enrolment) -> Enrolment:
    """Reveal the next unused allocation of the client's stratum, and only that one."""
    require(by, policies.can_randomise, enrolment, message=_("You may not randomise here."))
    with transaction.atomic():
        enrolment = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
        if enrolment.slot_id is not None:
            raise ValidationError({"client_code": [_("This client is already randomised.")]})
        # Locking the study row serialises randomisations: two clients never share a slot.
        Study.objects.select_for_update().get(pk=enrolment.study_id)
        slot = (
            AllocationSlot.objects.filter(
                study_id=enrolment.study_id, stratum=enrolment.stratum, enrolment__isnull=True
            )
            .order_by("position")
            .first()
        )
        if slot is None:
            raise ValidationError(
                {"stratum": [_("The allocation list of this stratum is used up.")]}
            )
        enrolment.slot = slot
        enrolment.status = EnrolmentStatus.RANDOMISED
        enrolment.randomised_at = timezone.now()
        enrolment.save(update_fields=["slot", "status", "randomised_at"])
        audit_write(
            by,
            "studies.allocation.reveal",
            target=enrolment,
            client=enrolment.client,
            fields=["slot"],
        )
    return enrolment


def unblind(*, by: Actor, enrolment: Enrolment, reason: str, secret: str) -> Arm:
    """Emergency unblinding of one client by the site's medical lead, with a reason."""
    require(by, policies.can_unblind, enrolment, message=_("Only the site's medical lead may."))
    errors: dict[str, list[str]] = {}
    if not reason.strip():
        errors["reason"] = [_("Say why this client must be unblinded.")]
    if enrolment.slot_id is None:
        errors["client_code"] = [_("This client is not randomised.")]
    if not secret_is_valid(by, secret):
        errors["secret"] = [_("That is not your password or a current authenticator code.")]
    if errors:
        raise ValidationError(errors)
    assert by.user is not None and enrolment.slot is not None  # noqa: S101  (checked above)
    with transaction.atomic():
        row = Unblinding.objects.create(enrolment=enrolment, by=by.user, reason=reason.strip())
        audit_write(
            by, "studies.allocation.unblind", target=row, client=enrolment.client, fields=["reason"]
        )
    return enrolment.slot.arm


def assessment_schedule(
    *, by: Actor, enrolment: Enrolment, timepoint: str, due_on: dt.date, rater: User
) -> Assessment:
    require(by, policies.can_randomise, enrolment, message=_("You may not schedule here."))
    if not rater.memberships.filter(is_active=True, role=Role.BLINDED_RATER).exists():
        raise ValidationError({"rater": [_("Choose a blinded rater.")]})
    if enrolment.client.care_team.filter(membership__user=rater).exists():
        # Rater independence (steering notes, outcomes.md F5): the rater never treats the client.
        raise ValidationError({"rater": [_("This rater is on the client's care team.")]})
    with transaction.atomic():
        row = Assessment.objects.create(
            enrolment=enrolment, timepoint=timepoint, due_on=due_on, rater=rater
        )
        audit_write(
            by,
            "studies.assessment.schedule",
            target=row,
            client=enrolment.client,
            fields=["timepoint", "due_on", "rater"],
        )
    return row


def rating_record(
    *, by: Actor, assessment: Assessment, answers: Mapping[str, object]
) -> Assessment:
    """The blinded rater's CAPS-5 severity ratings (structure only: the licensed prompts stay
    on the rater's own form), scored by measures."""
    require(by, policies.can_rate, assessment, message=_("This is not your assessment."))
    if assessment.done_at is not None:
        raise ValidationError({"__all__": [_("This assessment is already rated.")]})
    client = assessment.enrolment.client
    with transaction.atomic():
        try:
            score = measures_services.response_record(
                by=by,
                client=client,
                instrument_code=assessment.instrument_code,
                answers=answers,
                entered_by=EnteredBy.SCORE_ONLY,
                authorised_by=policies.can_rate_client,
            )
        except AnswerError as error:
            raise ValidationError({f"item_{error.link_id}": [error.message]}) from None
        assessment.score = score
        assessment.done_at = timezone.now()
        assessment.save(update_fields=["score", "done_at"])
        audit_write(
            by, "studies.assessment.rate", target=assessment, client=client, fields=["score"]
        )
    return assessment


def guess_record(
    *,
    by: Actor,
    enrolment: Enrolment,
    guesser: str,
    timepoint: str,
    arm: Arm | None,
    confidence: int,
) -> TreatmentGuess:
    if guesser not in Guesser.values:
        raise ValidationError({"guesser": [_("Choose client, therapist or rater.")]})
    require(
        by,
        policies.can_record_guess,
        enrolment,
        guesser,
        message=_("You may not record this guess."),
    )
    errors: dict[str, list[str]] = {}
    if arm is not None and arm.study_id != enrolment.study_id:
        errors["arm"] = [_("Choose an arm of this study.")]
    if not 0 <= confidence <= 100:
        errors["confidence"] = [_("Between 0 and 100.")]
    if not timepoint.strip():
        errors["timepoint"] = [_("Say when the guess was made.")]
    if errors:
        raise ValidationError(errors)
    assert by.user is not None  # noqa: S101  (require checked the membership)
    with transaction.atomic():
        row = TreatmentGuess.objects.create(
            enrolment=enrolment,
            guesser=guesser,
            recorded_by=by.user,
            timepoint=timepoint,
            arm=arm,
            confidence=confidence,
        )
        audit_write(
            by,
            "studies.guess.record",
            target=row,
            client=enrolment.client,
            fields=["guesser", "arm", "confidence"],
        )
    return row


def deviation_report(
    *,
    by: Actor,
    study: Study,
    site: Site,
    severity: str,
    description: str,
    action: str,
    enrolment: Enrolment | None = None,
) -> Deviation:
    require(by, policies.can_report_deviation, study, message=_("You may not report here."))
    errors: dict[str, list[str]] = {}
    if severity not in Severity.values:
        errors["severity"] = [_("Choose minor or major.")]
    if site.study_id != study.pk:
        errors["site"] = [_("Choose a site of this study.")]
    if enrolment is not None and enrolment.site_id != site.pk:
        errors["client_code"] = [_("This client is enrolled at another site.")]
    if not description.strip():
        errors["description"] = [_("Say what happened.")]
    if not action.strip():
        errors["action"] = [_("Say what was done.")]
    if errors:
        raise ValidationError(errors)
    assert by.user is not None  # noqa: S101
    with transaction.atomic():
        row = Deviation.objects.create(
            study=study,
            site=site,
            enrolment=enrolment,
            severity=severity,
            description=description.strip(),
            action=action.strip(),
            reported_by=by.user,
        )
        audit_write(
            by,
            "studies.deviation.report",
            target=row,
            client=enrolment.client if enrolment else None,
            fields=["severity", "description", "action"],
        )
    return row


def query_raise(*, by: Actor, enrolment: Enrolment, item: str, question: str) -> DataQuery:
    require(by, policies.can_raise_query, enrolment.study, message=_("Monitors raise queries."))
    if not item.strip() or not question.strip():
        raise ValidationError(
            {("item" if not item.strip() else "question"): [_("This field is required.")]}
        )
    if enrolment.locked_at is not None:
        raise ValidationError({"client_code": [_("This record is locked.")]})
    with transaction.atomic():
        row = DataQuery.objects.create(
            study=enrolment.study,
            enrolment=enrolment,
            item=item.strip(),
            question=question.strip(),
            raised_by=by.user,
        )
        audit_write(
            by,
            "studies.query.raise",
            target=row,
            client=enrolment.client,
            fields=["item", "question"],
        )
    return row


def query_answer(*, by: Actor, query: DataQuery, answer: str) -> DataQuery:
    require(by, policies.can_answer_query, query.enrolment, message=_("The site answers."))
    if query.status == QueryStatus.CLOSED:
        raise ValidationError({"answer": [_("This query is closed.")]})
    if not answer.strip():
        raise ValidationError({"answer": [_("This field is required.")]})
    with transaction.atomic():
        query.answer, query.answered_by = answer.strip(), by.user
        query.status = QueryStatus.ANSWERED
        query.save(update_fields=["answer", "answered_by", "status"])
        audit_write(
            by,
            "studies.query.answer",
            target=query,
            client=query.enrolment.client,
            fields=["answer"],
        )
    return query


def query_close(*, by: Actor, query: DataQuery) -> DataQuery:
    require(by, policies.can_close_query, query.study, message=_("Monitors close queries."))
    if query.status != QueryStatus.ANSWERED:
        raise ValidationError({"status": [_("Only an answered query can be closed.")]})
    with transaction.atomic():
        query.status, query.closed_by, query.closed_at = QueryStatus.CLOSED, by.user, timezone.now()
        query.save(update_fields=["status", "closed_by", "closed_at"])
        audit_write(
            by,
            "studies.query.close",
            target=query,
            client=query.enrolment.client,
            fields=["status"],
        )
    return query


def enrolment_lock(*, by: Actor, enrolment: Enrolment, secret: str) -> Enrolment:
    """The investigator locks a client's study record with an e-signature (password or
    authenticator code, as for a screening decision). Open queries block the lock."""
    require(by, policies.can_lock, enrolment, message=_("The site's investigator locks records."))
    errors: dict[str, list[str]] = {}
    if enrolment.locked_at is not None:
        errors["client_code"] = [_("This record is already locked.")]
    if enrolment.queries.exclude(status=QueryStatus.CLOSED).exists():
        errors["queries"] = [_("Close every query on this record before locking it.")]
    if not secret_is_valid(by, secret):
        errors["secret"] = [_("That is not your password or a current authenticator code.")]
        audit_write(by, "studies.enrolment.lock_refused", target=enrolment, client=enrolment.client)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        enrolment.locked_at, enrolment.locked_by = timezone.now(), by.user
        enrolment.save(update_fields=["locked_at", "locked_by"])
        audit_write(
            by,
            "studies.enrolment.lock",
            target=enrolment,
            client=enrolment.client,
            fields=["locked_at"],
        )
    return enrolment
