"""Reminders for visits and check-ins, as background tasks (django-tasks; `holdspace
db_worker` runs them, and `holdspace courses remind` enqueues the due ones)."""

from __future__ import annotations

import datetime as dt

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from .models import CourseStatus, Visit, VisitKind

REMIND_AHEAD = dt.timedelta(hours=24)  # a reminder the day before each visit and check-in


def visits_to_remind(now: dt.datetime) -> list[int]:
    rows = Visit.objects.filter(
        cancelled=False,
        reminded_at__isnull=True,
        course__status=CourseStatus.ACTIVE,
        starts_at__gt=now,
        starts_at__lte=now + REMIND_AHEAD,
    )
    return list(rows.values_list("pk", flat=True))


@task()
def visit_reminder_send(visit_id: int) -> int:
    """Email the therapists on the visit (client code only) and the client (no clinical words
    beyond the time). Returns the number of emails sent."""
    with transaction.atomic():
        visit = (
            Visit.objects.select_for_update()
            .select_related("course")
            .filter(pk=visit_id, reminded_at__isnull=True, cancelled=False)
            .first()
        )
        if visit is None:
            return 0
        when = timezone.localtime(visit.starts_at).strftime("%d %B %Y %H:%M")
        codes = ", ".join(c.code for c in visit.course.clients.all())
        sent = 0
        staff = [t.user.email for t in visit.therapists.select_related("user")]
        if staff:
            send_mail(
                subject=f"Holdspace: {visit.get_kind_display()} {when}",
                message=f"{visit.label} for {codes} at {when} ({visit.duration_minutes} min).\n",
                from_email=None,
                recipient_list=staff,
            )
            sent += 1
        for client in visit.course.clients.all():
            identity = getattr(client, "identity", None)
            if identity is not None and identity.email:
                subject = (
                    "Your care team will call you tomorrow"
                    if visit.kind == VisitKind.CHECK_IN
                    else "A reminder of your visit tomorrow"
                )
                send_mail(
                    subject=subject,
                    message=f"Your care team expects you (or will call you) at {when}.\n",
                    from_email=None,
                    recipient_list=[identity.email],
                )
                sent += 1
        visit.reminded_at = timezone.now()
        visit.save(update_fields=["reminded_at"])
    return sent


def reminders_enqueue(now: dt.datetime | None = None) -> int:
    """Queue one reminder task per visit starting within the next 24 hours. Idempotent: a
    visit is reminded once (reminded_at)."""
    ids = visits_to_remind(now or timezone.now())
    for visit_id in ids:
        visit_reminder_send.enqueue(visit_id)
    return len(ids)
