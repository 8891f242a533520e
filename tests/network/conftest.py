"""The world of the network tests: a secretariat, a steering group seat, delegations whose
three parts are Amparo organisations with acting staff, co-chairs, observers and outsiders.
Records are written directly here; the tests exercise the services."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest
from django.test import Client

from amparo.core.models import Clearance, Organisation, Role, User
from amparo.network import keys
from amparo.network.models import (
    Accreditation,
    CoChairTerm,
    ContactPerson,
    DelegateOrganisation,
    Member,
    Part,
    SteeringMember,
)
from amparo.network.queries import today
from tests.cases.conftest import _module_vocabularies, token_with_keys, vocab
from tests.cases.conftest import sign_in as sign_in_with_keys
from tests.factories import OrganisationFactory, UserFactory, member, network_member

__all__ = ["_module_vocabularies", "sign_in", "vocab"]

KINDS = {
    Part.STATE: Organisation.Kind.STATE,
    Part.NHRI: Organisation.Kind.NHRI,
    Part.CIVIL_SOCIETY: Organisation.Kind.CSO,
}
ROLES = {
    Part.STATE: Role.STATE_REPRESENTATIVE,
    Part.NHRI: Role.FOCAL_POINT,
    Part.CIVIL_SOCIETY: Role.ADMINISTRATOR,
}


@dataclass
class Delegation:
    member: Member
    state: User
    nhri: User
    civil_society: User

    def user(self, part: str) -> User:
        return {
            Part.STATE: self.state,
            Part.NHRI: self.nhri,
            Part.CIVIL_SOCIETY: self.civil_society,
        }[Part(part)]


def make_delegation(
    country: str = "KE",
    status: str = "active",
    *,
    parts: tuple[str, ...] = tuple(Part.values),
    contacts: bool = True,
    clearance: int = Clearance.RESTRICTED,
) -> Delegation:
    """A member with an organisation (linked to an Amparo organisation with one acting
    member of staff) and a focal point in each of `parts`."""
    found = network_member(country, status)
    users: dict[str, User] = {}
    for part in Part.values:
        organisation = OrganisationFactory(kind=KINDS[Part(part)], country=country)
        users[part] = member(ROLES[Part(part)], clearance, organisation)
        if part not in parts:
            continue
        delegate = DelegateOrganisation.objects.create(
            member=found,
            part=part,
            name=f"{part} institution of {country}",
            organisation=organisation,
            accreditation=Accreditation.A if part == Part.NHRI else "",
        )
        if contacts:
            ContactPerson.objects.create(
                member=found,
                part=part,
                delegate_organisation=delegate,
                name=f"Focal {part} {country}",
                function=f"{part} function",
                responsibilities=f"{part} matters",
                email=f"{part}.{country.lower()}@example.org",
                phone=f"+1 555 {country}",
            )
    return Delegation(found, users[Part.STATE], users[Part.NHRI], users[Part.CIVIL_SOCIETY])


@pytest.fixture
def secretariat_org() -> Organisation:
    return OrganisationFactory(kind=Organisation.Kind.SECRETARIAT, country="", name="Secretariat")


@pytest.fixture
def secretariat(secretariat_org: Organisation) -> User:
    return member(Role.NETWORK_SECRETARIAT, Clearance.RESTRICTED, secretariat_org)


@pytest.fixture
def steering() -> User:
    user = member(
        Role.MECHANISM,
        Clearance.RESTRICTED,
        OrganisationFactory(kind=Organisation.Kind.MECHANISM, country=""),
    )
    SteeringMember.objects.create(
        name="Special Rapporteur",
        mandate="UN Special Rapporteur on human rights defenders",
        kind=SteeringMember.Kind.UN_RAPPORTEUR,
        user=user,
        starts_on=today() - datetime.timedelta(days=10),
    )
    return user


@pytest.fixture
def observer() -> User:
    """Staff of an organisation that takes no part in the network."""
    return member(Role.ANALYST, Clearance.RESTRICTED, OrganisationFactory())


@pytest.fixture
def outsider() -> User:
    """An account without any membership: no rule at all."""
    return UserFactory()


@pytest.fixture
def kenya() -> Delegation:
    return make_delegation("KE")


@pytest.fixture
def chairs() -> tuple[Delegation, Delegation]:
    """Two active members co-chairing the current term."""
    first, second = make_delegation("CR"), make_delegation("CA")
    term = CoChairTerm.objects.create(
        starts_on=today() - datetime.timedelta(days=30),
        ends_on=today() + datetime.timedelta(days=300),
        confirmed_by=UserFactory(),
    )
    term.members.set([first.member, second.member])
    return first, second


@pytest.fixture
def co_chair(chairs: tuple[Delegation, Delegation]) -> User:
    """The State representative of a co-chairing member."""
    return chairs[0].state


def sealed_to_readers() -> None:
    """What the first page opened by a holder of every key does (`keys.follow`): the copies of
    the network's data keys follow their readers, so that records written before the world
    was complete (a secretariat made after the focal points) open for whoever may read them.
    Outside requests the test holds every key (tests.keys)."""
    keys.follow(again=True)


def sign_in(client: Client, user: User) -> Client:
    """`tests.cases.conftest.sign_in`, after the copies were sealed to their readers."""
    sealed_to_readers()
    return sign_in_with_keys(client, user)


def signed_in(client: Client, user: User) -> Client:
    return sign_in(client, user)


def api_token(user: User) -> str:
    """The secret of an API token of `user` carrying their keys, after the copies were sealed
    to their readers."""
    sealed_to_readers()
    return token_with_keys(user)
