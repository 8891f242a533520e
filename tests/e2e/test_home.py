"""The home page shows each person their work, in a real browser: a documentalist finds the
event a colleague submitted for verification, a focal point finds the report of someone in
immediate danger that nobody handles; each follows the panel's link to the list of that work."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from amparo.cases.models import Event
from amparo.core import vocabulary
from amparo.core.models import Clearance, Organisation, Role, Thesaurus
from amparo.intake.forms import forget_vocabularies
from tests.e2e.test_login import current_code, submit_login
from tests.factories import (
    EventFactory,
    OrganisationFactory,
    TOTPDeviceFactory,
    intake_report,
    member,
)
from tests.plugins.environment import NewPage

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def commission(settings: pytest.FixtureRequest) -> Organisation:
    if not Thesaurus.objects.filter(code="hrd_violations").exists():
        vocabulary.load()
    forget_vocabularies()
    settings.AMPARO_INTAKE_ORGANISATION = "E2E-HOME"  # type: ignore[attr-defined]
    return OrganisationFactory(
        name="Home Commission", short_code="E2E-HOME", kind=Organisation.Kind.NHRI
    )


def test_a_documentalist_finds_the_event_waiting_for_their_verification(
    new_page: NewPage, commission: Organisation
) -> None:
    documentalist = member(Role.DOCUMENTALIST, Clearance.CONFIDENTIAL, commission)
    colleague = member(Role.DOCUMENTALIST, Clearance.CONFIDENTIAL, commission)
    waiting = EventFactory(
        organisation=commission,
        title="Threats after the land hearing",
        status=Event.Status.SUBMITTED,
        submitted_by=colleague,
        submitted_at=timezone.now(),
    )
    EventFactory(organisation=commission, title="My unfinished draft", created_by=documentalist)
    page = new_page()
    submit_login(page, documentalist, current_code(TOTPDeviceFactory(user=documentalist)))

    panel = page.locator(
        "section.panel", has=page.get_by_role("heading", name="Waiting for your verification")
    )
    expect(panel).to_contain_text("1 event")
    expect(panel).to_contain_text("Threats after the land hearing")
    drafts = page.locator("section.panel", has=page.get_by_role("heading", name="Your drafts"))
    expect(drafts).to_contain_text("My unfinished draft")

    panel.get_by_role("link", name="1 event").click()
    expect(page.locator("table.events")).to_contain_text(waiting.reference_code)
    expect(page.locator("table.events tbody tr")).to_have_count(1)
    page.get_by_role("link", name=waiting.reference_code).click()
    expect(page.get_by_role("button", name="Verify")).to_be_visible()


def test_a_focal_point_finds_the_report_of_someone_in_danger_that_nobody_handles(
    new_page: NewPage, commission: Organisation
) -> None:
    focal = member(Role.FOCAL_POINT, Clearance.CONFIDENTIAL, commission)
    report, _receipt = intake_report(danger="yes")
    intake_report(danger="no")
    page = new_page()
    submit_login(page, focal, current_code(TOTPDeviceFactory(user=focal)))

    panel = page.locator("section.panel.urgent")
    expect(panel.get_by_role("heading")).to_have_text(
        "Someone in immediate danger, and nobody handling it"
    )
    expect(panel).to_contain_text("1 report")
    expect(panel).to_contain_text(report.reference)
    expect(page.get_by_role("heading", name="Waiting for your verification")).to_have_count(0)

    panel.get_by_role("link", name="1 report").click()
    expect(page.locator("main table")).to_contain_text(report.reference)
    expect(page.locator("main table tbody tr")).to_have_count(1)
