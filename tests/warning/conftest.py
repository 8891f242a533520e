"""Fixtures for the early-warning tests: the shipped vocabularies (as the cases tests load
them) and a small world: a Kenyan NHRI that documents a defender, a Kenyan defenders' network,
a Kenyan State protection mechanism, and a Ugandan NHRI that has nothing to do with it."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest
from django.utils import timezone

from amparo.cases.models import ConsentRecord, Event, Person, RecipientKind
from amparo.core.models import Clearance, Organisation, Role, User
from tests.cases.conftest import _module_vocabularies, sign_in, term, vocab
from tests.factories import (
    ActFactory,
    EventFactory,
    OrganisationFactory,
    PersonFactory,
    hrd_term,
    member,
)

__all__ = [
    "RecipientKind",
    "World",
    "_module_vocabularies",
    "consent",
    "days_ago",
    "record_act",
    "sign_in",
    "term",
    "vocab",
]


def days_ago(days: int) -> datetime.date:
    """The date `days` before today, read when called: a run that passes midnight must not
    compare a date read at import with one the code reads later."""
    return timezone.localdate() - datetime.timedelta(days=days)


@dataclass
class World:
    nhri: Organisation
    network: Organisation
    state: Organisation
    other: Organisation
    documentalist: User
    focal_point: User
    analyst: User
    network_focal: User
    state_rep: User
    outsider: User
    defender: Person


def record_act(
    person: Person, code: str, when: datetime.date, *, status: str = Event.Status.VERIFIED
) -> None:
    event = EventFactory(
        organisation=person.organisation, country="KE", status=status, start_date=when
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


def consent(person: Person, kind: str, by: User) -> ConsentRecord:
    return ConsentRecord.objects.create(
        person=person,
        recipient_kind=kind,
        purpose="Protection",
        given_on=days_ago(10),
        recorded_by=by,
    )


@pytest.fixture
def world() -> World:
    nhri = OrganisationFactory(short_code="KNCHR", kind=Organisation.Kind.NHRI, country="KE")
    network = OrganisationFactory(short_code="HRDKE", kind=Organisation.Kind.CSO, country="KE")
    state = OrganisationFactory(short_code="KEPM", kind=Organisation.Kind.STATE, country="KE")
    other = OrganisationFactory(short_code="UHRC", kind=Organisation.Kind.NHRI, country="UG")
    top = Clearance.STRICTLY_CONFIDENTIAL
    defender = PersonFactory(
        organisation=nhri, full_name="Wanjiru Kamau", country="KE", region="KE-30"
    )
    defender.defender_types.add(hrd_term("lawyer", "defender_types"))
    return World(
        nhri=nhri,
        network=network,
        state=state,
        other=other,
        documentalist=member(Role.DOCUMENTALIST, top, nhri),
        focal_point=member(Role.FOCAL_POINT, top, nhri),
        analyst=member(Role.ANALYST, top, nhri),
        network_focal=member(Role.FOCAL_POINT, top, network),
        state_rep=member(Role.STATE_REPRESENTATIVE, top, state),
        outsider=member(Role.FOCAL_POINT, top, other),
        defender=defender,
    )


@pytest.fixture
def escalating(world: World) -> World:
    """Two threats and surveillance against the defender in the last weeks."""
    record_act(world.defender, "threat_death", days_ago(40))
    record_act(world.defender, "threat", days_ago(20))
    record_act(world.defender, "surveillance_physical", days_ago(5))
    return world
