"""What a page may offer now: `access.actions_on` joins permission and the workflow state, so
templates only ask whether an action is in the set (and the services check the same)."""

from __future__ import annotations

import pytest

from amparo.cases import access
from amparo.cases.models import Event
from amparo.core.models import Clearance, Role
from tests.factories import EventFactory, OrganisationFactory, member

pytestmark = pytest.mark.django_db

WORKFLOW = {"edit", "submit", "verify", "close", "restore"}

# status -> who submitted ("me", "other", None) -> the workflow actions a documentalist has now.
STATE_TABLE = [
    (Event.Status.DRAFT, None, {"edit", "submit", "restore"}),
    (Event.Status.SUBMITTED, "other", {"edit", "verify", "restore"}),
    (Event.Status.SUBMITTED, "me", {"edit", "restore"}),
    (Event.Status.VERIFIED, "other", {"edit", "close", "restore"}),
    (Event.Status.CLOSED, "other", set()),
]


@pytest.mark.parametrize("status,submitter,expected", STATE_TABLE)
def test_a_documentalist_is_offered_what_the_events_state_allows(
    status: str, submitter: str | None, expected: set[str]
) -> None:
    organisation = OrganisationFactory()
    user = member(Role.DOCUMENTALIST, Clearance.CONFIDENTIAL, organisation)
    other = member(Role.DOCUMENTALIST, Clearance.CONFIDENTIAL, organisation)
    event = EventFactory(
        organisation=organisation,
        confidentiality=Clearance.RESTRICTED,
        status=status,
        submitted_by={"me": user, "other": other, None: None}[submitter],
    )
    assert access.actions_on(user, event) & WORKFLOW == expected
    # The permission itself does not depend on the state.
    assert access.permitted_actions(user, event) >= WORKFLOW


def test_the_submitter_is_told_that_someone_else_must_verify() -> None:
    organisation = OrganisationFactory()
    user = member(Role.DOCUMENTALIST, Clearance.CONFIDENTIAL, organisation)
    event = EventFactory(
        organisation=organisation, status=Event.Status.SUBMITTED, submitted_by=user
    )
    assert access.notices_on(user, event) == [
        "Another person must verify this version: you recorded, changed or submitted it."
    ]
    reader = member(Role.READ_ONLY, Clearance.CONFIDENTIAL, organisation)
    assert access.notices_on(reader, event) == []


def test_a_reader_is_offered_nothing_whatever_the_state() -> None:
    organisation = OrganisationFactory()
    reader = member(Role.READ_ONLY, Clearance.CONFIDENTIAL, organisation)
    for status in Event.Status.values:
        event = EventFactory(organisation=organisation, status=status)
        assert access.actions_on(reader, event) & WORKFLOW == set()
