"""Commands that read identities run on behalf of a person, with that person's keys only for the
command (`amparo.core.on_behalf`: `--as USERNAME` and a password, or `--token`)."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from amparo.api import tokens
from amparo.cases.exchange import exports
from amparo.core import keychain, on_behalf
from amparo.core.audit_actions import AuditAction
from amparo.core.models import AuditEntry, Clearance, KeyGrant, Role, User
from amparo.network.services import exports as network_exports
from amparo.stats.services import dedupe
from tests.factories import PASSWORD, OrganisationFactory, member
from tests.keys import grant_everything

pytestmark = pytest.mark.django_db

Seen = list[tuple[keychain.Keychain, set[int]]]


def documentalist() -> User:
    user = member(Role.DOCUMENTALIST, Clearance.STRICTLY_CONFIDENTIAL, OrganisationFactory())
    grant_everything(user, PASSWORD)
    return user


def granted_keys(user: User) -> set[int]:
    return set(KeyGrant.objects.filter(user=user).values_list("organisation_key_id", flat=True))


def watch(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str, result: Any) -> Seen:
    """Replace the service `owner.name` by one that notes the keychain it runs in."""
    seen: Seen = []

    def service(*args: Any, **kwargs: Any) -> Any:
        chain = keychain.current()
        seen.append((chain, set(chain.organisation_keys)))
        return result

    monkeypatch.setattr(owner, name, service)
    return seen


def export_cases(user: User, tmp_path: Path) -> None:
    call_command(
        "export-cases",
        "--as",
        user.username,
        "--output",
        str(tmp_path / "exports.csv"),
        stderr=io.StringIO(),
    )


def dedupe_command(user: User, tmp_path: Path) -> None:
    call_command("dedupe", "--as", user.username, stdout=io.StringIO())


def network_export(user: User, tmp_path: Path) -> None:
    call_command(
        "network",
        "export",
        "members",
        "--as",
        user.username,
        "--output",
        str(tmp_path / "exports.csv"),
    )


COMMANDS: dict[str, tuple[Callable[[User, Path], None], Any, str, Any]] = {
    "export-cases": (export_cases, exports, "export", 0),
    "dedupe": (
        dedupe_command,
        dedupe,
        "find_duplicates",
        SimpleNamespace(persons=0, events=0, candidates=0),
    ),
    "network export": (network_export, network_exports, "export", ""),
}


def prepared(
    command: str, password: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[User, Seen, Callable[[User, Path], None]]:
    """A documentalist, what `command`'s service will see, and the command, to be run with
    `password` in the environment."""
    run, owner, name, result = COMMANDS[command]
    user = documentalist()
    seen = watch(monkeypatch, owner, name, result)
    monkeypatch.setenv(on_behalf.PASSWORD_VARIABLE, password)
    return user, seen, run


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_command_runs_with_the_person_s_keys_and_forgets_them_at_the_end(
    command: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    user, seen, run = prepared(command, PASSWORD, monkeypatch)
    run(user, tmp_path)
    (chain, held), *_ = seen
    assert held == granted_keys(user) and held
    assert chain is not keychain.current() and not chain.organisation_keys


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_wrong_password_exits_with_status_1_does_nothing_and_is_audited(
    command: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    user, seen, run = prepared(command, "not the password", monkeypatch)
    with pytest.raises(CommandError, match="password is not right") as refused:
        run(user, tmp_path)
    assert refused.value.returncode == 1
    assert not seen and not (tmp_path / "exports.csv").exists()
    failure = AuditEntry.objects.get(action=AuditAction.USER_LOGIN_FAILED, object_id=str(user.pk))
    assert failure.changes == {"channel": "command"}
    assert "not the password" not in str(AuditEntry.objects.values_list())


def test_the_password_is_asked_without_echo_when_no_variable_gives_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    user = documentalist()
    seen = watch(monkeypatch, exports, "export", 0)
    monkeypatch.delenv(on_behalf.PASSWORD_VARIABLE, raising=False)
    prompts: list[str] = []

    def getpass(prompt: str) -> str:
        prompts.append(prompt)
        return PASSWORD

    monkeypatch.setattr(on_behalf.getpass, "getpass", getpass)
    export_cases(user, tmp_path)
    assert prompts == [f"Password for {user.username}: "] and seen


def test_without_a_person_the_command_refuses_and_says_how(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="--as USERNAME"):
        call_command("export-cases", "--output", str(tmp_path / "exports.csv"))
    assert not (tmp_path / "exports.csv").exists()


def test_an_unknown_account_or_one_without_a_personal_key_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(on_behalf.PASSWORD_VARIABLE, PASSWORD)
    with pytest.raises(CommandError, match="No active user"):
        call_command("dedupe", "--as", "nobody")
    keyless = member(Role.DOCUMENTALIST, Clearance.RESTRICTED, OrganisationFactory())
    keyless.personal_key.delete()
    with pytest.raises(CommandError, match="no personal key yet"):
        call_command("dedupe", "--as", keyless.username)


def test_an_api_token_runs_the_command_with_the_keys_it_carries(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    user = documentalist()
    with keychain.using(grant_everything(user, PASSWORD)):
        issued = tokens.issue_token(user, user, name="exports")
    seen = watch(monkeypatch, exports, "export", 0)
    monkeypatch.setenv(on_behalf.TOKEN_VARIABLE, issued.secret)
    call_command(
        "export-cases", "--token", "--output", str(tmp_path / "exports.csv"), stderr=io.StringIO()
    )
    assert seen[0][1] == granted_keys(user)

    other = documentalist()
    made: list[keychain.Keychain] = []

    class NotedKeychain(keychain.Keychain):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(on_behalf.keychain, "Keychain", NotedKeychain)
    with pytest.raises(CommandError, match=r"not .*'s"):
        call_command("export-cases", "--token", "--as", other.username)
    # The command's keychain got the keys the other person's token carries, to check whose it
    # is, and dropped them at once.
    assert not made[0].organisation_keys
    tokens.revoke_token(user, issued.token)
    with pytest.raises(CommandError, match="unknown, revoked or expired"):
        call_command("export-cases", "--token")
    assert len(seen) == 1
