"""Keyboard only, in a real browser: a defender fills in and sends the intake report form with
Tab, Space, arrow keys and Enter; a reader of the portal reaches the reprisals list, filters it by
country and opens an event's permalink, never touching the mouse."""

from __future__ import annotations

import datetime

import pytest
from django.core.cache import cache
from django.urls import reverse
from playwright.sync_api import Page, expect

from amparo.cases.models import DatePrecision, Event
from amparo.core import vocabulary
from amparo.core.models import Clearance, Organisation, Role, Thesaurus
from amparo.intake.forms import forget_vocabularies
from amparo.intake.models import Submission
from amparo.portal import services
from tests.factories import ActFactory, EventFactory, OrganisationFactory, PersonFactory, member
from tests.plugins.environment import NewPage

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

MOST_TABS = 150


def focused(page: Page, selector: str) -> bool:
    return bool(page.evaluate("s => document.activeElement?.matches(s) ?? false", selector))


def tab_to(page: Page, selector: str) -> None:
    """Press Tab until the element matching `selector` has the focus (as a person would)."""
    for _ in range(MOST_TABS):
        page.keyboard.press("Tab")
        if focused(page, selector):
            return
    raise AssertionError(f"{selector} cannot be reached with the Tab key")


def arrow_to(page: Page, selector: str) -> None:
    """In a group of radio buttons, move with the arrow key to the one matching `selector`."""
    for _ in range(20):
        if focused(page, selector):
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"{selector} cannot be reached with the arrow keys")


def test_the_intake_form_is_filled_and_sent_with_the_keyboard_alone(
    new_page: NewPage, settings: pytest.FixtureRequest
) -> None:
    if not Thesaurus.objects.filter(code="hrd_violations").exists():
        vocabulary.load()
    forget_vocabularies()
    settings.AMPARO_INTAKE_ORGANISATION = "E2E-KEYS"  # type: ignore[attr-defined]
    Organisation.objects.create(
        name="Keyboard Commission", short_code="E2E-KEYS", kind=Organisation.Kind.NHRI
    )
    page = new_page()
    page.goto(reverse("intake:report"))

    tab_to(page, "textarea[name=what_happened]")
    page.keyboard.type("They searched our office and took the case files.")
    tab_to(page, "input[name=when_year]")
    page.keyboard.type("2025")
    tab_to(page, "input[name=target]")
    arrow_to(page, "input[name=target][value=organisation]")
    page.keyboard.press("Space")
    tab_to(page, "input[name=acts][value=raid]")
    page.keyboard.press("Space")
    tab_to(page, "input[name=danger]")
    arrow_to(page, "input[name=danger][value=no]")
    page.keyboard.press("Space")
    tab_to(page, "main form button[type=submit]")
    page.keyboard.press("Enter")

    expect(page.locator(".receipt")).to_be_visible()
    submission = Submission.objects.get()
    assert submission.acts == ["raid"]


def test_the_portal_is_filtered_and_a_permalink_opened_with_the_keyboard_alone(
    new_page: NewPage,
) -> None:
    if not Thesaurus.objects.filter(code="hrd_violations").exists():
        vocabulary.load()
    cache.clear()
    commission = OrganisationFactory(
        name="Keyboard Commission", short_code="E2E-KEYS", kind=Organisation.Kind.NHRI
    )
    editor = member(Role.DOCUMENTALIST, Clearance.STRICTLY_CONFIDENTIAL, commission)
    reviewer = member(Role.REVIEWER, Clearance.RESTRICTED, commission)
    events = [
        EventFactory(
            organisation=commission,
            status=Event.Status.VERIFIED,
            country=country,
            start_date=datetime.date(2024, 3, 17),
            start_precision=DatePrecision.DAY,
        )
        for country in ("KE", "FR")
    ]
    for event in events:
        ActFactory(event=event, victim=PersonFactory(organisation=commission))
    publication = services.create_events_publication(
        editor,
        commission,
        title="Reprisals in two countries",
        summary="",
        reference_codes=[event.reference_code for event in events],
    )
    services.submit(editor, publication)
    services.approve(reviewer, publication)
    kenya = next(e for e in publication.content["events"] if e["country"] == "KE")["code"]

    page = new_page()
    page.goto("/portal/")
    tab_to(page, "nav a[href='/portal/reprisals/']")
    page.keyboard.press("Enter")
    expect(page.locator("main p[role=status]")).to_contain_text("2 events")

    tab_to(page, "select#country")
    page.keyboard.type("Kenya")
    expect(page.locator("select#country")).to_have_value("KE")
    tab_to(page, "form[role=search] button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.locator("main p[role=status]")).to_contain_text("1 event")
    assert "country=KE" in page.url

    tab_to(page, f"main .portal-event-title a[href$='/{kenya}/']")
    page.keyboard.press("Enter")
    expect(page.locator("a[rel=bookmark]")).to_be_visible()
    page.wait_for_load_state()
    tab_to(page, "a[rel=bookmark]")
    page.keyboard.press("Enter")
    expect(page).to_have_url(
        f"{page.url.split('/portal/')[0]}/portal/p/{publication.slug}/{kenya}/"
    )
    expect(page.locator("main")).to_contain_text("Kenya")
