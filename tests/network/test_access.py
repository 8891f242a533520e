"""Who may do what in the network: every capacity against every action, one table each."""

from __future__ import annotations

import pytest

from amparo.core.models import Clearance, User
from amparo.network import access, rules
from amparo.network.models import Commitment, ContactPerson, Review
from amparo.network.queries import today
from tests.network.conftest import Delegation, make_delegation

pytestmark = pytest.mark.django_db
NEEDS_VOCABULARIES = False

CAPACITIES = (
    "secretariat",
    "co_chair",
    "steering",
    "state",
    "nhri",
    "civil_society",
    "observer",
    "outsider",
)
TRANSITIONS_BY_CHAIRS = {
    "invite",
    "activate",
    "open_review",
    "conclude_review",
    "suspend",
    "reinstate",
    "end",
}
TRANSITIONS_BY_STATE = {"accept", "withdraw"}
READ = {"view", "view_history", "view_scorecard", "view_reviews"}

# What each capacity may do with a member of which it is not itself part (the co-chair, steering
# group, secretariat) or of whose delegation it is part (state, nhri, civil society).
MEMBER_TABLE: dict[str, set[str]] = {
    "secretariat": READ
    | {"edit_delegation", "choose_publication", "add_commitment"}
    | TRANSITIONS_BY_CHAIRS
    | TRANSITIONS_BY_STATE,
    "co_chair": READ | TRANSITIONS_BY_CHAIRS,
    "steering": READ,
    "state": READ
    | {"edit_delegation", "choose_publication", "add_commitment"}
    | TRANSITIONS_BY_STATE,
    "nhri": READ | {"edit_delegation"},
    "civil_society": READ | {"edit_delegation"},
    "observer": {"view"},
    "outsider": set(),
}
COMMITMENT_TABLE: dict[str, set[str]] = {
    "secretariat": {"view_commitment", "publish_commitment", "close_commitment"},
    "co_chair": {"view_commitment"},
    "steering": {"view_commitment"},
    "state": {"view_commitment", "publish_commitment", "report_progress"},
    "nhri": {"view_commitment", "comment_progress"},
    "civil_society": {"view_commitment", "comment_progress"},
    "observer": {"view_commitment"},
    "outsider": set(),
}
REVIEW_TABLE: dict[str, set[str]] = {
    "secretariat": {"view_review", "read_submissions", "summarise"},
    "co_chair": {"view_review"},
    "steering": {"view_review", "read_submissions", "recommend"},
    "state": {"view_review", "submit"},
    "nhri": {"view_review", "submit"},
    "civil_society": {"view_review", "submit"},
    "observer": set(),
    "outsider": set(),
}
NETWORK_TABLE: dict[str, set[str]] = {
    "secretariat": {
        "propose",
        "view_scorecards",
        "view_directory",
        "view_governance",
        "manage_governance",
        "view_meetings",
        "manage_meetings",
        "export",
    },
    "co_chair": {
        "propose",
        "view_scorecards",
        "view_directory",
        "view_governance",
        "view_meetings",
        "export",
    },
    "steering": {"view_scorecards", "view_directory", "view_governance", "view_meetings", "export"},
    "state": {"view_directory", "view_governance", "view_meetings", "export"},
    "nhri": {"view_directory", "view_governance", "view_meetings", "export"},
    "civil_society": {"view_directory", "view_governance", "view_meetings", "export"},
    "observer": {"view_directory", "view_governance", "export"},
    "outsider": set(),
}


@pytest.fixture
def people(
    request: pytest.FixtureRequest,
    kenya: Delegation,
    secretariat: User,
    co_chair: User,
    steering: User,
    observer: User,
    outsider: User,
) -> dict[str, User]:
    return {
        "secretariat": secretariat,
        "co_chair": co_chair,
        "steering": steering,
        "state": kenya.state,
        "nhri": kenya.nhri,
        "civil_society": kenya.civil_society,
        "observer": observer,
        "outsider": outsider,
    }


def test_the_tables_name_every_capacity_and_every_action() -> None:
    assert set(MEMBER_TABLE) == set(CAPACITIES)
    every = set().union(*access.MEMBER_ACTIONS.values()) | set(rules.lifecycle())
    assert set().union(*MEMBER_TABLE.values()) == every
    assert set().union(*COMMITMENT_TABLE.values()) == set().union(
        *access.COMMITMENT_ACTIONS.values()
    )
    assert set().union(*REVIEW_TABLE.values()) == set().union(*access.REVIEW_ACTIONS.values())
    assert set().union(*NETWORK_TABLE.values()) == set().union(*access.NETWORK_ACTIONS.values())


@pytest.mark.parametrize("capacity", CAPACITIES)
def test_what_each_capacity_may_do_with_a_member(
    capacity: str, people: dict[str, User], kenya: Delegation
) -> None:
    assert (
        set(access.permitted_member_actions(people[capacity], kenya.member))
        == MEMBER_TABLE[capacity]
    )


@pytest.mark.parametrize("capacity", CAPACITIES)
def test_what_each_capacity_may_do_with_a_commitment(
    capacity: str, people: dict[str, User], kenya: Delegation, secretariat: User
) -> None:
    commitment = Commitment.objects.create(
        member=kenya.member,
        kind="protection_law",
        title="A law",
        pledged_on=today(),
        due_on=today(),
        published_on=today(),
        created_by=secretariat,
    )
    allowed = access.permitted_commitment_actions(people[capacity], commitment)
    assert set(allowed) == COMMITMENT_TABLE[capacity]


