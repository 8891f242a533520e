"""The guided recording page in a browser with JavaScript switched off: rows are added with
plain submit buttons, mistakes come back next to their fields, and the event is saved.
(tests/e2e/test_cases_flow.py follows the whole workflow with JavaScript.)"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from amparo.cases.models import Event, Involvement, Person
from amparo.core import vocabulary
from amparo.core.models import Clearance, Organisation, Role, Term, Thesaurus
from tests.e2e.test_login import current_code, submit_login
from tests.factories import OrganisationFactory, TOTPDeviceFactory, member
from tests.plugins.environment import NewPage

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def term_id(thesaurus: str, code: str) -> str:
    return str(Term.objects.get(thesaurus__code=thesaurus, code=code).pk)


def test_an_event_with_two_victims_and_a_perpetrator_is_recorded_without_javascript(
    new_page: NewPage,
) -> None:
    if not Thesaurus.objects.filter(code="hrd_violations").exists():
        vocabulary.load()
    nhri = OrganisationFactory(short_code="nhri-ke", kind=Organisation.Kind.NHRI)
    documentalist = member(Role.DOCUMENTALIST, Clearance.CONFIDENTIAL, nhri)
    page = new_page(java_script_enabled=False)
    submit_login(page, documentalist, current_code(TOTPDeviceFactory(user=documentalist)))
    expect(page).to_have_url(re.compile(re.escape(reverse("core:home")) + "$"))

    page.goto(reverse("cases:event_create"))
    form = page.locator("form.guided")
    form.locator("#id_start_date").fill("2026-02-14")
    form.locator("#id_country").select_option("KE")
    form.locator("#id_victims-0-full_name").fill("Grace Akinyi")
    form.get_by_role("button", name="Add another victim").click()
    form.locator("#id_victims-1-full_name").fill("Peter Mwangi")
    form.get_by_role("button", name="Add a perpetrator").click()
    form.locator("#id_perpetrators-0-perpetrator_type").select_option(
        term_id("perpetrator_types", "private_security_company")
    )
    form.locator("#id_acts-0-victim").select_option("1")
    form.locator("#id_acts-0-type_of_act").select_option(term_id("hrd_violations", "threat_death"))
    form.locator("#id_acts-0-date").fill("2026-02-14")
    form.locator("#id_acts-0-perpetrators_0").check()
    form.get_by_role("button", name="Add another act").click()
    form.locator("#id_acts-1-victim").select_option("2")
    form.locator("#id_acts-1-type_of_act").select_option(term_id("hrd_violations", "threat"))
    form.locator("#id_acts-1-date_precision").select_option("unknown")
    form.locator("#id_acts-1-perpetrators_0").check()

    # The title was forgotten: the page comes back with the message at the field.
    form.get_by_role("button", name="Save the event").click()
    title = page.locator(".field", has=page.locator("#id_title"))
    expect(title.locator(".errorlist")).to_contain_text("This field is required.")
    expect(page.locator("#id_victims-1-full_name")).to_have_value("Peter Mwangi")
    assert not Event.objects.exists()

    page.locator("#id_title").fill("Threats after a land-rights meeting")
    page.locator("#id_title").press("Enter")  # Enter saves; it does not add a row

    expect(page.locator("main")).to_contain_text(re.compile(r"Event NHRI-KE-\d{4}-0001 recorded"))
    event = Event.objects.get()
    assert event.acts.count() == 2
    assert Person.objects.filter(organisation=nhri).count() == 2
    assert Involvement.objects.filter(act__event=event).count() == 2
