"""Signing in with password and TOTP, throttling, two-factor enrolment, sessions."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from amparo.core import device_cookie, services
from amparo.core.models import AuditEntry, Clearance, Role, User
from config import settings as production_settings
from tests.factories import PASSWORD, TOTPDeviceFactory, member

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def current_code(device: TOTPDevice, offset_steps: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = timezone.now().timestamp() + offset_steps * device.step
    return f"{totp.token():06d}"


def log_in(client: Client, user: User, code: str = "", password: str = PASSWORD) -> object:
    return client.post(LOGIN, {"username": user.username, "password": password, "otp_token": code})


@pytest.fixture
def confidential_user() -> User:
    return member(Role.DOCUMENTALIST, Clearance.CONFIDENTIAL)


def test_a_user_with_an_authenticator_logs_in_with_password_and_code(
    client: Client, confidential_user: User
) -> None:
    device = TOTPDeviceFactory(user=confidential_user)
    response = log_in(client, confidential_user, current_code(device))
    assert response.status_code == 302
    assert response["Location"] == reverse("core:home")
    home = client.get(reverse("core:home"))
    assert home.status_code == 200
    assert "Two-factor authentication verified" in home.content.decode()
    login_entry = AuditEntry.objects.get(action="user.login")
    assert login_entry.actor == confidential_user
    assert login_entry.changes == {"two_factor": True}


def test_the_password_alone_is_not_enough_when_an_authenticator_exists(
    client: Client, confidential_user: User
) -> None:
    TOTPDeviceFactory(user=confidential_user)
    response = log_in(client, confidential_user, "")
    assert response.status_code == 200
    assert "is not right" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_wrong_code_and_a_wrong_password_get_the_same_message(
    client: Client, confidential_user: User
) -> None:
    device = TOTPDeviceFactory(user=confidential_user)
    wrong_code = log_in(client, confidential_user, "000000" if current_code(device) != "000000"
                        else "111111").content.decode()  # fmt: skip
    wrong_password = log_in(client, confidential_user, current_code(device), "nope").content
    nobody = client.post(LOGIN, {"username": "nobody", "password": "x", "otp_token": "1"}).content
    message = "The username, password or two-factor code is not right."
    assert message in wrong_code
    assert message in wrong_password.decode()
    assert message in nobody.decode()


def test_a_backup_code_works_once(client: Client, confidential_user: User) -> None:
    TOTPDeviceFactory(user=confidential_user)
    codes = services.regenerate_backup_codes(confidential_user)
    assert log_in(client, confidential_user, codes[0]).status_code == 302
    client.logout()
    assert log_in(client, confidential_user, codes[0]).status_code == 200
    assert services.remaining_backup_codes(confidential_user) == 9


# --- Throttling: per account and browser, never per address ------------------------------------

ATTACKER_ADDRESS = "203.0.113.77"
ATTACKER_AGENT = "Mozilla/5.0 (X11; Attacker) Gecko/20100101 UniqueAgent/7731"
OWNER_ADDRESS = "198.51.100.23"
OWNER_AGENT = "Mozilla/5.0 (Owner's laptop) UniqueAgent/4242"
PAUSED_FOR_NEW_BROWSERS = "from browsers it was not used on before"


def fresh_browser(number: int = 0) -> Client:
    """A client with no cookie, from an address and with a user agent of its own."""
    return Client(
        REMOTE_ADDR=f"203.0.113.{number % 250}", HTTP_USER_AGENT=f"{ATTACKER_AGENT}-{number}"
    )


def flood(user: User, attempts: int = 12) -> list[str]:
    """Wrong passwords for `user` from as many fresh browsers; the pages they got."""
    return [
        log_in(fresh_browser(n), user, "", "wrong password").content.decode()
        for n in range(attempts)
    ]


@pytest.fixture
def owner_browser(confidential_user: User) -> Client:
    """The owner's laptop, which signed in (and out) before."""
    device = TOTPDeviceFactory(user=confidential_user)
    browser = Client(REMOTE_ADDR=OWNER_ADDRESS, HTTP_USER_AGENT=OWNER_AGENT)
    assert log_in(browser, confidential_user, current_code(device)).status_code == 302
    browser.post(reverse("core:logout"))
    return browser


