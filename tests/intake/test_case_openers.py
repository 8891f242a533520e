"""Who may open a case from a report, and what a handler who may not is told: opening a case
records an event, which the cases access table allows to documentalists and administrators
(ROLE_ACTIONS), not to focal points. So the focal point is told why, and whom to ask."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from amparo.cases.models import Event
from amparo.core.models import Clearance, Organisation, Role
from amparo.intake import access
from amparo.intake.services import case_opening
from tests.cases.conftest import sign_in
from tests.factories import intake_report
from tests.intake.conftest import handler

pytestmark = pytest.mark.django_db


def _page(user: object, submission: object) -> str:
    client = sign_in(Client(), user)  # type: ignore[arg-type]
    return client.get(reverse("intake:detail", args=[submission.pk])).content.decode()  # type: ignore[attr-defined]


def test_a_focal_point_is_told_why_they_may_not_open_a_case_and_whom_to_ask(
    receiving: Organisation,
) -> None:
    focal = handler(receiving, Role.FOCAL_POINT, Clearance.CONFIDENTIAL)
    handler(
        receiving,
        Role.DOCUMENTALIST,
        Clearance.CONFIDENTIAL,
        first_name="Wanjiku",
        last_name="Mbugua",
    )
    handler(receiving, Role.DOCUMENTALIST, Clearance.RESTRICTED, first_name="Too", last_name="Low")
    submission, _receipt = intake_report()

    html = _page(focal, submission)

    assert "Open a case" not in html
    told = re.search(r'<div class="case-openers">.*?</div>', html, re.S)
    assert told, "the focal point is told about opening a case"
    assert "whose role may record cases (Administrator, Documentalist)" in told[0]
    assert "with clearance “Confidential” or higher" in told[0]
    assert "Wanjiku Mbugua" in told[0] and "Too Low" not in told[0]


def test_a_documentalist_gets_the_control_and_no_explanation(
    receiving: Organisation, documentalist: object
) -> None:
    submission, _receipt = intake_report()

    html = _page(documentalist, submission)

    assert "Open a case" in html and "Ask one of them" not in html


def test_when_nobody_may_open_a_case_the_handler_is_told_so(receiving: Organisation) -> None:
    focal = handler(receiving, Role.FOCAL_POINT, Clearance.CONFIDENTIAL)
    submission, _receipt = intake_report()

    html = _page(focal, submission)

    assert "Nobody who handles this report may open a case yet" in html


def test_once_a_case_is_open_nobody_is_asked_to_open_one(
    receiving: Organisation, documentalist: object
) -> None:
    focal = handler(receiving, Role.FOCAL_POINT, Clearance.CONFIDENTIAL)
    submission, _receipt = intake_report()
    case_opening.open_case(documentalist, submission, receiving)  # type: ignore[arg-type]
    submission.refresh_from_db()

    html = _page(focal, submission)

    assert access.case_openers(submission) is None
    assert "Ask one of them" not in html and "Opening a case" not in html
    assert Event.objects.count() == 1


def test_the_people_named_are_exactly_those_the_access_rule_lets_open_a_case(
    receiving: Organisation, secretariat: Organisation
) -> None:
    people = [
        handler(organisation, role, clearance)
        for organisation in (receiving, secretariat)
        for role in (
            Role.ADMINISTRATOR,
            Role.DOCUMENTALIST,
            Role.FOCAL_POINT,
            Role.ANALYST,
            Role.NETWORK_SECRETARIAT,
        )
        for clearance in (Clearance.RESTRICTED, Clearance.CONFIDENTIAL)
    ]
    for target in ("me", "nhri"):  # a reprisal against an NHRI also goes to the secretariat
        submission, _receipt = intake_report(target=target)
        named = set(access.case_openers(submission) or [])
        allowed = {p for p in people if access.can(p, access.OPEN_CASE, submission)}
        assert named == allowed and allowed, target
