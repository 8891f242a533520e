"""Early warning and coordinated response in a real browser (issue 11, "Done when").

Two threats and surveillance are recorded against one defender; the change reaches the warning
app the way every change of the case records does (`cases.hooks.events_changed`, the background
task, the evaluation), which raises an alert routed to the NHRI's focal point. The focal point
finds it on their home page, acknowledges it, opens a response plan from the coordination board
and assigns an urgent appeal to a partner organisation; the partner, signed in, finds the action
on their home page and marks it done; the board shows the plan closed, and the alert too.
"""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from amparo.cases import hooks
from amparo.cases.models import Event, Person
from amparo.core import vocabulary
from amparo.core.models import Clearance, Organisation, Role, Thesaurus
from amparo.response.models import Action, ResponsePlan
from amparo.warning.models import Alert
from tests.e2e.test_cases_flow import log_in
from tests.factories import ActFactory, EventFactory, OrganisationFactory, hrd_term, member
from tests.plugins.environment import NewPage

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def record(person: Person, code: str, days_ago: int) -> int:
    when = timezone.localdate() - datetime.timedelta(days=days_ago)
    event = EventFactory(
        organisation=person.organisation,
        country="KE",
        status=Event.Status.VERIFIED,
        start_date=when,
    )
    ActFactory(
        event=event,
        victim=person,
        type_of_act=hrd_term(code),
        date=when,
        date_precision="day",
        country="KE",
        region="KE-30",
    )
    return event.pk


def test_an_alert_reaches_the_focal_point_and_the_response_closes_it(
    new_page: NewPage,
) -> None:
    if not Thesaurus.objects.filter(code="hrd_violations").exists():
        vocabulary.load()
    nhri: Organisation = OrganisationFactory(
        name="Kenya Commission", short_code="KNCHR", kind=Organisation.Kind.NHRI, country="KE"
    )
    partner: Organisation = OrganisationFactory(
        name="Shelter Partners", short_code="SHLT", kind=Organisation.Kind.CSO, country="BE"
    )
    top = Clearance.STRICTLY_CONFIDENTIAL
    focal = member(Role.FOCAL_POINT, top, nhri)
    partner_focal = member(Role.FOCAL_POINT, top, partner)
    defender = Person.objects.create(
        organisation=nhri, full_name="Wanjiru Kamau", country="KE", region="KE-30"
    )
    defender.defender_types.add(hrd_term("lawyer", "defender_types"))

    # Two threats and surveillance, then the hook every change of the case records calls; the
    # evaluation runs as the queued task (the "immediate" backend in tests).
    events = [
        record(defender, "threat_death", 40),
        record(defender, "threat", 20),
        record(defender, "surveillance_physical", 5),
    ]
    assert not Alert.objects.exists()
    hooks.events_changed(events)
    alert = Alert.objects.filter(person=defender).order_by("-raised_on", "-pk").first()
    assert alert is not None

    # The alert reaches the focal point: their home page, then the alert's page.
    page = log_in(new_page, focal)
    panel = page.locator(
        "section.panel", has=page.get_by_role("heading", name="Alerts to acknowledge")
    )
    expect(panel).to_contain_text(f"Alert {alert.pk}:")
    panel.get_by_role("link", name=f"Alert {alert.pk}:").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Alert {alert.pk}")
    expect(page.locator("main")).to_contain_text("Wanjiru Kamau")
    page.locator("[name=note]").fill("Calling her now.")
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.locator("main")).to_contain_text("Calling her now.")
    expect(page.get_by_role("button", name="Acknowledge")).to_have_count(0)

    # They open a plan from the coordination board and assign an urgent appeal to the partner.
    page.goto("/response/")
    row = page.locator("tr", has=page.get_by_role("link", name=f"#{alert.pk}", exact=True))
    row.get_by_role("button", name="Open a response plan").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Response to alert {alert.pk}")
    form = page.locator("form[action$='/actions/']")
    form.locator("[name=kind]").select_option("urgent_appeal")
    form.locator("[name=responsible_organisation]").select_option(label="Shelter Partners")
    due = timezone.localdate() + datetime.timedelta(days=3)
    form.locator("[name=due_on]").fill(due.isoformat())
    form.get_by_role("button", name="Assign").click()
    expect(page.locator(".messages")).to_contain_text("Action assigned.")
    expect(page.locator("table")).to_contain_text("Urgent appeal")
    plan = ResponsePlan.objects.get(alert=alert)

    # The partner, signed in, finds the action on their home page and marks it done.
    other = log_in(new_page, partner_focal)
    due_panel = other.locator("section.panel", has=other.get_by_role("heading", name="Actions due"))
    expect(due_panel).to_contain_text("Urgent appeal")
    due_panel.locator(f"a[href='/response/plans/{plan.pk}/']").first.click()
    update = other.locator("form[action^='/response/actions/']")
    update.locator("[name=status]").select_option("done")
    update.locator("[name=outcome]").fill("Appeal sent to the Special Rapporteur.")
    update.get_by_role("button", name="Update").click()
    expect(other.locator(".messages")).to_contain_text("Action updated.")
    expect(other.locator("main")).to_contain_text("Appeal sent to the Special Rapporteur.")
    assert Action.objects.get(plan=plan).status == Action.Status.DONE

    # The board shows the plan closed; the alert is closed too.
    page.goto("/response/")
    closed = page.locator("ul", has=page.get_by_role("link", name=plan.title))
    expect(closed).to_contain_text("closed")
    expect(
        page.locator("tr", has=page.get_by_role("link", name=f"#{alert.pk}", exact=True))
    ).to_have_count(0)
    page.goto(f"/warning/alerts/{alert.pk}/")
    expect(page.locator("dl.facts")).to_contain_text("Closed")
