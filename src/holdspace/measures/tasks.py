"""Reminders for due and overdue measures, as background tasks (django-tasks)."""

from __future__ import annotations

import datetime as dt

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from .models import Assignment, AssignmentState

REMIND_DAYS_AHEAD = 1  # remind the day before a measure is due, and while it is overdue
REMIND_EVERY = dt.timedelta(days=3)


def assignments_to_remind(today: dt.date) -> list[int]:
    cutoff = timezone.now() - REMIND_EVERY
    rows = Assignment.objects.filter(
        state__in=[AssignmentState.DUE, AssignmentState.IN_PROGRESS],
        due_on__lte=today + dt.timedelta(days=REMIND_DAYS_AHEAD),
    ).exclude(reminded_at__gt=cutoff)
    return list(rows.values_list("pk", flat=True))


@task()
def measure_reminder_send(assignment_id: int) -> bool:
    """Email the client that a measure is due. Says nothing clinical: no instrument, no score.

    The email carries no link: a one-time link is sent by the care team, who choose the
    channel. Returns False when there is nobody to write to.
    """
    with transaction.atomic():
        assignment = (
            Assignment.objects.select_for_update()
            .select_related("client")
            .filter(pk=assignment_id)
            .first()
        )
        if assignment is None or assignment.state not in (
            AssignmentState.DUE,
            AssignmentState.IN_PROGRESS,
        ):
            return False
        identity = getattr(assignment.client, "identity", None)
        email = identity.email if identity is not None else ""
        if not email:
            return False
        overdue = assignment.due_on < timezone.localdate()
        send_mail(
            subject=(
                _("A questionnaire from your care team is overdue")
                if overdue
                else _("A questionnaire from your care team is due")
            ),
            message=_(
                "Your care team has asked you to fill in a short questionnaire by %(day)s. "
                "Please use the link they sent you, or ask them for a new one."
            )
            % {"day": assignment.due_on.isoformat()}
            + "\n",
            from_email=None,
            recipient_list=[email],
        )
        assignment.reminded_at = timezone.now()
        assignment.save(update_fields=["reminded_at"])
    return True


def reminders_enqueue(today: dt.date | None = None) -> int:
    ids = assignments_to_remind(today or timezone.localdate())
    for pk in ids:
        measure_reminder_send.enqueue(pk)
    return len(ids)