def test_a_flood_of_wrong_passwords_from_fresh_browsers_does_not_keep_the_owner_out(
    confidential_user: User, owner_browser: Client
) -> None:
    pages = flood(confidential_user)

    assert PAUSED_FOR_NEW_BROWSERS not in pages[3]
    assert all(PAUSED_FOR_NEW_BROWSERS in page for page in pages[5:])
    # Even the right password gets nowhere from a new browser now: no guess is checked.
    device = confidential_user.totpdevice_set.get()
    attacker = log_in(fresh_browser(99), confidential_user, current_code(device, 1))
    assert attacker.status_code == 200
    assert PAUSED_FOR_NEW_BROWSERS in attacker.content.decode()
    assert "_auth_user_id" not in fresh_browser(99).session
    # The owner's own laptop signs in.
    response = log_in(owner_browser, confidential_user, current_code(device, 1))
    assert response.status_code == 302
    assert owner_browser.get(reverse("core:home")).status_code == 200


def test_the_new_browsers_pause_lasts_until_the_attempts_have_stopped_for_the_cool_off_time(
    confidential_user: User,
) -> None:
    device = TOTPDeviceFactory(user=confidential_user)
    flood(confidential_user, 5)
    twelve_minutes_ago = timezone.now() - timedelta(minutes=12)
    AccessAttempt.objects.update(attempt_time=twelve_minutes_ago)
    flood(confidential_user, 1)  # refused unchecked, and counted: the pause starts again
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=12))
    assert log_in(Client(), confidential_user, current_code(device)).status_code == 200
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert log_in(Client(), confidential_user, current_code(device)).status_code == 302


def test_failures_from_a_known_browser_pause_that_browser_only(
    confidential_user: User, owner_browser: Client
) -> None:
    device = confidential_user.totpdevice_set.get()
    for _ in range(5):
        log_in(owner_browser, confidential_user, "", "wrong password")
    paused = log_in(owner_browser, confidential_user, current_code(device, 1)).content.decode()
    assert "Too many failed attempts from this browser" in paused
    # A new browser is a different count (and gets the owner in).
    assert log_in(Client(), confidential_user, current_code(device, 1)).status_code == 302
    assert AuditEntry.objects.filter(action="user.locked_out", actor=None).count() == 1
    assert AuditEntry.objects.get(action="user.locked_out").changes == {"browsers": "known"}


def test_a_known_browser_cookie_cannot_be_forged_or_carried_to_another_account(
    confidential_user: User, owner_browser: Client
) -> None:
    insider = member(Role.DOCUMENTALIST, Clearance.CONFIDENTIAL)
    insider_device = TOTPDeviceFactory(user=insider)
    insiders_browser = Client()
    assert log_in(insiders_browser, insider, current_code(insider_device)).status_code == 302
    insiders_browser.post(reverse("core:logout"))
    for _ in range(5):  # the insider's own browser is a new browser for the owner's account
        log_in(insiders_browser, confidential_user, "", "wrong password")
    forged = Client()
    forged.cookies[device_cookie.COOKIE_NAME] = owner_browser.cookies[
        device_cookie.COOKIE_NAME
    ].value.replace("a", "b", 1)
    for browser in (insiders_browser, forged):
        page = log_in(browser, confidential_user, "", "wrong password").content.decode()
        assert PAUSED_FOR_NEW_BROWSERS in page
    device = confidential_user.totpdevice_set.get()
    assert log_in(owner_browser, confidential_user, current_code(device, 1)).status_code == 302


def test_unknown_usernames_pause_as_real_ones_do(client: Client) -> None:
    ghost = User(username="nobody-here")
    pages = flood(ghost, 6)
    assert PAUSED_FOR_NEW_BROWSERS in pages[-1]
    assert not AuditEntry.objects.filter(action__startswith="user.").exists()


