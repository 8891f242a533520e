"""The core rules, role by role: which sections each role opens (amparo/core/access.py)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from amparo.core import access
from amparo.core.models import Membership, Organisation, Role
from tests.factories import UserFactory, member

A, D, AN, F, RV, RO, S, M, N = (
    Role.ADMINISTRATOR,
    Role.DOCUMENTALIST,
    Role.ANALYST,
    Role.FOCAL_POINT,
    Role.REVIEWER,
    Role.READ_ONLY,
    Role.STATE_REPRESENTATIVE,
    Role.MECHANISM,
    Role.NETWORK_SECRETARIAT,
)
EVERY_ROLE = {A, D, AN, F, RV, RO, S, M, N}
# rule -> the roles that hold it; every other role must not.
TABLE = {
    "audit.view_organisation_log": {A},
    "organisation.manage_members": {A},
    "vocabulary.view": EVERY_ROLE,
    "cases.view": EVERY_ROLE,
    "cases.record": {A, D},
    "recommendations.view": EVERY_ROLE,
    "intake.handle": {A, D, F, N},
    "network.view": EVERY_ROLE,
    "stats.view": EVERY_ROLE,
    "stats.dedupe": {A, D},
    "warning.view": EVERY_ROLE,
    "response.view": EVERY_ROLE,
    "portal.publish": {A, D, AN, RV},
}


def test_the_table_covers_every_rule_and_role() -> None:
    assert set(TABLE) == set(access.RULES)
    assert set(Role) == EVERY_ROLE


@pytest.mark.django_db
@pytest.mark.parametrize("role", sorted(EVERY_ROLE))
def test_each_role_holds_exactly_its_rules(role: str) -> None:
    user = member(role)
    expected = frozenset(rule for rule, roles in TABLE.items() if role in roles)
    assert access.held_rules(user) == expected
    for rule in TABLE:
        assert access.has_rule(user, rule) == (rule in expected)


@pytest.mark.django_db
def test_no_rule_without_a_live_membership() -> None:
    ended = member(Role.ADMINISTRATOR)
    Membership.objects.filter(user=ended).update(is_active=False)
    closed = member(Role.ADMINISTRATOR)
    Organisation.objects.filter(memberships__user=closed).update(is_active=False)
    inactive = member(Role.ADMINISTRATOR, is_active=False)
    for user in (ended, closed, inactive, UserFactory(), AnonymousUser()):
        assert access.held_rules(user) == frozenset()  # type: ignore[arg-type]
        assert not access.has_rule(user, "cases.view")  # type: ignore[arg-type]


@pytest.mark.django_db
def test_a_deployment_administrator_holds_every_rule() -> None:
    assert access.held_rules(UserFactory(is_superuser=True)) == frozenset(TABLE)


def test_an_unknown_rule_is_an_error_not_a_refusal() -> None:
    with pytest.raises(KeyError):
        access.has_rule(AnonymousUser(), "cases.delete_everything")  # type: ignore[arg-type]
