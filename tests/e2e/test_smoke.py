"""The login page in a real browser: language, direction, and no dependence on JavaScript."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.plugins.environment import NewPage

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("javascript", [True, False], ids=["with-javascript", "without-javascript"])
def test_the_login_page_turns_right_to_left_when_arabic_is_chosen(
    new_page: NewPage, javascript: bool
) -> None:
    page = new_page(java_script_enabled=javascript)
    login = reverse("core:login")
    page.goto(login)
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "en")
    expect(html).to_have_attribute("dir", "ltr")

    language_form = page.locator("form:has(select[name='language'])")
    language_form.locator("select[name='language']").select_option("ar")
    language_form.locator("button[type='submit']").click()

    expect(html).to_have_attribute("lang", "ar")
    expect(html).to_have_attribute("dir", "rtl")
    expect(page).to_have_url(page.url.split(login)[0] + login)
