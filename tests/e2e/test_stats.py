"""Statistics in a real browser: the dashboard, a cross-tab, its CSV and PDF downloads."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from amparo.core import vocabulary
from amparo.core.models import Clearance, Role, Thesaurus
from tests.e2e.test_cases_flow import log_in
from tests.factories import OrganisationFactory, member
from tests.plugins.environment import NewPage
from tests.stats.test_reports import pages
from tests.stats.world import institution, record, victim

pytestmark = [pytest.mark.e2e, pytest.mark.pdf, pytest.mark.django_db(transaction=True)]


def test_an_analyst_reads_the_dashboard_builds_a_table_and_downloads_it(
    new_page: NewPage, tmp_path: Path
) -> None:
    if not Thesaurus.objects.filter(code="hrd_violations").exists():
        vocabulary.load()
    nhri = OrganisationFactory(name="National Commission", short_code="NHRC-KE")
    documentalist = member(Role.DOCUMENTALIST, Clearance.STRICTLY_CONFIDENTIAL, nhri)
    radio = institution("Radio")
    for index in range(6):
        record(
            documentalist,
            nhri,
            acts=[(victim(f"Defender {index}"), "killing" if index % 2 else "raid")],
            sources=[radio],
        )
    analyst = member(Role.ANALYST, Clearance.CONFIDENTIAL, nhri)

    page = log_in(new_page, analyst)
    page.get_by_role("link", name="Statistics").first.click()
    expect(page.get_by_role("heading", name="Attacks on human rights defenders")).to_be_visible()
    expect(page.locator("figure.chart svg").first).to_be_visible()
    expect(page.get_by_text("Killings: documented and estimated")).to_be_visible()

    page.get_by_role("link", name="Tables").click()
    page.locator("[name=rows]").select_option("type_of_act")
    page.locator("[name=measure]").select_option("victims")
    page.get_by_role("button", name="Count").click()
    table = page.locator("table.counts-table")
    expect(table).to_contain_text("Killing")
    expect(page.locator("figure.chart svg")).to_be_visible()

    with page.expect_download() as download:
        page.get_by_role("link", name="CSV", exact=True).click()
    saved = tmp_path / "table.csv"
    download.value.save_as(saved)
    rows = list(csv.reader(saved.open(encoding="utf-8-sig")))
    assert ["Killing", "3"] in rows and ["Total", "6"] in rows

    with page.expect_download() as download:
        page.get_by_role("link", name="PDF", exact=True).click()
    pdf = tmp_path / "table.pdf"
    download.value.save_as(pdf)
    text = "\n".join(pages(pdf.read_bytes()))
    assert "Killing" in text and "Defender" not in text
    assert page.url.startswith(page.url.split(reverse("stats:crosstab"))[0])
