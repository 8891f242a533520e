"""A State's membership of the Global Network in a real browser, as the network lives it.

The secretariat proposes and invites Kenya with a drafted letter and names the three parts of its
delegation; the State accepts; the State, the NHRI and civil society each add their focal point;
the State pledges and publishes a commitment and chooses what its public page shows; the
secretariat activates the membership. Killings of defenders rise in the case records: a review
opens, each part submits, the secretariat's summary keeps a scorecard that flags backsliding, the
steering group recommends suspension and the secretariat suspends. The public page, read by an
anonymous visitor, reflects each step.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from amparo.core import vocabulary
from amparo.core.models import Clearance, Organisation, Role, Thesaurus
from amparo.network.models import Member, SteeringMember
from amparo.network.queries import today
from tests.e2e.test_cases_flow import log_in
from tests.factories import ActFactory, EventFactory, OrganisationFactory, hrd_term, member
from tests.plugins.environment import NewPage

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

MEMBER = reverse("network:member_detail", args=["KE"])
PUBLIC = reverse("network:public_member", args=["KE"])


def public_page(visitor: Page) -> str:
    visitor.goto(PUBLIC)
    return visitor.locator("main").inner_text()


def step(page: Page, label: str, reason: str) -> None:
    """Take a step of the membership from the member page, with its reason."""
    page.goto(MEMBER)
    page.get_by_role("link", name=label).click()
    page.locator("[name=reason]").fill(reason)
    page.get_by_role("button", name=label).click()
    expect(page.locator(".messages")).to_contain_text("Done:")


def add_organisation(page: Page, part: str, name: str, linked: str) -> None:
    page.goto(MEMBER)
    form = page.locator(f"form[action='{reverse('network:organisation_add', args=['KE'])}']")
    page.locator("details", has=form).locator("summary").click()
    form.locator("[name=part]").select_option(part)
    form.locator("[name=name]").fill(name)
    form.locator("[name=organisation]").select_option(label=linked)
    if part == "nhri":
        form.locator("[name=accreditation]").select_option("A")
    form.get_by_role("button", name="Add").click()
    expect(page.locator(".messages")).to_contain_text("The organisation is in the delegation.")


def add_focal_point(page: Page, part: str, name: str, function: str) -> None:
    page.goto(MEMBER)
    form = page.locator(f"form[action='{reverse('network:contact_add', args=['KE'])}']")
    page.locator("details", has=form).locator("summary").click()
    form.locator("[name=part]").select_option(part)
    form.locator("[name=name]").fill(name)
    form.locator("[name=function]").fill(function)
    form.locator("[name=email]").fill(f"{part}@example.org")
    form.locator("[name=listed_publicly]").check()
    form.get_by_role("button", name="Add").click()
    expect(page.locator(".messages")).to_contain_text("The focal point is in the delegation.")


def test_a_state_is_invited_activated_reviewed_for_backsliding_and_suspended(
    new_page: NewPage,
) -> None:
    if not Thesaurus.objects.filter(code="hrd_violations").exists():
        vocabulary.load()
    secretariat_org = OrganisationFactory(
        name="Network Secretariat",
        short_code="GNFP",
        kind=Organisation.Kind.SECRETARIAT,
        country="",
    )
    state_org = OrganisationFactory(name="Kenya Protection Mechanism", kind=Organisation.Kind.STATE)
    nhri_org = OrganisationFactory(name="Kenya Commission", kind=Organisation.Kind.NHRI)
    cso_org = OrganisationFactory(name="Kenya Defenders Coalition", kind=Organisation.Kind.CSO)
    secretariat = member(Role.NETWORK_SECRETARIAT, Clearance.RESTRICTED, secretariat_org)
    state = member(Role.STATE_REPRESENTATIVE, Clearance.RESTRICTED, state_org)
    nhri = member(Role.FOCAL_POINT, Clearance.CONFIDENTIAL, nhri_org)
    cso = member(Role.ADMINISTRATOR, Clearance.CONFIDENTIAL, cso_org)
    rapporteur = member(
        Role.MECHANISM,
        Clearance.RESTRICTED,
        OrganisationFactory(name="OHCHR", kind=Organisation.Kind.MECHANISM, country=""),
    )
    SteeringMember.objects.create(
        name="Special Rapporteur",
        mandate="UN Special Rapporteur on human rights defenders",
        kind=SteeringMember.Kind.UN_RAPPORTEUR,
        user=rapporteur,
        starts_on=today() - datetime.timedelta(days=30),
    )
    visitor = new_page()

    # 1. The secretariat proposes and invites Kenya, with the drafted letter.
    office = log_in(new_page, secretariat)
    office.goto(reverse("network:member_propose"))
    office.locator("[name=country]").select_option("KE")
    office.locator("[name=reason]").fill("A protection mechanism and a standing invitation.")
    office.get_by_role("button", name="Propose").click()
    expect(office.get_by_role("heading", level=1)).to_contain_text("Kenya")
    office.get_by_role("link", name="Invite the State").click()
    expect(office.locator("[name=letter_text]")).to_have_value(
        re.compile("we invite Kenya to join the network")
    )
    office.locator("[name=reason]").fill("Committed State.")
    office.get_by_role("button", name="Invite the State").click()
    expect(office.locator(".messages")).to_contain_text("Invited")
    response = visitor.goto(PUBLIC)
    assert response is not None and response.status == 404  # not public before acceptance

    # 2. The secretariat names the three parts of the delegation.
    add_organisation(office, "state", "Ministry of Justice", state_org.name)
    add_organisation(office, "nhri", "Kenya National Commission on Human Rights", nhri_org.name)
    add_organisation(office, "civil_society", "Kenya Defenders Coalition", cso_org.name)

    # 3. The State accepts; each part adds its focal point.
    government = log_in(new_page, state)
    step(government, "Record the State's acceptance", "Letter of the Minister, 3 March.")
    assert "Accepted, joining" in public_page(visitor)
    add_focal_point(government, "state", "Grace Wambui", "Director of human rights")
    commission = log_in(new_page, nhri)
    add_focal_point(commission, "nhri", "Joseph Otieno", "Commissioner for defenders")
    coalition = log_in(new_page, cso)
    add_focal_point(coalition, "civil_society", "Amina Hassan", "Coordinator")
    government.goto(MEMBER)
    expect(government.locator("#delegation")).to_contain_text("The delegation is complete")

    # 4. The State pledges and publishes a commitment, and chooses what its page shows.
    government.get_by_role("link", name="Record a commitment").click()
    government.locator("[name=kind]").select_option("protection_mechanism")
    government.locator("[name=title]").fill("Fund the protection mechanism for three years")
    government.locator("[name=due_on]").fill((today() + datetime.timedelta(days=365)).isoformat())
    government.locator("[name=indicator_0]").fill("Budget line voted")
    government.locator("[name=target_0]").fill("USD 2 million a year")
    government.locator("[name=publish]").check()
    government.get_by_role("button", name="Record the commitment").click()
    expect(government.locator(".messages")).to_contain_text("The commitment is recorded.")
    government.goto(MEMBER)
    publication = government.locator(
        f"form[action='{reverse('network:publication', args=['KE'])}']"
    )
    for field in ("delegation_organisations", "focal_points", "commitments", "review_outcomes"):
        publication.locator(f"[name=published][value={field}]").check()
    publication.get_by_role("button", name="Save what is published").click()
    shown = public_page(visitor)
    assert "Fund the protection mechanism" in shown and "Kenya Defenders Coalition" in shown
    assert "Grace Wambui" in shown and "state@example.org" not in shown

    # 5. The secretariat activates the membership.
    step(office, "Activate the membership", "Complete delegation, published commitment.")
    assert "Active member" in public_page(visitor)

    # 6. Killings of defenders rise in the verified records; a review opens and flags it.
    for days in (10, 40, 90):
        event = EventFactory(
            country="KE", status="verified", start_date=today() - datetime.timedelta(days=days)
        )
        ActFactory(
            event=event,
            type_of_act=hrd_term("killing"),
            date=event.start_date,
            date_precision="day",
        )
    step(office, "Open a review", "The scorecard flags a rise in killings.")
    assert "Under review" in public_page(visitor)
    office.goto(MEMBER)
    office.locator("#reviews a").first.click()
    review_url = office.url
    for person, text in (
        (government, "Self-assessment: the mechanism is funded."),
        (commission, "Two of our staff were threatened after the report."),
        (coalition, "Three defenders were killed this year."),
    ):
        person.goto(review_url)
        person.locator("#id_submit_text").fill(text)
        person.get_by_role("button", name="Submit").click()
        expect(person.locator(".messages")).to_contain_text("The submission is recorded.")
    office.goto(review_url)
    office.locator("#id_summary_text").fill("Killings rose; reprisals against the NHRI.")
    office.get_by_role("button", name="Save the summary").click()
    expect(office.locator(".flag-summary")).to_contain_text("Backsliding flagged")
    expect(office.locator("#signal-killings")).to_contain_text("Flagged")
    expect(office.locator("main")).to_contain_text("Three defenders were killed this year.")

    # 7. The steering group recommends suspension; the secretariat suspends.
    steering = log_in(new_page, rapporteur)
    steering.goto(review_url)
    steering.locator("[name=outcome]").select_option("suspension_recommended")
    steering.locator("[name=text]").fill("Repeated killings and reprisals: suspend.")
    steering.get_by_role("button", name="Conclude the review").click()
    expect(steering.locator("main")).to_contain_text("Suspension recommended")
    step(office, "Suspend the membership", "As the steering group recommended.")
    shown = public_page(visitor)
    assert "Suspended" in shown and "Suspension recommended" in shown
    assert "Three defenders were killed this year." not in shown
    assert Member.objects.get(country="KE").status == "suspended"
