"""Signing in with a password and an authenticator code in a real browser, with and without
JavaScript."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from amparo.core.models import Clearance, Role, User
from tests.factories import PASSWORD, TOTPDeviceFactory, member
from tests.plugins.environment import NewPage

pytestmark = pytest.mark.e2e

JAVASCRIPT = pytest.mark.parametrize(
    "javascript", [True, False], ids=["with-javascript", "without-javascript"]
)


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def submit_login(page: Page, user: User, code: str) -> None:
    page.goto(reverse("core:login"))
    login_form = page.locator("main form")
    login_form.locator("input[name='username']").fill(user.username)
    login_form.locator("input[name='password']").fill(PASSWORD)
    login_form.locator("input[name='otp_token']").fill(code)
    login_form.locator("button[type='submit']").click()


@JAVASCRIPT
def test_a_member_logs_in_with_password_and_authenticator_code(
    new_page: NewPage, javascript: bool
) -> None:
    user = member(Role.DOCUMENTALIST, Clearance.CONFIDENTIAL)
    device = TOTPDeviceFactory(user=user)
    page = new_page(java_script_enabled=javascript)

    submit_login(page, user, current_code(device))

    expect(page).to_have_url(re.compile(re.escape(reverse("core:home")) + "$"))
    expect(page.locator("main")).to_contain_text("Two-factor authentication verified")


@JAVASCRIPT
def test_a_wrong_code_keeps_the_member_on_the_login_page(
    new_page: NewPage, javascript: bool
) -> None:
    user = member(Role.DOCUMENTALIST, Clearance.CONFIDENTIAL)
    device = TOTPDeviceFactory(user=user)
    wrong = "000000" if current_code(device) != "000000" else "111111"
    page = new_page(java_script_enabled=javascript)

    submit_login(page, user, wrong)

    expect(page.locator("main [role='alert']")).to_contain_text("is not right")
    expect(page).to_have_url(re.compile(re.escape(reverse("core:login")) + "$"))
