"""Every read of integration records: scoped (404 outside) and role-checked (403)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from holdspace.people.models import Client, Membership
from holdspace.people.selectors import client_for_user

from . import policies
from .models import CheckIn, IntegrationNote, JournalEntry


def integration_client_for_user(membership: Membership | None, code: str) -> Client:
    """The client, if the member may read their integration records."""
    client = client_for_user(membership, code)
    if not policies.can_read_integration(membership, client):
        raise PermissionDenied(_("Your role may not read integration notes."))
    return client


def notes_of_client(client: Client) -> QuerySet[IntegrationNote]:
    return (
        IntegrationNote.objects.filter(client=client)
        .select_related("author__user", "signed_by__user", "visit")
        .prefetch_related("addenda__author__user")
    )


def note_for_user(membership: Membership | None, code: str, pk: int) -> IntegrationNote:
    client = integration_client_for_user(membership, code)
    note = notes_of_client(client).filter(pk=pk).first()
    if note is None:
        raise Http404("No such note.")
    return note


def check_ins_of_client(client: Client) -> QuerySet[CheckIn]:
    return client.check_ins.all()


def journal_of_client(client: Client) -> QuerySet[JournalEntry]:
    return client.journal.all()
