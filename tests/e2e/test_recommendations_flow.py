"""The recommendations follow-up in a real browser, as its users live it (issue 13's "done when").

An NHRI documentalist imports the sample UHRI file of 1,524 recommendations; theme suggestion
runs (`amparo recommendations classify`) and the documentalist confirms a suggested theme on a
new recommendation; the State's representative attaches an action plan and reports progress; a
civil-society organisation contests the report; the State's dashboard shows the contested report.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import expect

from amparo.core.models import Clearance, Organisation, Role
from amparo.recommendations import services
from amparo.recommendations.models import Recommendation, ThemeLabel
from tests.e2e.test_cases_flow import log_in
from tests.factories import OrganisationFactory, member
from tests.plugins.environment import NewPage
from tests.recommendations.conftest import CLASSIFIER, SAMPLE, SAMPLE_ROWS

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SLOW_MS = 90_000  # importing 1,524 rows on a busy machine


def test_import_classify_plan_report_contest_and_see_it_on_the_dashboard(
    new_page: NewPage, settings: Any, tmp_path: Any
) -> None:
    settings.AMPARO_THEME_CLASSIFIER = CLASSIFIER
    settings.VAR_DIR = tmp_path
    services.load_reference(None)
    nhri = OrganisationFactory(
        name="Kenya Commission", short_code="NHRC-KE", kind="nhri", country="KE"
    )
    state = OrganisationFactory(
        name="Kenya Protection Mechanism",
        short_code="SPM-KE",
        kind=Organisation.Kind.STATE,
        country="KE",
    )
    cso = OrganisationFactory(name="Defenders Network", short_code="HRDN", kind="cso", country="CO")
    documentalist = member(Role.DOCUMENTALIST, Clearance.CONFIDENTIAL, nhri)
    representative = member(Role.STATE_REPRESENTATIVE, Clearance.RESTRICTED, state)
    activist = member(Role.DOCUMENTALIST, Clearance.RESTRICTED, cso)

    # 1. The NHRI imports the UHRI file.
    page = log_in(new_page, documentalist)
    page.goto(reverse("recommendations:import"))
    page.locator("[name=file]").set_input_files(str(SAMPLE))
    page.get_by_role("button", name="Import").click(timeout=SLOW_MS)
    expect(page.get_by_text(f"{SAMPLE_ROWS} rows: {SAMPLE_ROWS} new")).to_be_visible(
        timeout=SLOW_MS
    )
    assert Recommendation.objects.count() == SAMPLE_ROWS

    # 2. Theme suggestion learns from the imported themes; a new recommendation gets suggestions.
    page.goto(reverse("recommendations:create"))
    page.locator("[name=mechanism]").select_option(
        label="Special Rapporteur on the situation of human rights defenders"
    )
    page.locator("[name=state]").select_option("KE")
    page.locator("[name=text]").fill(
        "Ensure that human rights defenders and journalists can work without threats, "
        "attacks, harassment or reprisals, and investigate every attack."
    )
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Recommendation recorded.")).to_be_visible()
    call_command("recommendations", "classify", stdout=io.StringIO(), stderr=io.StringIO())
    page.reload()
    suggested = ThemeLabel.objects.filter(status="suggested").select_related("theme").first()
    assert suggested is not None
    expect(page.get_by_text("Suggested themes")).to_be_visible()
    page.get_by_role("button", name=f"Confirm {suggested.theme.label_en}").click()
    expect(page.get_by_text("Theme confirmed.")).to_be_visible()
    recommendation = Recommendation.objects.get(mechanism__code="sr_defenders")
    assert recommendation.theme_labels.filter(status="confirmed").exists()
    detail = reverse("recommendations:detail", args=[recommendation.pk])

    # 3. The State attaches an action plan and reports progress.
    page = log_in(new_page, representative)
    page.goto(detail)
    page.get_by_text("Add an action to the plan").click()
    page.locator("[name=action-measure]").fill("Adopt the Human Rights Defenders Protection Bill")
    page.locator("[name=action-responsible_agency]").fill("Office of the Attorney General")
    page.get_by_role("button", name="Add the action").click()
    expect(page.get_by_text("Action added to the plan.")).to_be_visible()
    page.get_by_text("Report progress").click()
    page.locator("[name=progress-period_start]").fill("2025-01-01")
    page.locator("[name=progress-period_end]").fill("2025-12-31")
    page.locator("#id_progress-status").select_option("implemented")
    page.locator("[name=progress-evidence]").fill("The bill became law in November.")
    page.get_by_role("button", name="Submit the report").click()
    expect(page.get_by_text("Progress report submitted.")).to_be_visible()

    # 4. Civil society contests the report.
    page = log_in(new_page, activist)
    page.goto(detail)
    page.get_by_text("Review this report for Defenders Network").click()
    page.get_by_label("Contested").check()
    page.get_by_label("Comment").fill("Two defenders were killed after the law passed.")
    page.get_by_role("button", name="Send the review").click()
    expect(page.get_by_text("Disagreement: the State's report is contested.")).to_be_visible()

    # 5. The State's dashboard shows the contested report next to the ratifications.
    page.goto(reverse("recommendations:state", args=["KE"]))
    expect(page.get_by_role("heading", name="Implementation dashboard: Kenya")).to_be_visible()
    expect(page.get_by_text("HRDN: Contested")).to_be_visible()
    expect(page.get_by_role("heading", name="Ratifications")).to_be_visible()
    contested = page.locator("a[href$='contested=on']")
    expect(contested).to_have_text("1")
