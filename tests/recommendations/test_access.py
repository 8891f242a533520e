"""Who may do what with recommendations: every kind of organisation, role, action, and whether
the organisation is of the State the recommendation is addressed to."""

from __future__ import annotations

import itertools

import pytest
from django.core.exceptions import PermissionDenied

from amparo.core.models import Clearance, Organisation, Role
from amparo.recommendations import access
from amparo.recommendations.models import Recommendation
from tests.factories import OrganisationFactory, UserFactory, member

Kind = Organisation.Kind
READ = {"view", "export"}
CURATE = READ | {"create", "classify"}
MONITOR = CURATE | {"review", "ratifications"}
STATE_LEAD = READ | {"respond", "plan", "report"}

# Written out by hand, so that the test does not merely repeat access.ROLE_ACTIONS:
# (kind, role) → actions on a recommendation addressed to the organisation's own State.
OWN_STATE: dict[tuple[str, str], set[str]] = {
    (Kind.NHRI, Role.ADMINISTRATOR): MONITOR,
    (Kind.NHRI, Role.DOCUMENTALIST): MONITOR,
    (Kind.NHRI, Role.ANALYST): READ | {"review"},
    (Kind.NHRI, Role.FOCAL_POINT): READ | {"review"},
    (Kind.CSO, Role.ADMINISTRATOR): MONITOR,
    (Kind.CSO, Role.DOCUMENTALIST): MONITOR,
    (Kind.CSO, Role.ANALYST): READ | {"review"},
    (Kind.CSO, Role.FOCAL_POINT): READ | {"review"},
    (Kind.SECRETARIAT, Role.ADMINISTRATOR): CURATE | {"ratifications"},
    (Kind.SECRETARIAT, Role.DOCUMENTALIST): CURATE | {"ratifications"},
    (Kind.SECRETARIAT, Role.NETWORK_SECRETARIAT): CURATE | {"ratifications"},
    (Kind.MECHANISM, Role.ADMINISTRATOR): CURATE,
    (Kind.MECHANISM, Role.DOCUMENTALIST): CURATE,
    (Kind.MECHANISM, Role.MECHANISM): CURATE,
    (Kind.STATE, Role.ADMINISTRATOR): STATE_LEAD,
    (Kind.STATE, Role.STATE_REPRESENTATIVE): STATE_LEAD,
    (Kind.STATE, Role.DOCUMENTALIST): READ | {"plan"},
}
# What an organisation of another State loses: a State acts for its own country only, and an
# NHRI reviews its own State's reports; civil society may review any State's.
OTHER_STATE_LOSES = {Kind.STATE: {"respond", "plan", "report"}, Kind.NHRI: {"review"}}

TABLE = [
    (kind, role, own_state)
    for kind, role, own_state in itertools.product(Kind.values, Role.values, [True, False])
]


def expected(kind: str, role: str, own_state: bool) -> set[str]:
    allowed = set(OWN_STATE.get((kind, role), READ))
    if not own_state:
        allowed -= OTHER_STATE_LOSES.get(kind, set())
    return allowed


def test_the_table_covers_every_action() -> None:
    assert set().union(*OWN_STATE.values()) == access.ACTIONS


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "role", "own_state"), TABLE)
def test_who_may_do_what_with_a_recommendation(kind: str, role: str, own_state: bool) -> None:
    organisation = OrganisationFactory(kind=kind, country="KE" if own_state else "UG")
    user = member(role, Clearance.PUBLIC, organisation)
    recommendation = Recommendation(state="KE")

    allowed = expected(kind, role, own_state)
    assert access.actions_on(user, recommendation) == allowed
    for action in access.ACTIONS:
        assert access.can(user, action, recommendation) is (action in allowed)
        if action not in allowed:
            with pytest.raises(PermissionDenied):
                access.require(user, action, recommendation)


@pytest.mark.django_db
def test_a_person_without_a_membership_may_do_nothing_not_even_read() -> None:
    user = UserFactory()
    assert access.actions_on(user, Recommendation(state="KE")) == frozenset()
    assert not access.visible_recommendations(user).exists()


@pytest.mark.django_db
def test_a_deactivated_membership_gives_nothing() -> None:
    organisation = OrganisationFactory(kind=Kind.STATE, country="KE")
    user = member(Role.STATE_REPRESENTATIVE, Clearance.PUBLIC, organisation)
    user.memberships.update(is_active=False)
    assert access.actions_on(user, Recommendation(state="KE")) == frozenset()


@pytest.mark.django_db
def test_a_member_of_two_organisations_acts_for_the_one_that_may() -> None:
    cso = OrganisationFactory(kind=Kind.CSO, country="CO")
    state = OrganisationFactory(kind=Kind.STATE, country="KE")
    user = member(Role.READ_ONLY, Clearance.PUBLIC, cso)
    member_of_state = member(Role.STATE_REPRESENTATIVE, Clearance.PUBLIC, state)
    user.memberships.create(organisation=state, role=Role.STATE_REPRESENTATIVE)

    assert access.require(user, "report", Recommendation(state="KE")) == state
    assert access.require(member_of_state, "report", Recommendation(state="KE")) == state
