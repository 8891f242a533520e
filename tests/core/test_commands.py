"""The first administrator's commands, the demo world and its two-factor codes."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from amparo.core import vocabulary
from amparo.core.models import AuditEntry, Clearance, Membership, Organisation, Role, User
from amparo.demo import accounts as demo

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_createorg_then_adduser_makes_a_first_administrator(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run("createorg", "--name", "Commission", "--short-code", "NHRC", "--kind", "nhri",
        "--country", "ke")  # fmt: skip
    monkeypatch.setenv("AMPARO_NEW_PASSWORD", "a long and unusual passphrase")
    output = run("adduser", "admin", "--organisation", "NHRC", "--role", "administrator",
                 "--clearance", "strictly_confidential", "--superuser")  # fmt: skip
    assert "two-factor" in output
    membership = Membership.objects.get(user__username="admin")
    assert membership.organisation.country == "KE"
    assert membership.role == Role.ADMINISTRATOR
    assert membership.clearance == Clearance.STRICTLY_CONFIDENTIAL
    assert User.objects.get(username="admin").is_superuser
    assert {"organisation.create", "user.create", "membership.add"} <= set(
        AuditEntry.objects.values_list("action", flat=True)
    )


def test_createorg_explains_a_bad_country_and_writes_nothing() -> None:
    with pytest.raises(CommandError, match="country: XX is not an ISO 3166-1"):
        run("createorg", "--name", "X", "--short-code", "X", "--kind", "nhri", "--country", "XX")
    assert not Organisation.objects.exists()


def test_adduser_refuses_a_weak_password_and_writes_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run("createorg", "--name", "Commission", "--short-code", "NHRC", "--kind", "nhri")
    monkeypatch.setenv("AMPARO_NEW_PASSWORD", "short")
    with pytest.raises(CommandError, match="too short"):
        run("adduser", "admin", "--organisation", "NHRC", "--role", "administrator")
    assert not User.objects.exists()


def test_adduser_names_an_unknown_organisation() -> None:
    with pytest.raises(CommandError, match="No organisation has the short code 'NOPE'"):
        run("adduser", "admin", "--organisation", "NOPE", "--role", "administrator")


@pytest.fixture
def vocabularies() -> None:
    vocabulary.load()


@override_settings(AMPARO_INTAKE_ORGANISATION="NHRC-KE")
def test_the_demo_is_idempotent_and_every_account_is_enrolled(vocabularies: None) -> None:
    first = run("demo", "--events", "5")
    assert demo.DEMO_PASSWORD in first
    run("demo", "--events", "5")
    assert User.objects.count() == len(demo.ACCOUNTS)
    assert Organisation.objects.count() == len(demo.ORGANISATIONS)
    assert set(Membership.objects.values_list("role", flat=True)) == set(Role.values)
    for account in demo.ACCOUNTS:
        assert len(demo.current_totp_code(account.username)) == 6


@override_settings(DEMO=True, AMPARO_INTAKE_ORGANISATION="NHRC-KE")
def test_demo_totp_prints_a_code_that_logs_in(client: object, vocabularies: None) -> None:
    run("demo", "--events", "5")
    code = run("demo-totp", "nhri.admin").strip()
    response = client.post(  # type: ignore[attr-defined]
        "/accounts/login/",
        {"username": "nhri.admin", "password": demo.DEMO_PASSWORD, "otp_token": code},
    )
    assert response.status_code == 302


@override_settings(DEMO=False, TESTING=False)
def test_demo_commands_are_refused_outside_demo_mode() -> None:
    with pytest.raises(CommandError, match="AMPARO_DEMO=1"):
        run("demo-totp", "nhri.admin")
    with pytest.raises(CommandError, match="AMPARO_DEMO=1"):
        run("demo")
