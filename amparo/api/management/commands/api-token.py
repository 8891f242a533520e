from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from amparo.api import tokens
from amparo.api.models import ApiToken
from amparo.core.models import User
from amparo.core.services import DomainError


class Command(BaseCommand):
    help = (
        "Manage personal API tokens of staff members. `create USERNAME --name NAME` prints a new "
        "token once (only its digest is kept); `list USERNAME` shows a user's tokens; "
        "`revoke PREFIX` ends a token at once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="Issue a token and print it once.")
        create.add_argument("username")
        create.add_argument("--name", required=True, help="What the token is for.")
        create.add_argument(
            "--days",
            type=int,
            default=tokens.DEFAULT_DAYS,
            help=f"Lifetime in days (default {tokens.DEFAULT_DAYS}, at most {tokens.MAX_DAYS}).",
        )
        listing = actions.add_parser("list", help="A user's tokens.")
        listing.add_argument("username")
        revoke = actions.add_parser("revoke", help="Revoke the token with this prefix.")
        revoke.add_argument("prefix", help="The first 12 characters, as `list` shows them.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['action']}")(options)
        except DomainError as error:
            raise CommandError(str(error)) from error

    def _user(self, username: str) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user is called {username!r}.")
        return user

    def _create(self, options: dict[str, Any]) -> None:
        issued = tokens.issue_token(
            None, self._user(options["username"]), name=options["name"], days=options["days"]
        )
        self.stdout.write(issued.secret)
        self.stderr.write(
            f"Token {issued.token.prefix}… for {issued.token.user.username}, valid until "
            f"{issued.token.expires_at:%Y-%m-%d}. It is shown only now: store it safely."
        )

    def _list(self, options: dict[str, Any]) -> None:
        for token in ApiToken.objects.filter(user=self._user(options["username"])):
            state = "live" if token.is_live else ("revoked" if token.revoked_at else "expired")
            self.stdout.write(
                f"{token.prefix}  {state:<8} until {token.expires_at:%Y-%m-%d}  "
                f"last used {token.last_used_on or '-'}  {token.name}"
            )

    def _revoke(self, options: dict[str, Any]) -> None:
        matches = list(ApiToken.objects.filter(prefix=options["prefix"], revoked_at__isnull=True))
        if len(matches) != 1:
            raise CommandError(f"No single live token has the prefix {options['prefix']!r}.")
        tokens.revoke_token(None, matches[0])
        self.stdout.write(self.style.SUCCESS(f"Revoked {matches[0].prefix}…."))
