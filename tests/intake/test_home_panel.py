"""The intake panel of the home page: reports saying someone is in immediate danger that
nobody handles yet, for the people who handle the inbox; the inbox lists the same reports."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from amparo.core.models import Clearance, Organisation, Role, User
from amparo.intake import home
from amparo.intake.models import Disposition, Status, Submission
from amparo.intake.services import handling
from tests.cases.conftest import sign_in
from tests.factories import intake_report
from tests.intake.conftest import handler

pytestmark = pytest.mark.django_db


def test_reports_in_danger_that_nobody_handles_are_counted_and_listed(
    receiving: Organisation, documentalist: User
) -> None:
    waiting = {intake_report(danger="yes")[0].pk, intake_report(danger="yes")[0].pk}
    intake_report(danger="unsure")
    intake_report(danger="no")
    assigned = intake_report(danger="yes")[0]
    handling.assign(documentalist, assigned, documentalist)
    closed = intake_report(danger="yes")[0]
    handling.set_status(documentalist, closed, Status.CLOSED)
    spam = intake_report(danger="yes")[0]
    handling.mark(documentalist, spam, Disposition.SPAM, None)

    panel = home.unhandled_danger(documentalist)

    assert panel is not None and panel.urgent
    assert panel.count == 2 and panel.summary == "2 reports"
    assert {item.link for item in panel.items} == {
        reverse("intake:detail", args=[pk]) for pk in waiting
    }
    response = sign_in(Client(), documentalist).get(panel.link)
    assert {s.pk for s in response.context["page"].object_list} == waiting
    assert "In danger, nobody handling" in response.content.decode()


@pytest.mark.parametrize(
    ("role", "clearance", "shown"),
    [
        (Role.DOCUMENTALIST, Clearance.CONFIDENTIAL, True),
        (Role.FOCAL_POINT, Clearance.CONFIDENTIAL, True),
        (Role.ADMINISTRATOR, Clearance.STRICTLY_CONFIDENTIAL, True),
        (Role.DOCUMENTALIST, Clearance.PUBLIC, False),
        (Role.ANALYST, Clearance.STRICTLY_CONFIDENTIAL, False),
        (Role.READ_ONLY, Clearance.CONFIDENTIAL, False),
    ],
)
def test_the_panel_is_for_those_who_handle_the_inbox(
    receiving: Organisation, role: str, clearance: int, shown: bool
) -> None:
    assert (home.unhandled_danger(handler(receiving, role, clearance)) is not None) is shown


def test_another_organisations_reports_are_not_counted(receiving: Organisation) -> None:
    intake_report(danger="yes")
    elsewhere = handler(
        Organisation.objects.create(name="Elsewhere", short_code="ELSE", kind="nhri"),
        Role.DOCUMENTALIST,
    )

    panel = home.unhandled_danger(elsewhere)

    assert panel is not None and panel.count == 0 and not panel.items


def test_the_panel_needs_the_same_few_queries_whatever_the_number_of_reports(
    receiving: Organisation, documentalist: User, django_assert_max_num_queries
) -> None:
    for _ in range(8):
        intake_report(danger="yes")
    with django_assert_max_num_queries(3):
        panel = home.unhandled_danger(documentalist)
    assert panel is not None and panel.count == 8 and len(panel.items) == 5
    assert Submission.objects.count() == 8
