"""Every write to integration records: permission, transaction and audit (field names only)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from holdspace.courses.models import Course, Visit
from holdspace.people.actors import Actor
from holdspace.people.auditing import audit_write
from holdspace.people.models import Client, Membership
from holdspace.people.policies import require

from . import policies
from .models import CheckIn, IntegrationNote, JournalEntry, NoteAddendum

NOTE_LOCKED = gettext_lazy(
    "This note is signed and locked. Add an addendum to correct or add to it."
)


def _may_write(by: Actor, client: Client) -> Membership:
    return require(
        by,
        policies.can_write_integration,
        client,
        message=_("You may not write integration notes for this client."),
    )


def note_create(
    *, by: Actor, course: Course, client: Client, text: str, visit: Visit | None = None
) -> IntegrationNote:
    author = _may_write(by, client)
    if not text.strip():
        raise ValidationError({"text": _("Write the note.")})
    if visit is not None and visit.course_id != course.pk:
        raise ValidationError({"visit": _("Choose a visit of this course.")})
    with transaction.atomic():
        note = IntegrationNote.objects.create(
            course=course, client=client, visit=visit, text=text, author=author
        )
        audit_write(
            by,
            "integration_note.create",
            target=note,
            client_code=client.code,
            fields=["text", "visit"],
        )
    return note


def note_update(*, by: Actor, note: IntegrationNote, text: str) -> IntegrationNote:
    _may_write(by, note.client)
    with transaction.atomic():
        locked = IntegrationNote.objects.select_for_update().get(pk=note.pk)
        if locked.is_signed:
            raise ValidationError({"text": NOTE_LOCKED})
        if not text.strip():
            raise ValidationError({"text": _("Write the note.")})
        locked.text = text
        locked.save(update_fields=["text", "updated_at"])
        audit_write(
            by,
            "integration_note.update",
            target=locked,
            client_code=note.client.code,
            fields=["text"],
        )
    return locked


def note_sign(*, by: Actor, note: IntegrationNote) -> IntegrationNote:
    _may_write(by, note.client)
    with transaction.atomic():
        locked = IntegrationNote.objects.select_for_update().get(pk=note.pk)
        if locked.is_signed:
            raise ValidationError(_("This note is already signed."))
        locked.signed_at = timezone.now()
        locked.signed_by = by.membership
        locked.save(update_fields=["signed_at", "signed_by"])
        audit_write(
            by,
            "integration_note.sign",
            target=locked,
            client_code=note.client.code,
            fields=["signed_at"],
        )
    return locked


def note_addendum_add(*, by: Actor, note: IntegrationNote, text: str) -> NoteAddendum:
    author = _may_write(by, note.client)
    if not IntegrationNote.objects.filter(pk=note.pk, signed_at__isnull=False).exists():
        raise ValidationError({"text": _("The note is not signed yet: edit it instead.")})
    if not text.strip():
        raise ValidationError({"text": _("Write the addendum.")})
    with transaction.atomic():
        addendum = NoteAddendum.objects.create(note=note, text=text, author=author)
        audit_write(
            by,
            "integration_note.addendum",
            target=addendum,
            client_code=note.client.code,
            fields=["text"],
        )
    return addendum


def _is_client_self(by: Actor, client: Client) -> bool:
    account = getattr(by.user, "portal_account", None) if by.user is not None else None
    return account is not None and account.is_active and account.client_id == client.pk


def check_in_record(
    *,
    by: Actor,
    course: Course,
    client: Client,
    mood: int,
    sleep: int,
    distress: int,
    self_harm_thoughts: bool,
    comment: str = "",
    visit: Visit | None = None,
) -> CheckIn:
    """A daily check-in, by the client in the portal or by staff on the phone.
    Thoughts of self-harm raise an "act" safety alert through measures."""
    if not (_is_client_self(by, client) or policies.can_write_integration(by.membership, client)):
        raise PermissionDenied(_("You may not record check-ins for this client."))
    if by.user is None:
        raise PermissionDenied
    errors = {
        name: _("Choose a number from 0 to 10.")
        for name, value in (("mood", mood), ("sleep", sleep), ("distress", distress))
        if not 0 <= value <= 10
    }
    if errors:
        raise ValidationError(errors)
    if visit is None:
        # Link it to today's scheduled check-in, where there is one.
        from holdspace.courses.selectors import check_in_due_today

        visit = check_in_due_today(course)
    with transaction.atomic():
        check_in = CheckIn.objects.create(
            course=course,
            client=client,
            visit=visit,
            mood=mood,
            sleep=sleep,
            distress=distress,
            self_harm_thoughts=self_harm_thoughts,
            comment=comment,
            recorded_by=by.user,
        )
        audit_write(
            by,
            "check_in.record",
            target=check_in,
            client=client,
            fields=["mood", "sleep", "distress", "self_harm_thoughts", "comment"],
        )
        if self_harm_thoughts:
            _safety_alert(by, client)
    return check_in


def _safety_alert(by: Actor, client: Client) -> None:
    try:
        from holdspace.measures.services import safety_alert_raise
    except ImportError:
        # Without measures there is no alert queue: the check-in list shows it in red.
        return
    # `by` is None when the client raised it themselves (measures' convention for the system).
    safety_alert_raise(
        by=by if by.membership is not None else None,
        client=client,
        severity="act",
        source="check-in",
        reason_code="checkin.self_harm",
    )


def journal_write(*, by: Actor, client: Client, text: str) -> JournalEntry:
    """The client's own journal, from the portal only."""
    if not _is_client_self(by, client):
        raise PermissionDenied(_("Only the client writes in their journal."))
    if not text.strip():
        raise ValidationError({"text": _("Write something first.")})
    with transaction.atomic():
        entry = JournalEntry.objects.create(client=client, text=text)
        audit_write(
            by,
            "journal.write",
            target=entry,
            client=client,
            fields=["text"],
        )
    return entry
