"""The event page shows the reports a case was opened from (a section intake adds to it through
cases.event_page), to those who handle the reports only."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from amparo.cases import event_page
from amparo.core.models import Clearance, Organisation, Role, User
from amparo.intake.services import case_opening as services
from tests.cases.conftest import sign_in
from tests.factories import intake_report, member

pytestmark = pytest.mark.django_db


def test_the_event_shows_the_report_it_was_opened_from_to_its_handlers_only(
    staff_client: Client, documentalist: User, receiving: Organisation
) -> None:
    submission, _receipt = intake_report(acts=["threat_death"])
    event = services.open_case(documentalist, submission, receiving)
    page = staff_client.get(reverse("cases:event_detail", args=[event.pk])).content.decode()
    assert "Opened from intake reports" in page
    assert reverse("intake:detail", args=[submission.pk]) in page
    # An analyst of the same organisation reads the event but handles no report.
    analyst = member(Role.ANALYST, Clearance.STRICTLY_CONFIDENTIAL, receiving)
    page = sign_in(Client(), analyst).get(reverse("cases:event_detail", args=[event.pk]))
    assert page.status_code == 200
    assert "Opened from intake reports" not in page.content.decode()


def test_intake_registers_its_section_once() -> None:
    names = [section.name for section in event_page._sections.values()]
    assert names.count("intake_reports") == 1