def test_a_just_used_code_asks_to_wait_for_the_next_one_and_counts_no_failure(
    confidential_user: User,
) -> None:
    device = TOTPDeviceFactory(user=confidential_user)
    code = current_code(device)
    laptop = Client()
    assert log_in(laptop, confidential_user, code).status_code == 302
    laptop.post(reverse("core:logout"))
    for _ in range(8):  # more than the failure limit
        page = log_in(laptop, confidential_user, code).content.decode()
        assert "This code has just been used. Wait until your authenticator app shows" in page
    assert not AccessAttempt.objects.exists()
    assert not AuditEntry.objects.filter(action="user.login_failed").exists()
    device.refresh_from_db()
    assert device.throttling_failure_count == 0
    assert log_in(laptop, confidential_user, current_code(device, 1)).status_code == 302


def test_a_just_used_code_on_the_two_factor_page_asks_to_wait_too(confidential_user: User) -> None:
    device = TOTPDeviceFactory(user=confidential_user)
    code = current_code(device)
    assert log_in(Client(), confidential_user, code).status_code == 302
    session_without_code = Client()
    session_without_code.force_login(confidential_user)
    page = session_without_code.post(reverse("core:otp_verify"), {"otp_token": code})
    assert "This code has just been used" in page.content.decode()
    assert not AccessAttempt.objects.exists()


def test_wrong_codes_on_the_two_factor_page_pause_it(confidential_user: User) -> None:
    device = TOTPDeviceFactory(user=confidential_user)
    browser = Client()
    browser.force_login(confidential_user)
    wrong = "000000" if current_code(device) != "000000" else "111111"
    for _ in range(5):
        page = browser.post(reverse("core:otp_verify"), {"otp_token": wrong}).content.decode()
    assert PAUSED_FOR_NEW_BROWSERS in page
    page = browser.post(reverse("core:otp_verify"), {"otp_token": current_code(device)})
    assert PAUSED_FOR_NEW_BROWSERS in page.content.decode()


def _cells(table: str) -> list[str]:
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {quote(table)}")
        return [str(value) for row in cursor.fetchall() for value in row if value is not None]


def test_no_address_or_user_agent_reaches_any_table_or_log_record(
    confidential_user: User, owner_browser: Client, every_log_record: pytest.LogCaptureFixture
) -> None:
    flood(confidential_user)
    device = confidential_user.totpdevice_set.get()
    log_in(fresh_browser(1), confidential_user, current_code(device, 1))
    assert log_in(owner_browser, confidential_user, current_code(device, 1)).status_code == 302
    owner_browser.post(reverse("core:logout"))

    assert AccessAttempt.objects.exists()
    client_metadata = [OWNER_ADDRESS, OWNER_AGENT, ATTACKER_ADDRESS, "203.0.113.", "UniqueAgent"]
    for table in connection.introspection.table_names():
        for cell in _cells(table):
            assert not any(text in cell for text in client_metadata), (table, cell)
            assert confidential_user.username not in cell or not table.startswith("axes"), table
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {None}
    messages = [record.getMessage() for record in every_log_record.records]
    messages += [str(record.__dict__) for record in every_log_record.records]
    assert any("AXES" in message for message in messages)  # axes did log, and said nothing
    for message in messages:
        assert not any(text in message for text in client_metadata), message


def test_a_user_who_needs_two_factor_and_has_none_is_sent_to_enrol(
    client: Client, confidential_user: User
) -> None:
    response = log_in(client, confidential_user)
    assert response.status_code == 302
    home = client.get(reverse("core:home"))
    assert home.status_code == 302
    assert home["Location"] == reverse("core:otp_enrol")


