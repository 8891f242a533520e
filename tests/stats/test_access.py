"""Who may count, export, record laws and de-duplicate; which facts each viewer counts; small
counts hidden outside the owning organisation."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from amparo.analysis.crosstab import Query
from amparo.cases import access as cases_access
from amparo.cases import services
from amparo.core.models import Clearance, Organisation, Role
from amparo.stats import access
from amparo.stats.services import snapshot, tables
from tests.factories import OrganisationFactory, UserFactory, member
from tests.stats.world import record, victim

pytestmark = pytest.mark.django_db

ALL = {"view", "export", "manage_laws", "dedupe"}
PERMISSION_TABLE = [
    (Role.ADMINISTRATOR, ALL),
    (Role.DOCUMENTALIST, ALL),
    (Role.ANALYST, {"view", "export", "manage_laws"}),
    (Role.FOCAL_POINT, {"view", "export"}),
    (Role.REVIEWER, {"view"}),
    (Role.READ_ONLY, {"view"}),
    (Role.STATE_REPRESENTATIVE, {"view", "export"}),
    (Role.MECHANISM, {"view", "export"}),
    (Role.NETWORK_SECRETARIAT, {"view", "export", "manage_laws"}),
]


@pytest.mark.parametrize(("role", "allowed"), PERMISSION_TABLE)
@pytest.mark.parametrize("action", sorted(ALL))
def test_who_may_do_what_with_statistics(role, allowed, action) -> None:
    user = member(role, Clearance.CONFIDENTIAL)
    assert access.can(user, action) is (action in allowed)


@pytest.mark.parametrize("action", sorted(ALL))
def test_a_person_without_a_role_may_do_nothing_and_the_operator_everything(action) -> None:
    assert not access.can(UserFactory(), action)
    assert access.can(None, action)


def test_an_inactive_membership_gives_nothing() -> None:
    user = member(Role.ADMINISTRATOR, Clearance.CONFIDENTIAL)
    user.memberships.update(is_active=False)
    assert access.actions(user) == frozenset()


def test_an_unknown_action_is_a_programming_error() -> None:
    with pytest.raises(KeyError):
        access.can(None, "delete_everything")


def _counted(user) -> set[int]:
    return set(access.visible_facts(user, snapshot.current()).column("event_id").to_pylist())


def _visible(user) -> set[int]:
    return set(cases_access.visible_events(user).values_list("pk", flat=True))


def test_each_viewer_counts_exactly_the_events_the_case_rules_let_them_see(
    documentalist, nhri
) -> None:
    other = OrganisationFactory(kind=Organisation.Kind.CSO)
    state = OrganisationFactory(kind=Organisation.Kind.STATE)
    their_documentalist = member(Role.DOCUMENTALIST, Clearance.STRICTLY_CONFIDENTIAL, other)
    events = {
        level: record(
            documentalist, nhri, acts=[(victim(f"V{level}"), "raid")], confidentiality=level
        )
        for level in Clearance.values
    }
    theirs = record(their_documentalist, other, acts=[(victim("W"), "killing")])
    services.grant_sharing(documentalist, events[Clearance.RESTRICTED], organisation=state)
    services.grant_sharing(
        documentalist, events[Clearance.STRICTLY_CONFIDENTIAL], organisation=state
    )
    revoked = services.grant_sharing(documentalist, events[Clearance.PUBLIC], organisation=other)
    services.revoke_sharing(documentalist, revoked)
    viewers = [
        documentalist,
        member(Role.ANALYST, Clearance.RESTRICTED, nhri),
        member(Role.READ_ONLY, Clearance.PUBLIC, nhri),
        member(Role.STATE_REPRESENTATIVE, Clearance.CONFIDENTIAL, state),
        member(Role.REVIEWER, Clearance.STRICTLY_CONFIDENTIAL, state),
        their_documentalist,
        UserFactory(),
    ]
    personal = member(Role.FOCAL_POINT, Clearance.RESTRICTED, OrganisationFactory())
    services.grant_sharing(documentalist, events[Clearance.CONFIDENTIAL], user=personal)
    services.grant_sharing(documentalist, events[Clearance.RESTRICTED], user=personal)
    viewers.append(personal)
    for viewer in viewers:
        assert _counted(viewer) == _visible(viewer), viewer.username
    assert theirs.pk in _counted(their_documentalist)
    assert _counted(personal) == {events[Clearance.RESTRICTED].pk}
    # Facts written since the facts in memory were sorted (patched in) follow the same rules.
    later = record(documentalist, nhri, acts=[(victim("Later"), "raid")])
    services.grant_sharing(documentalist, later, user=personal)
    record(their_documentalist, other, acts=[(victim("Theirs later"), "raid")])
    for viewer in viewers:
        assert _counted(viewer) == _visible(viewer), viewer.username


def test_the_operator_counts_every_event(documentalist, nhri) -> None:
    event = record(
        documentalist,
        nhri,
        acts=[(victim("V"), "raid")],
        confidentiality=Clearance.STRICTLY_CONFIDENTIAL,
    )
    assert _counted(None) == {event.pk}


def test_a_revoked_grant_takes_the_event_out_of_the_next_count(documentalist, nhri) -> None:
    state = OrganisationFactory(kind=Organisation.Kind.STATE)
    viewer = member(Role.STATE_REPRESENTATIVE, Clearance.CONFIDENTIAL, state)
    event = record(documentalist, nhri, acts=[(victim("V"), "raid")])
    grant = services.grant_sharing(documentalist, event, organisation=state)
    assert _counted(viewer) == {event.pk}
    services.revoke_sharing(documentalist, grant)
    assert _counted(viewer) == set()


def _shown(user, rows=("type_of_act",)) -> dict[str, str]:
    table = tables.cross_tab(user, Query(rows=rows), "en")
    return {
        ("Total" if c["all_rows"] else c["type_of_act"]): c["shown"]
        for c in table.cells.to_pylist()
    }


def test_small_counts_are_hidden_outside_the_owning_organisation_only(documentalist, nhri) -> None:
    for index in range(3):
        record(
            documentalist,
            nhri,
            acts=[(victim(f"V{index}"), "killing")],
            confidentiality=Clearance.RESTRICTED,
        )
    for index in range(7):
        record(
            documentalist,
            nhri,
            acts=[(victim(f"T{index}"), "raid")],
            confidentiality=Clearance.RESTRICTED,
        )
    own = member(Role.ANALYST, Clearance.RESTRICTED, nhri)
    assert _shown(own) == {"killing": "3", "raid": "7", "Total": "10"}
    network = member(Role.NETWORK_SECRETARIAT, Clearance.RESTRICTED, OrganisationFactory())
    for event in cases_access.visible_events(documentalist):
        services.grant_sharing(documentalist, event, user=network)
    outside = _shown(network)
    assert outside["killing"] == "<5"
    assert "3" not in outside.values()
    # The operator's tables are for the public: suppressed too.
    assert _shown(None)["killing"] == "<5"


def test_the_threshold_is_a_setting(documentalist, nhri, settings) -> None:
    settings.AMPARO_STATS_SMALL_CELL_THRESHOLD = 2
    for index in range(3):
        record(documentalist, nhri, acts=[(victim(f"V{index}"), "killing")])
    assert _shown(None)["killing"] == "3"


def test_a_viewer_without_the_right_to_count_is_refused() -> None:
    with pytest.raises(PermissionDenied):
        tables.cross_tab(UserFactory(), Query(rows=("country",)), "en")


def test_a_member_of_two_organisations_sees_the_small_counts_of_both(documentalist, nhri) -> None:
    other = OrganisationFactory()
    theirs = member(Role.DOCUMENTALIST, Clearance.STRICTLY_CONFIDENTIAL, other)
    record(
        documentalist, nhri, acts=[(victim("A"), "killing")], confidentiality=Clearance.RESTRICTED
    )
    record(theirs, other, acts=[(victim("B"), "killing")], confidentiality=Clearance.RESTRICTED)
    both = member(Role.ANALYST, Clearance.RESTRICTED, nhri)
    from tests.factories import MembershipFactory

    MembershipFactory(
        user=both, organisation=other, role=Role.ANALYST, clearance=Clearance.RESTRICTED
    )
    assert _shown(both)["killing"] == "2"
    only_one = member(Role.ANALYST, Clearance.RESTRICTED, nhri)
    services.grant_sharing(theirs, only_event_of(other), user=only_one)
    assert _shown(only_one)["killing"] == "<5"


def only_event_of(organisation):
    from amparo.cases.models import Event

    return Event.objects.get(organisation=organisation)
