"""Who may see and do what with an event: every role, action and confidentiality level."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from amparo.cases import access, services
from amparo.cases.models import SharingGrant
from amparo.core import access as core_access
from amparo.core.access import RULES
from amparo.core.models import Clearance, Organisation, Role
from tests.factories import EventFactory, MembershipFactory, OrganisationFactory, member

ALL_ACTIONS = [
    "view",
    "create",
    "edit",
    "submit",
    "verify",
    "close",
    "share",
    "record_consent",
    "comment",
    "export",
    "restore",
]

# What each role may do with its own organisation's events, written out by hand so that the
# test does not merely repeat access.ROLE_ACTIONS.
OWN_ORGANISATION = {
    Role.ADMINISTRATOR: set(ALL_ACTIONS),
    Role.DOCUMENTALIST: set(ALL_ACTIONS),
    Role.ANALYST: {"view", "export"},
    Role.FOCAL_POINT: {"view", "comment"},
    Role.REVIEWER: {"view"},
    Role.READ_ONLY: {"view"},
    Role.STATE_REPRESENTATIVE: set(),
    Role.MECHANISM: set(),
    Role.NETWORK_SECRETARIAT: set(),
}
MEMBER_CLEARANCE = Clearance.CONFIDENTIAL

PERMISSION_TABLE = [
    (
        role,
        action,
        level,
        action in OWN_ORGANISATION[role] and level <= MEMBER_CLEARANCE,
    )
    for role, action, level in itertools.product(Role.values, ALL_ACTIONS, Clearance.values)
]


@pytest.mark.django_db
@pytest.mark.parametrize("role,action,level,allowed", PERMISSION_TABLE)
def test_who_may_do_what_with_an_event_of_their_own_organisation(
    role: str, action: str, level: int, allowed: bool
) -> None:
    organisation = OrganisationFactory()
    user = member(role, MEMBER_CLEARANCE, organisation)
    event = EventFactory(organisation=organisation, confidentiality=level)

    assert access.can(user, action, event) is allowed
    if action == "view":
        assert access.visible_events(user).filter(pk=event.pk).exists() is allowed
    if action == "export":
        assert access.exportable_events(user).filter(pk=event.pk).exists() is allowed


@pytest.mark.django_db
@pytest.mark.parametrize("role", Role.values)
def test_members_of_another_organisation_see_nothing_that_was_not_shared(role: str) -> None:
    event = EventFactory(confidentiality=Clearance.PUBLIC)
    outsider = member(role, Clearance.STRICTLY_CONFIDENTIAL)

    assert not access.visible_events(outsider).exists()
    assert access.actions_on(outsider, event) == frozenset()


@pytest.mark.django_db
def test_a_superuser_gets_no_case_access_from_running_the_server() -> None:
    from tests.factories import UserFactory

    event = EventFactory(confidentiality=Clearance.PUBLIC)
    admin = UserFactory(is_superuser=True, is_staff=True)

    assert not access.can(admin, "view", event)
    assert not access.visible_events(admin).exists()


@pytest.mark.django_db
def test_an_inactive_membership_grants_nothing() -> None:
    organisation = OrganisationFactory()
    user = member(Role.DOCUMENTALIST, Clearance.STRICTLY_CONFIDENTIAL, organisation)
    user.memberships.update(is_active=False)
    event = EventFactory(organisation=organisation, confidentiality=Clearance.PUBLIC)

    assert not access.can(user, "view", event)


@pytest.mark.django_db
def test_the_highest_clearance_among_a_users_roles_in_the_organisation_counts() -> None:
    organisation = OrganisationFactory()
    user = member(Role.READ_ONLY, Clearance.PUBLIC, organisation)
    MembershipFactory(
        user=user,
        organisation=organisation,
        role=Role.ANALYST,
        clearance=Clearance.STRICTLY_CONFIDENTIAL,
    )
    event = EventFactory(organisation=organisation, confidentiality=Clearance.CONFIDENTIAL)

    assert access.actions_on(user, event) == {"view", "export"}


def test_the_navigation_rules_agree_with_the_role_table() -> None:
    recorders = {role for role, actions in access.ROLE_ACTIONS.items() if "create" in actions}
    assert RULES["cases.record"] == recorders
    assert RULES["cases.view"] == frozenset(Role.values)


# --- Sharing --------------------------------------------------------------------------------


def share(event, actor, **kwargs):
    return services.grant_sharing(actor, event, **kwargs)


@pytest.fixture
def owned():
    organisation = OrganisationFactory(short_code="NHRI-KE")
    owner = member(Role.DOCUMENTALIST, Clearance.STRICTLY_CONFIDENTIAL, organisation)
    event = EventFactory(organisation=organisation, confidentiality=Clearance.RESTRICTED)
    return owner, event


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role,sees",
    [
        (Role.STATE_REPRESENTATIVE, True),
        (Role.MECHANISM, True),
        (Role.NETWORK_SECRETARIAT, True),
        (Role.DOCUMENTALIST, True),
        (Role.READ_ONLY, True),
        (Role.REVIEWER, False),
    ],
)
def test_a_grant_to_an_organisation_reaches_its_members_through_their_roles(
    owned, role: str, sees: bool
) -> None:
    owner, event = owned
    partner = OrganisationFactory(kind=Organisation.Kind.STATE)
    viewer = member(role, Clearance.RESTRICTED, partner)
    share(event, owner, organisation=partner)

    assert access.visible_events(viewer).filter(pk=event.pk).exists() is sees
    assert access.can(viewer, "view", event) is sees
    assert not access.can(viewer, "edit", event)
    assert not access.can(viewer, "export", event)
    assert not access.exportable_events(viewer).exists()


@pytest.mark.django_db
def test_a_shared_event_still_needs_clearance_in_the_receiving_organisation(owned) -> None:
    owner, event = owned
    partner = OrganisationFactory()
    low = member(Role.MECHANISM, Clearance.PUBLIC, partner)
    share(event, owner, organisation=partner)

    assert not access.can(low, "view", event)
    assert not access.visible_events(low).exists()


@pytest.mark.django_db
def test_read_and_comment_grants_allow_commenting_and_read_grants_do_not(owned) -> None:
    owner, event = owned
    reader = member(Role.MECHANISM, Clearance.RESTRICTED)
    commenter = member(Role.MECHANISM, Clearance.RESTRICTED)
    share(event, owner, user=reader)
    share(event, owner, user=commenter, level=SharingGrant.Level.COMMENT)

    assert access.actions_on(reader, event) == {"view"}
    assert access.actions_on(commenter, event) == {"view", "comment"}
    with pytest.raises(PermissionDenied):
        services.add_comment(reader, event, "Noted.")
    services.add_comment(commenter, event, "We raised it with the Special Rapporteur.")


@pytest.mark.django_db
def test_a_grant_ends_at_its_expiry(owned) -> None:
    owner, event = owned
    viewer = member(Role.MECHANISM, Clearance.RESTRICTED)
    grant = share(event, owner, user=viewer, expires_at=timezone.now() + timedelta(days=1))
    assert access.can(viewer, "view", event)

    SharingGrant.objects.filter(pk=grant.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    assert not access.can(viewer, "view", event)
    assert not access.visible_events(viewer).exists()


@pytest.mark.django_db
def test_revoking_a_grant_takes_effect_at_once_and_both_steps_are_audited(owned) -> None:
    from amparo.core.models import AuditEntry

    owner, event = owned
    partner = OrganisationFactory()
    viewer = member(Role.STATE_REPRESENTATIVE, Clearance.RESTRICTED, partner)
    grant = share(event, owner, organisation=partner, purpose="Protection measures")
    assert access.can(viewer, "view", event)

    services.revoke_sharing(owner, grant)

    assert not access.can(viewer, "view", event)
    actions = list(
        AuditEntry.objects.filter(object_type="cases.event", object_id=str(event.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions[-2:] == ["event.share", "event.unshare"]


@pytest.mark.django_db
def test_only_those_who_may_share_can_grant_and_nobody_shares_with_the_owner(owned) -> None:
    from amparo.core.services import DomainError

    owner, event = owned
    analyst = member(Role.ANALYST, Clearance.STRICTLY_CONFIDENTIAL, event.organisation)
    with pytest.raises(PermissionDenied):
        share(event, analyst, organisation=OrganisationFactory())
    with pytest.raises(DomainError):
        share(event, owner, organisation=event.organisation)
    with pytest.raises(DomainError):
        share(event, owner)


@pytest.mark.django_db
def test_a_revoked_grant_cannot_be_revoked_twice(owned) -> None:
    from amparo.core.services import DomainError

    owner, event = owned
    grant = share(event, owner, user=member(Role.MECHANISM, Clearance.RESTRICTED))
    services.revoke_sharing(owner, grant)
    with pytest.raises(DomainError):
        services.revoke_sharing(owner, grant)


@pytest.mark.django_db
def test_partners_see_the_record_but_not_its_history_or_audit_trail(owned) -> None:

    owner, event = owned
    partner = member(Role.DOCUMENTALIST, Clearance.STRICTLY_CONFIDENTIAL)
    share(event, owner, user=partner, level=SharingGrant.Level.COMMENT)

    assert access.can(partner, "view", event)
    assert not access.can_view_history(partner, event)
    assert not access.internal_text_visible(partner, event)
    assert not core_access.can_view_trail(partner, "cases.event", str(event.pk))
    assert access.can_view_history(owner, event)
    assert core_access.can_view_trail(owner, "cases.event", str(event.pk))
