"""Signing in with password and TOTP, throttling, two-factor enrolment, sessions."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from amparo.core import services
from amparo.core.models import AuditEntry, Clearance, LoginThrottle, Role, User
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


def test_the_account_locks_after_repeated_failures_whatever_the_address(
    client: Client, confidential_user: User, settings: object
) -> None:
    device = TOTPDeviceFactory(user=confidential_user)
    for attempt in range(5):
        log_in(Client(REMOTE_ADDR=f"10.0.0.{attempt}"), confidential_user, "", "wrong")
    response = log_in(client, confidential_user, current_code(device))
    assert response.status_code == 200
    assert "locked until" in response.content.decode()
    throttle = LoginThrottle.objects.get()
    assert confidential_user.username not in throttle.username_digest
    assert AuditEntry.objects.filter(action="user.locked_out", actor=None).count() == 1


def test_the_lock_lifts_after_the_lockout_period(client: Client, confidential_user: User) -> None:
    device = TOTPDeviceFactory(user=confidential_user)
    for _ in range(5):
        log_in(client, confidential_user, "", "wrong")
    LoginThrottle.objects.update(locked_until=timezone.now() - timedelta(seconds=1))
    assert log_in(client, confidential_user, current_code(device)).status_code == 302
    assert not LoginThrottle.objects.exists()


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
