"""The staff pages fit a phone: at 390 CSS pixels wide (a common phone), left-to-right and
right-to-left, no page scrolls sideways. Tables stack their rows or scroll inside themselves
(the shared stylesheet's `table.stack` and `.table-scroll`), never the page."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.urls import reverse
from playwright.sync_api import Page

from amparo.cases import services
from amparo.cases.models import Event
from amparo.core import vocabulary
from amparo.core.models import Clearance, Organisation, Role, Thesaurus, User
from amparo.intake.forms import forget_vocabularies
from amparo.intake.models import Submission
from tests.e2e.test_login import current_code, submit_login
from tests.factories import OrganisationFactory, TOTPDeviceFactory, intake_report, member
from tests.plugins.environment import NewPage

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def _world(settings: pytest.FixtureRequest) -> tuple[User, Event, Submission]:
    """An administrator with a rich event (acts, people, a long title) and a report."""
    if not Thesaurus.objects.filter(code="hrd_violations").exists():
        vocabulary.load()
    forget_vocabularies()
    settings.AMPARO_INTAKE_ORGANISATION = "E2E-PHONE"  # type: ignore[attr-defined]
    commission = OrganisationFactory(
        name="National Commission for Human Rights and Administrative Justice",
        short_code="E2E-PHONE",
        kind=Organisation.Kind.NHRI,
    )
    admin = member(Role.ADMINISTRATOR, Clearance.STRICTLY_CONFIDENTIAL, commission)
    from tests.cases.exchange import record_event

    event = record_event(
        admin,
        title="Threats, surveillance and an arbitrary arrest after a community radio broadcast "
        "on land grabbing in the lake region",
    )
    services.submit_event(admin, event)
    report, _receipt = intake_report(
        what_happened="Unidentifiedmenonmotorbikesfollowedtheradiohostwithoutstopping " * 3
    )
    return admin, event, report


@pytest.fixture
def phone(
    new_page: NewPage, settings: pytest.FixtureRequest
) -> Iterator[tuple[Page, dict[str, str]]]:
    admin, event, report = _world(settings)
    page = new_page(viewport=PHONE)
    submit_login(page, admin, current_code(TOTPDeviceFactory(user=admin)))
    pages = {
        "home": reverse("core:home"),
        "event list": reverse("cases:event_list"),
        "event page": reverse("cases:event_detail", args=[event.pk]),
        "event form": reverse("cases:event_create"),
        "event edit form": reverse("cases:event_edit", args=[event.pk]),
        "intake inbox": reverse("intake:inbox"),
        "intake report": reverse("intake:detail", args=[report.pk]),
        "audit log": reverse("core:audit_log"),
        "vocabularies": reverse("core:thesaurus_list"),
        "vocabulary": reverse("core:thesaurus_detail", args=["types_of_acts"]),
    }
    yield page, pages


def _widths(page: Page, pages: dict[str, str]) -> dict[str, int]:
    widths = {}
    for name, path in pages.items():
        response = page.goto(path)
        assert response is not None and response.ok, (name, response and response.status)
        widths[name] = page.evaluate("document.scrollingElement.scrollWidth")
    return widths


@pytest.mark.parametrize("language", ["en", "ar"])
def test_no_staff_page_scrolls_sideways_on_a_phone(
    phone: tuple[Page, dict[str, str]], language: str
) -> None:
    page, pages = phone
    if language != "en":
        page.goto(reverse("core:home"))
        page.locator("select[name='language']").select_option(language)
        page.locator("form.language button[type='submit']").click()
        assert page.locator("html").get_attribute("dir") == "rtl"

    widths = _widths(page, pages)

    print("WIDTHS", language, widths)
    too_wide = {name: width for name, width in widths.items() if width > PHONE["width"]}
    assert not too_wide, too_wide
