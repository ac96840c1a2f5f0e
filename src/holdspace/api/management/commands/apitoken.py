from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from holdspace.api.models import ApiToken
from holdspace.api.services import api_token_create, api_token_revoke
from holdspace.people.actors import Actor
from holdspace.people.models import User
from holdspace.people.selectors import membership_for_user


class Command(BaseCommand):
    help = (
        "Personal API tokens. `holdspace apitoken create EMAIL [--name N] [--days D]` prints a "
        "new token as its last word (shown once; it expires after D days, API_TOKEN_DAYS by "
        "default); `list EMAIL` shows each token's state and expiry; `revoke EMAIL HINT`."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        create = sub.add_parser("create", help="Create a token for a staff member.")
        create.add_argument("email")
        create.add_argument("--name", default="Command line token")
        create.add_argument("--days", type=int, default=None, help="Days until it expires.")
        listing = sub.add_parser("list", help="List a staff member's tokens.")
        listing.add_argument("email")
        revoke = sub.add_parser("revoke", help="Revoke a token by the characters it starts with.")
        revoke.add_argument("email")
        revoke.add_argument("hint", help="The first characters shown by `list`, e.g. hs_AbC1")

    def handle(self, *args: Any, subcommand: str, email: str, **options: Any) -> None:
        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None or not user.is_active:
            raise CommandError(f"No active user with the email {email}.")
        actor = Actor.command_line(membership_for_user(user))
        if subcommand == "create":
            try:
                token, raw = api_token_create(
                    by=actor, user=user, name=options["name"], days=options["days"]
                )
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from None
            self.stdout.write(
                f"Token for {user.email}, expires {token.expires_at:%Y-%m-%d %H:%M} UTC "
                f"(shown once, keep it secret): {raw}"
            )
        elif subcommand == "list":
            for token in ApiToken.objects.filter(user=user):
                state = (
                    "revoked" if token.revoked_at else "expired" if token.is_expired else "active"
                )
                self.stdout.write(
                    f"{token.hint}  {state:8}  created {token.created_at:%Y-%m-%d}  "
                    f"expires {token.expires_at:%Y-%m-%d}  {token.name}"
                )
        elif subcommand == "revoke":
            matches = [t for t in ApiToken.objects.filter(user=user) if t.hint == options["hint"]]
            if len(matches) != 1:
                raise CommandError(
                    "No single token starts with that; see `holdspace apitoken list`."
                )
            api_token_revoke(by=actor, token=matches[0])
            self.stdout.write(f"Revoked {matches[0].hint}.")