def test_enrolment_shows_a_local_qr_code_then_ten_backup_codes(
    client: Client, confidential_user: User
) -> None:
    client.force_login(confidential_user)
    page = client.get(reverse("core:otp_enrol")).content.decode()
    assert "<svg" in page
    assert "http" not in page.split("<svg", 1)[1].split("</svg>", 1)[0].replace(
        "http://www.w3.org/2000/svg", ""
    )
    device = TOTPDevice.objects.get(user=confidential_user, confirmed=False)
    response = client.post(reverse("core:otp_enrol"), {"otp_token": current_code(device)})
    assert response.status_code == 200
    codes = re.findall(r"<li>([a-z2-9]{10})</li>", response.content.decode())
    assert len(codes) == 10
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("core:home")).status_code == 200


def test_enrolment_with_a_wrong_code_explains_and_keeps_the_secret(
    client: Client, confidential_user: User
) -> None:
    client.force_login(confidential_user)
    client.get(reverse("core:otp_enrol"))
    device = TOTPDevice.objects.get(user=confidential_user)
    wrong = "123456" if current_code(device) != "123456" else "654321"
    response = client.post(reverse("core:otp_enrol"), {"otp_token": wrong})
    assert "That code is not right" in response.content.decode()
    assert TOTPDevice.objects.get(user=confidential_user).key == device.key


def test_a_public_clearance_user_may_work_without_two_factor(client: Client) -> None:
    reviewer = member(Role.REVIEWER, Clearance.PUBLIC)
    assert log_in(client, reviewer).status_code == 302
    assert client.get(reverse("core:home")).status_code == 200


def test_a_password_only_session_must_verify_a_code_before_anything_else(
    client: Client, confidential_user: User
) -> None:
    device = TOTPDeviceFactory(user=confidential_user)
    client.force_login(confidential_user)
    assert client.get(reverse("core:account"))["Location"] == reverse("core:otp_verify")
    response = client.post(reverse("core:otp_verify"), {"otp_token": current_code(device)})
    assert response.status_code == 302
    assert client.get(reverse("core:account")).status_code == 200


def test_logging_out_everywhere_ends_other_sessions(confidential_user: User) -> None:
    device = TOTPDeviceFactory(user=confidential_user)
    laptop, phone = Client(), Client()
    assert log_in(laptop, confidential_user, current_code(device)).status_code == 302
    assert log_in(phone, confidential_user, current_code(device, offset_steps=1)).status_code == 302
    assert phone.get(reverse("core:home")).status_code == 200
    laptop.post(reverse("core:logout_everywhere"))
    assert phone.get(reverse("core:home")).status_code == 302
    assert laptop.get(reverse("core:home")).status_code == 302
    assert AuditEntry.objects.filter(action="user.logout_everywhere").exists()


def test_logout_needs_a_post(client: Client, confidential_user: User) -> None:
    assert client.get(reverse("core:logout")).status_code == 405


def test_sessions_end_after_eight_idle_hours_or_when_the_browser_closes() -> None:
    assert django_settings.SESSION_SAVE_EVERY_REQUEST
    assert django_settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    assert django_settings.SESSION_COOKIE_AGE <= 8 * 3600


def test_passwords_are_hashed_with_argon2id_outside_the_test_suite() -> None:
    assert production_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert Argon2PasswordHasher().encode("x", "saltsaltsalt").startswith("argon2$argon2id$")


def test_a_redirect_after_login_never_leaves_the_site(
    client: Client, confidential_user: User
) -> None:
    device = TOTPDeviceFactory(user=confidential_user)
    response = client.post(
        LOGIN,
        {
            "username": confidential_user.username,
            "password": PASSWORD,
            "otp_token": current_code(device),
            "next": "https://evil.example/",
        },
    )
    assert response["Location"] == reverse("core:home")


def test_backup_codes_can_be_regenerated_only_after_two_factor(
    client: Client, confidential_user: User
) -> None:
    device = TOTPDeviceFactory(user=confidential_user)
    log_in(client, confidential_user, current_code(device))
    old = set(StaticToken.objects.values_list("token", flat=True))
    response = client.post(reverse("core:backup_codes"))
    new = set(re.findall(r"<li>([a-z2-9]{10})</li>", response.content.decode()))
    assert len(new) == 10
    assert not (old & new)
