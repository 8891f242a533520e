"""The world of the portal tests: one organisation with an editor and a reviewer, verified
events with victims, and what publishing them takes."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest

from amparo.cases.models import DatePrecision, Event, Person
from amparo.core.models import Clearance, Organisation, Role, User
from amparo.portal import services
from amparo.portal.models import Publication
from tests.cases.conftest import _module_vocabularies, sign_in, vocab
from tests.factories import ActFactory, EventFactory, OrganisationFactory, PersonFactory, member

__all__ = ["_module_vocabularies", "sign_in", "vocab"]


@dataclass
class World:
    organisation: Organisation
    editor: User
    reviewer: User
    event: Event
    victim: Person


@pytest.fixture
def world(db: None) -> World:
    organisation = OrganisationFactory(short_code="NHRI-T", name="Test NHRI")
    editor = member(Role.DOCUMENTALIST, Clearance.STRICTLY_CONFIDENTIAL, organisation)
    reviewer = member(Role.REVIEWER, Clearance.RESTRICTED, organisation)
    event = EventFactory(
        organisation=organisation,
        status=Event.Status.VERIFIED,
        title="SECRET-TITLE-MARK",
        description="SECRET-DESCRIPTION-MARK",
        country="FR",
        region="FR-69",
        locality="SECRET-LOCALITY-MARK",
        start_date=datetime.date(2024, 3, 17),
        start_precision=DatePrecision.DAY,
        notes="SECRET-NOTES-MARK",
    )
    victim = PersonFactory(
        organisation=organisation,
        full_name="SECRET-NAME-MARK",
        contact="SECRET-CONTACT-MARK",
        address="SECRET-ADDRESS-MARK",
    )
    ActFactory(
        event=event,
        victim=victim,
        date=datetime.date(2024, 3, 17),
        date_precision=DatePrecision.DAY,
        remarks="SECRET-REMARKS-MARK",
        locality="SECRET-ACT-LOCALITY",
    )
    return World(organisation, editor, reviewer, event, victim)


def publish(world: World, *events: Event, title: str = "Reprisals in France") -> Publication:
    """Made by the editor, submitted, approved by the reviewer."""
    publication = services.create_events_publication(
        world.editor,
        world.organisation,
        title=title,
        summary="A summary for the public.",
        reference_codes=[e.reference_code for e in events or (world.event,)],
    )
    services.submit(world.editor, publication)
    return services.approve(world.reviewer, publication)
