"""Back and Save on the event form in a real browser records one event, not two: the form's
token is in the form's address, so it comes back with the form whether the browser shows it
from its page cache or fetches it again, and the second Save finds the event."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Route, expect

from amparo.cases.models import Event
from amparo.core import vocabulary
from amparo.core.models import Clearance, Organisation, Role, Term, Thesaurus
from tests.e2e.test_login import current_code, submit_login
from tests.factories import OrganisationFactory, TOTPDeviceFactory, member
from tests.plugins.environment import NewPage

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _uncached(route: Route) -> None:
    """The form page as a server that forbids caching would send it: Back fetches it again."""
    if route.request.method != "GET":
        route.continue_()
        return
    response = route.fetch()
    route.fulfill(response=response, headers={**response.headers, "cache-control": "no-store"})


@pytest.mark.parametrize("cached", [True, False], ids=["page-cached", "page-not-cached"])
def test_back_and_save_again_records_one_event(new_page: NewPage, cached: bool) -> None:
    if not Thesaurus.objects.filter(code="hrd_violations").exists():
        vocabulary.load()
    nhri = OrganisationFactory(short_code="nhri-ke", kind=Organisation.Kind.NHRI)
    documentalist = member(Role.DOCUMENTALIST, Clearance.CONFIDENTIAL, nhri)
    page = new_page()
    submit_login(page, documentalist, current_code(TOTPDeviceFactory(user=documentalist)))
    if not cached:
        page.route(re.compile(re.escape(reverse("cases:event_create")) + r"\?form="), _uncached)

    page.goto(reverse("cases:event_create"))
    page.locator("#id_title").fill("Threats after a land-rights meeting")
    page.locator("#id_start_date").fill("2026-02-14")
    page.locator("#id_country").select_option("KE")
    page.locator("#id_victims-0-full_name").fill("Grace Akinyi")
    threat = Term.objects.get(thesaurus__code="hrd_violations", code="threat_death")
    page.locator("#id_acts-0-victim").select_option("1")
    page.locator("#id_acts-0-type_of_act").select_option(str(threat.pk))
    page.get_by_role("button", name="Save the event").last.click()
    expect(page.locator("main")).to_contain_text(re.compile(r"Event NHRI-KE-\d{4}-0001 recorded"))

    page.go_back()
    expect(page.locator("#id_title")).to_have_value("Threats after a land-rights meeting")
    page.get_by_role("button", name="Save the event").last.click()

    event = Event.objects.get()
    expect(page).to_have_url(re.compile(reverse("cases:event_detail", args=[event.pk]) + "$"))
    expect(page.locator("main")).to_contain_text(
        f"This form was saved already, as event {event.reference_code}. Edit the event"
    )
    assert Event.objects.count() == 1