@pytest.mark.parametrize("capacity", CAPACITIES)
def test_what_each_capacity_may_do_with_a_review(
    capacity: str, people: dict[str, User], kenya: Delegation
) -> None:
    review = Review.objects.create(member=kenya.member, number=1, opened_on=today())
    assert set(access.permitted_review_actions(people[capacity], review)) == REVIEW_TABLE[capacity]


@pytest.mark.parametrize("capacity", CAPACITIES)
def test_what_each_capacity_may_do_in_the_network(capacity: str, people: dict[str, User]) -> None:
    assert set(access.network_actions(people[capacity])) == NETWORK_TABLE[capacity]


def test_a_co_chair_acts_as_its_own_state_on_its_own_membership(
    chairs: tuple[Delegation, Delegation],
) -> None:
    own = chairs[0]
    allowed = access.permitted_member_actions(own.state, own.member)
    assert not allowed & {"suspend", "conclude_review", "open_review"}
    assert "withdraw" in allowed


def test_a_co_chair_whose_membership_is_under_review_no_longer_acts_as_co_chair(
    chairs: tuple[Delegation, Delegation], kenya: Delegation
) -> None:
    chairs[0].member.status = "under_review"
    chairs[0].member.save()
    assert "suspend" not in access.permitted_member_actions(chairs[0].state, kenya.member)


def test_delegates_without_restricted_clearance_act_for_no_part() -> None:
    weak = make_delegation("UG", clearance=Clearance.PUBLIC)
    assert access.permitted_member_actions(weak.state, weak.member) == {"view"}


def test_a_read_only_member_of_a_linked_organisation_does_not_act_for_it(kenya: Delegation) -> None:
    from amparo.core.models import Role
    from tests.factories import member

    organisation = kenya.state.memberships.get().organisation
    reader = member(Role.READ_ONLY, Clearance.RESTRICTED, organisation)
    assert access.permitted_member_actions(reader, kenya.member) == {"view"}


def test_an_ended_steering_seat_gives_nothing(steering: User, kenya: Delegation) -> None:
    from amparo.network.models import SteeringMember

    SteeringMember.objects.filter(user=steering).update(
        ends_on=today().replace(year=today().year - 1)
    )
    assert access.permitted_member_actions(steering, kenya.member) == {"view"}


def test_observers_see_published_commitments_only(
    kenya: Delegation, observer: User, secretariat: User
) -> None:
    draft = Commitment.objects.create(
        member=kenya.member,
        kind="other",
        title="Draft",
        pledged_on=today(),
        due_on=today(),
        created_by=secretariat,
    )
    assert "view_commitment" not in access.commitment_actions_on(observer, draft)
    assert not access.visible_commitments(observer).filter(pk=draft.pk).exists()
    assert access.visible_commitments(kenya.nhri).filter(pk=draft.pk).exists()


# --- the directory ---------------------------------------------------------------------------

AUDIENCE_OF = {
    "secretariat": "secretariat",
    "state": "own_delegation",
    "nhri": "own_delegation",
    "civil_society": "own_delegation",
    "co_chair": "leadership",
    "steering": "leadership",
    "observer": "staff",
    "outsider": None,
}


@pytest.mark.parametrize("capacity", CAPACITIES)
def test_each_reader_reads_the_directory_through_its_row_of_the_rules(
    capacity: str, people: dict[str, User], kenya: Delegation
) -> None:
    audience = AUDIENCE_OF[capacity]
    assert access.directory_audience(people[capacity], kenya.member) == audience
    for contact in ContactPerson.objects.filter(member=kenya.member):
        expected = rules.directory()[(audience, contact.part)] if audience else frozenset()
        assert access.contact_fields(people[capacity], contact) == expected


def test_another_delegation_reads_this_one_as_the_network(kenya: Delegation) -> None:
    other = make_delegation("GH")
    assert access.directory_audience(other.civil_society, kenya.member) == "network"


@pytest.mark.parametrize(
    "audience,part,field,visible",
    [
        ("network", "civil_society", "email", False),
        ("network", "civil_society", "name", False),
        ("staff", "civil_society", "name", False),
        # Staff outside the network's work hold no network key: the fields in the clear only.
        ("staff", "state", "email", False),
        ("staff", "state", "name", False),
        ("staff", "nhri", "name", False),
        ("staff", "state", "function", True),
        ("leadership", "civil_society", "phone", False),
        ("own_delegation", "civil_society", "phone", True),
        ("secretariat", "civil_society", "phone", True),
    ],
)
def test_the_shipped_directory_rules_keep_civil_society_delegates_to_those_who_work_with_them(
    audience: str, part: str, field: str, visible: bool
) -> None:
    assert (field in rules.directory()[(audience, part)]) is visible


@pytest.mark.parametrize("status", ["proposed", "invited"])
def test_that_a_state_is_proposed_or_invited_stays_with_the_network(
    status: str, observer: User, secretariat: User, steering: User, kenya: Delegation
) -> None:
    candidate = make_delegation("MN", status)
    assert not access.visible_members(observer).filter(pk=candidate.member.pk).exists()
    assert not access.visible_members(kenya.state).filter(pk=candidate.member.pk).exists()
    for insider in (secretariat, steering, candidate.state):
        assert access.visible_members(insider).filter(pk=candidate.member.pk).exists()
    from amparo.network.directory import listed_contacts

    assert all(c.country != "MN" for c in listed_contacts(observer))
