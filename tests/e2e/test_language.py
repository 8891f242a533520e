"""The language is remembered per person, in a real browser: a documentalist picks Arabic with the
switcher; signing in the next time, in another browser, the pages are in Arabic, right to left."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from amparo.core.models import Clearance, Role, User
from tests.core.test_accounts import current_code
from tests.factories import PASSWORD, TOTPDeviceFactory, member
from tests.plugins.environment import NewPage

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def log_in(page: Page, user: User, code: str) -> None:
    page.goto(reverse("core:login"))
    form = page.locator("main form")
    form.locator("[name=username]").fill(user.username)
    form.locator("[name=password]").fill(PASSWORD)
    form.locator("[name=otp_token]").fill(code)
    form.locator("button[type=submit]").click()
    expect(page.locator("[name=password]")).to_have_count(0)


def test_the_chosen_language_is_used_at_the_next_login(new_page: NewPage) -> None:
    user = member(Role.DOCUMENTALIST, Clearance.CONFIDENTIAL)
    device = TOTPDeviceFactory(user=user)
    page = new_page(locale="en-GB")
    log_in(page, user, current_code(device))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.locator("#language-select").select_option("ar")
    page.locator("form.language button[type=submit]").click()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")

    elsewhere = new_page(locale="en-GB")
    log_in(elsewhere, user, current_code(device, 1))  # a code is good once
    expect(elsewhere.locator("html")).to_have_attribute("lang", "ar")
    expect(elsewhere.locator("html")).to_have_attribute("dir", "rtl")
    user.refresh_from_db()
    assert user.language == "ar"
