"""Management commands that read identities run on behalf of a person (issue 16).

`--as USERNAME` unlocks that person's keys with their password (asked without echo, or read from
`AMPARO_PASSWORD` for scripts); `--token` does it with one of their API tokens (asked, or read
from `AMPARO_TOKEN`). The keys are held in a keychain for the command only and forgotten when it
ends. Two-factor authentication is not asked: running a command already needs an account on the
server, which the second factor stands in for on the web (docs/security.md, "A seized server").
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from amparo.core import audit, custody, keychain
from amparo.core.audit_actions import AuditAction
from amparo.core.models import PersonalKey, User

PASSWORD_VARIABLE = "AMPARO_PASSWORD"
TOKEN_VARIABLE = "AMPARO_TOKEN"

# The person an API token's secret belongs to, its keys opened into the current keychain; None
# for a secret that is unknown, revoked or expired (the api app registers `user_for_token`).
TokenOpener = Callable[[str], User | None]
_token_openers: list[TokenOpener] = []


def register_token_opener(opener: TokenOpener) -> None:
    if opener not in _token_openers:
        _token_openers.append(opener)


def add_arguments(parser: CommandParser) -> None:
    """`--as USERNAME` and `--token`, for a command that needs a person's keys."""
    parser.add_argument(
        "--as",
        dest="as_user",
        metavar="USERNAME",
        help=_(
            "Run on behalf of this person, with their keys: their password is asked (or read "
            "from %(variable)s)."
        )
        % {"variable": PASSWORD_VARIABLE},
    )
    parser.add_argument(
        "--token",
        action="store_true",
        help=_(
            "Run on behalf of the person whose API token is asked (or read from %(variable)s), "
            "with the keys it carries."
        )
        % {"variable": TOKEN_VARIABLE},
    )


def _secret(variable: str, prompt: str) -> str:
    return os.environ.get(variable) or getpass.getpass(prompt)


def _by_token(username: str | None) -> User:
    secret = _secret(TOKEN_VARIABLE, _("API token: ")).strip()
    for opener in _token_openers:
        user = opener(secret)
        if user is None:
            continue
        if username and user.username != username:
            raise CommandError(
                _("This API token is not %(name)s's: nothing was done.") % {"name": username}
            )
        return user
    raise CommandError(_("This API token is unknown, revoked or expired: nothing was done."))


def _by_password(username: str) -> tuple[User, keychain.Keychain]:
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(_("No active user is called %(name)r.") % {"name": username})
    if not PersonalKey.objects.filter(user=user).exists():
        # Its recovery key would be made here and shown to nobody: the first sign-in shows it.
        raise CommandError(
            _("%(name)s has no personal key yet: sign in once on the web first.")
            % {"name": username}
        )
    password = _secret(PASSWORD_VARIABLE, _("Password for %(name)s: ") % {"name": username})
    if not user.check_password(password):
        audit.record(None, AuditAction.USER_LOGIN_FAILED, user, changes={"channel": "command"})
        raise CommandError(_("The password is not right: nothing was done."))
    try:
        return user, custody.unlock(user, password).keychain
    except custody.CustodyError as error:
        raise CommandError(str(error)) from error


@contextmanager
def keys_of(options: Mapping[str, Any]) -> Iterator[User]:
    """Run the block on behalf of the person the command's options name (`add_arguments`), with
    their keys in the current keychain, forgotten at the end. CommandError (exit status 1),
    nothing done, when no person is named or the password or token is not right."""
    username: str | None = options.get("as_user")
    if options.get("token"):
        chain = keychain.Keychain()
        try:
            with keychain.using(chain):
                user = _by_token(username)
        except CommandError:
            chain.clear()  # another person's token: the keys it carried go at once
            raise
    elif username:
        user, chain = _by_password(username)
    else:
        raise CommandError(
            _(
                "This command reads identities, which only a person's keys open: run it with "
                "--as USERNAME (the password is asked, or read from %(password)s) or with "
                "--token (an API token, asked or read from %(token)s)."
            )
            % {"password": PASSWORD_VARIABLE, "token": TOKEN_VARIABLE}
        )
    try:
        with keychain.using(chain):
            yield user
    finally:
        chain.clear()
