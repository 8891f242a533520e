"""The secure intake channel in a real browser, without JavaScript: a defender reports, keeps the
receipt, staff reply, the defender reads the reply. Nothing of it reaches the logs, and the
database holds neither the report's text nor the browser's address or user agent."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page
    from pytest_django.live_server_helper import LiveServer

from amparo.core import vocabulary
from amparo.core.models import Clearance, Organisation, Role
from amparo.intake.forms import forget_vocabularies
from amparo.intake.models import Submission
from tests.e2e.test_login import current_code, submit_login
from tests.factories import TOTPDeviceFactory, member
from tests.intake.test_privacy import _raw_database
from tests.plugins.environment import CHROMIUM_ARGS, E2E_TIMEOUT_MS, NewPage, chromium_path

pytestmark = pytest.mark.e2e

USER_AGENT = "Mozilla/5.0 (Linux; Android 9; ReporterHandset-E2E) AmparoE2E/1.0"
REPORT_TEXT = "Soldiers from the Rivergate barracks burned the radio station archive"
REPLY_TEXT = "We have alerted the protection desk; please stay in touch through this page"


def test_a_report_sent_without_javascript_is_answered_and_the_answer_read_with_the_receipt(
    new_page: NewPage,
    settings: pytest.FixtureRequest,
    every_log_record: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    organisation = _channel(settings)
    staff = member(Role.DOCUMENTALIST, Clearance.CONFIDENTIAL, organisation=organisation)
    device = TOTPDeviceFactory(user=staff)

    # The defender reports, with JavaScript off, in Spanish.
    reporter = new_page(java_script_enabled=False, user_agent=USER_AGENT)
    reporter.goto(reverse("intake:report") + "?lang=es")
    expect(reporter.locator("html")).to_have_attribute("lang", "es")
    form = reporter.locator("main form")
    form.locator("textarea[name='what_happened']").fill(REPORT_TEXT)
    form.locator("input[name='when_year']").fill("2025")
    form.locator("input[name='target'][value='me']").check()
    form.locator("input[name='acts'][value='raid']").check()
    form.locator("input[name='danger'][value='yes']").check()
    form.locator("input[name='consent_partner']").check()
    form.locator("button[type='submit']").click()
    receipt = reporter.locator(".receipt").inner_text().strip()
    assert re.fullmatch(r"([0-9A-Z]{4}-){4}[0-9A-Z]{4}", receipt)
    assert reporter.context.cookies() == []
    submission = Submission.objects.get()
    assert submission.language == "es" and submission.acts == ["raid"]

    # Staff sign in and answer.
    office = new_page()
    submit_login(office, staff, current_code(device))
    office.goto(reverse("intake:inbox"))
    expect(office.locator("main")).to_contain_text(submission.reference)
    office.get_by_role("link", name=submission.reference).click()
    expect(office.locator("main")).to_contain_text(REPORT_TEXT)
    office.locator("textarea[name='reply-body']").fill(REPLY_TEXT)
    office.get_by_role("button", name="Send to the reporter").click()
    expect(office.locator("main")).to_contain_text(REPLY_TEXT)

    # The defender comes back, in a fresh browser, with only the receipt.
    later = new_page(java_script_enabled=False, user_agent=USER_AGENT)
    later.goto(reverse("intake:follow_up"))
    later.locator("input[name='receipt']").fill(receipt.lower().replace("-", " "))
    later.locator("main form button[type='submit']").click()
    expect(later.locator("main")).to_contain_text(REPLY_TEXT)
    expect(later.locator("html")).to_have_attribute("lang", "es")
    assert later.context.cookies() == []

    written = "\n".join(
        f"{record.getMessage()} {record.exc_text or ''}" for record in every_log_record.records
    ) + "".join(capfd.readouterr())
    dump = _raw_database()
    for secret in (REPORT_TEXT, "Rivergate", USER_AGENT, "ReporterHandset-E2E", "127.0.0.1"):
        assert secret not in written
        assert secret not in dump
    assert REPLY_TEXT not in dump and REPLY_TEXT not in written


def _channel(settings: pytest.FixtureRequest) -> Organisation:
    vocabulary.load()
    forget_vocabularies()
    settings.AMPARO_INTAKE_ORGANISATION = "E2E-NHRI"  # type: ignore[attr-defined]
    return Organisation.objects.create(
        name="E2E Commission", short_code="E2E-NHRI", kind=Organisation.Kind.NHRI, country="KE"
    )


def test_with_javascript_the_browser_solves_the_proof_of_work(
    new_page: NewPage, settings: pytest.FixtureRequest
) -> None:
    _channel(settings)
    # Refuse every submission without a solved puzzle: only the script's answer gets through.
    settings.AMPARO_INTAKE_RATE_LIMITS = {"submit_without_pow": (0, 60)}  # type: ignore[attr-defined]
    page = new_page()
    page.goto(reverse("intake:report"))
    form = page.locator("main form")
    form.locator("textarea[name='what_happened']").fill("They cut the power to our office.")
    form.locator("input[name='target'][value='organisation']").check()
    form.locator("input[name='danger'][value='no']").check()
    form.locator("button[type='submit']").click()
    expect(page.locator(".receipt")).to_be_visible()
    assert Submission.objects.count() == 1


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_report_page_fits_a_320_pixel_screen(
    new_page: NewPage, settings: pytest.FixtureRequest, language: str
) -> None:
    _channel(settings)
    page = new_page(viewport={"width": 320, "height": 640})
    page.goto(reverse("intake:report") + f"?lang={language}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320


PHONE = {"width": 390, "height": 844}


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_report_form_folds_its_groups_and_stays_short_on_a_phone(
    new_page: NewPage, settings: pytest.FixtureRequest, language: str
) -> None:
    _channel(settings)
    page = new_page(viewport=PHONE, java_script_enabled=False)
    page.goto(reverse("intake:report") + f"?lang={language}")
    height = page.evaluate("document.documentElement.scrollHeight")
    print(f"report form at 390 px, {language}: {height} px")
    assert height < 6000  # 7,524 px (en) and 7,130 px (ar) with the groups unfolded
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    groups = page.locator("details.group")
    assert groups.count() >= 10
    assert page.locator("details.group[open]").count() == 0
    # No box is labelled "other, or not sure": a group's own box carries the group's name.
    assert page.get_by_text("not sure which").count() == 0
    first = groups.first
    name = first.locator("summary").inner_text().strip()
    own_box = first.locator("input").first
    expect(own_box).to_be_hidden()
    first.locator("summary").focus()
    page.keyboard.press("Enter")  # the summary is a button: the keyboard opens the group
    expect(own_box).to_be_visible()
    assert first.locator("label").first.inner_text().strip() == name
    own_box.focus()
    page.keyboard.press("Space")
    expect(own_box).to_be_checked()


VICTIM = "Amina Odhiambo"
HIDING_PLACE = "Hiding at the Kisumu mission guest house"


@pytest.fixture
def browser_as_people_have_it(browser: Browser, live_server: LiveServer) -> Iterator[NewPage]:
    """Pages of a Chromium with its back/forward cache, which Playwright switches off by default
    (it keeps whole pages, typed answers included, to show them again on Back)."""
    chromium = browser.browser_type.launch(
        executable_path=str(chromium_path()),
        headless=True,
        args=CHROMIUM_ARGS,
        ignore_default_args=["--disable-back-forward-cache"],
    )

    def open_page(**options: Any) -> Page:
        context = chromium.new_context(base_url=live_server.url, **options)
        context.set_default_timeout(E2E_TIMEOUT_MS)
        return context.new_page()

    yield open_page
    chromium.close()


@pytest.mark.parametrize("javascript", [False, True], ids=["without-javascript", "with-javascript"])
def test_back_after_sending_shows_nothing_typed_and_sending_again_files_no_second_report(
    browser_as_people_have_it: NewPage,
    settings: pytest.FixtureRequest,
    tmp_path: Path,
    javascript: bool,
) -> None:
    _channel(settings)
    evidence = tmp_path / "threat-letter.txt"
    evidence.write_text("We know where you sleep.")
    page = browser_as_people_have_it(java_script_enabled=javascript)
    page.goto(reverse("intake:report"))
    form = page.locator("main form")
    form.locator("textarea[name='what_happened']").fill("They burned the radio station.")
    form.locator("input[name='victim_name']").fill(VICTIM)
    form.locator("input[name='region']").fill(HIDING_PLACE)
    form.locator("input[name='target'][value='someone_else']").check()
    form.locator("input[name='danger'][value='yes']").check()
    form.locator("input[name='files']").set_input_files(evidence)
    form.locator("button[type='submit']").click()
    expect(page.locator(".receipt")).to_be_visible()
    # The answer's style sheet tells the browser to drop the form's page (Clear-Site-Data); a
    # person reads the receipt first, a busy test machine could press Back before it loaded.
    page.wait_for_load_state("load")
    assert Submission.objects.count() == 1

    # A page restored from the back/forward cache fires no load event: wait for it to show.
    page.go_back(wait_until="commit")
    expect(page.locator("main form textarea[name='what_happened']")).to_be_attached()
    restored_from_cache = page.evaluate("performance.getEntriesByType('navigation')[0].type")
    print("navigation type after Back:", restored_from_cache)

    shown = page.content()
    assert VICTIM not in shown and HIDING_PLACE not in shown
    form = page.locator("main form")
    for field in ("textarea[name='what_happened']", "input[name='victim_name']",
                  "input[name='region']"):  # fmt: skip
        expect(form.locator(field)).to_have_value("")
    expect(form.locator("input[name='target'][value='someone_else']")).not_to_be_checked()
    assert form.locator("input[name='files']").evaluate("input => input.files.length") == 0

    form.locator("button[type='submit']").click()
    page.wait_for_load_state()
    assert VICTIM not in page.content()
    assert Submission.objects.count() == 1
