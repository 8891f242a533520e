"""The case documentation flow in a real browser, as its users live it.

A documentalist records an event with two victims and a perpetrator on one page and submits it; a
second documentalist verifies it and shares it with a State protection mechanism, whose
representative sees the victim only under a pseudonym; the victim's consent is recorded and the
name appears; the consent is withdrawn and the name is gone again.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_otp.oath import TOTP
from playwright.sync_api import Page, expect

from amparo.cases.models import Event, Person
from amparo.core import vocabulary
from amparo.core.fields import blind_index
from amparo.core.models import Clearance, Organisation, Role, Thesaurus, User
from tests.factories import PASSWORD, OrganisationFactory, TOTPDeviceFactory, member
from tests.plugins.environment import NewPage

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

VICTIM = "Akinyi Odera"


def log_in(new_page: NewPage, user: User) -> Page:
    """A fresh browser, through the login page with password and authenticator code."""
    device = TOTPDeviceFactory(user=user)
    code = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token()
    page = new_page()
    page.goto(reverse("core:login"))
    page.locator("[name=username]").fill(user.username)
    page.locator("[name=password]").fill(PASSWORD)
    page.locator("[name=otp_token]").fill(f"{code:0{device.digits}d}")
    page.locator("form:has([name=otp_token]) button[type=submit]").click()
    expect(page.locator("[name=password]")).to_have_count(0)
    return page


def act_type(code: str) -> str:
    """The option of a type of act (labels of narrower terms carry a dash for the tree)."""
    return str(vocabulary.term("hrd_violations", code).pk)


def test_an_event_is_recorded_verified_shared_and_disclosed_only_with_consent(
    new_page: NewPage,
) -> None:
    if not Thesaurus.objects.filter(code="hrd_violations").exists():
        vocabulary.load()
    nhri = OrganisationFactory(
        name="National Commission", short_code="NHRC-KE", kind=Organisation.Kind.NHRI
    )
    state = OrganisationFactory(
        name="Protection Mechanism", short_code="SPM-KE", kind=Organisation.Kind.STATE
    )
    documentalist = member(Role.DOCUMENTALIST, Clearance.CONFIDENTIAL, nhri)
    verifier = member(Role.DOCUMENTALIST, Clearance.CONFIDENTIAL, nhri)
    representative = member(Role.STATE_REPRESENTATIVE, Clearance.CONFIDENTIAL, state)

    # 1. One page: the event, two victims, a perpetrator, two acts.
    page = log_in(new_page, documentalist)
    page.goto(reverse("cases:event_create"))
    page.locator("[name=title]").fill("Threats and raid against a community radio")
    page.locator("[name=start_date]").fill("2025-03-02")
    page.locator("[name=country]").select_option("KE")
    page.locator("[name=confidentiality]").select_option(label="Confidential")
    page.locator("[name='victims-0-full_name']").fill(VICTIM)
    page.get_by_role("button", name="Add another victim").click()
    page.locator("[name='victims-1-kind']").select_option("organisation")
    page.locator("[name='victims-1-full_name']").fill("Radio Sauti ya Jamii")
    page.get_by_role("button", name="Add a perpetrator").click()
    page.locator("[name='perpetrators-0-perpetrator_type']").select_option(index=1)
    page.locator("[name='acts-0-victim']").select_option(label="Victim 1")
    page.locator("[name='acts-0-type_of_act']").select_option(act_type("threat_death"))
    page.locator("[name='acts-0-date']").fill("2025-03-02")
    page.locator("[name='acts-0-perpetrators']").first.check()
    page.get_by_role("button", name="Add another act").click()
    page.locator("[name='acts-1-victim']").select_option(label="Victim 2")
    page.locator("[name='acts-1-type_of_act']").select_option(act_type("raid"))
    page.locator("[name='acts-1-date']").fill("2025-03-02")
    page.get_by_role("button", name="Save the event").last.click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("NHRC-KE-")
    event = Event.objects.get()
    assert event.acts.count() == 2 and event.acts.filter(involvements__isnull=False).count() == 1
    detail = reverse("cases:event_detail", args=[event.pk])
    page.get_by_role("button", name="Submit for verification").click()
    expect(
        page.get_by_text(
            "Another person must verify this version: you recorded, changed or submitted it."
        )
    ).to_be_visible()

    # 2. A second person verifies it and shares it with the State mechanism.
    second = log_in(new_page, verifier)
    second.goto(detail)
    second.get_by_role("button", name="Verify").click()
    expect(second.locator("body")).to_contain_text("Verified")
    second.get_by_text("Share this event").click()
    sharing = second.locator(f"form[action='{reverse('cases:sharing_grant', args=[event.pk])}']")
    sharing.locator("[name=organisation]").select_option(label=state.name)
    sharing.locator("[name=purpose]").fill("Protection measures")
    sharing.get_by_role("button", name="Share").click()
    event.refresh_from_db()
    assert event.status == Event.Status.VERIFIED

    # 3. The partner sees the event, the victim only under a pseudonym.
    partner = log_in(new_page, representative)
    partner.goto(detail)
    expect(partner.locator("main")).to_contain_text("Threats and raid against a community radio")
    expect(partner.locator("main")).not_to_contain_text(VICTIM)
    expect(partner.locator("main")).to_contain_text("Person ")

    # 4. The victim consents to the State mechanism: the name appears.
    victim = Person.objects.get(full_name_index=blind_index(VICTIM))
    page.goto(detail)
    consent = page.locator(
        f"form[action='{reverse('cases:consent_give', args=[event.pk, victim.pk])}']"
    )
    page.locator("details", has=consent).locator("summary").click()
    consent.locator("select[name$=recipient_kind]").select_option("state")
    consent.locator("[name$=purpose]").fill("Protection measures by the mechanism")
    consent.get_by_role("button", name="Record consent").click()
    partner.reload()
    expect(partner.locator("main")).to_contain_text(VICTIM)

    # 5. The consent is withdrawn: the name is gone at once.
    page.goto(detail)
    page.get_by_role("button", name="Withdraw").click()
    partner.reload()
    expect(partner.locator("main")).not_to_contain_text(VICTIM)
