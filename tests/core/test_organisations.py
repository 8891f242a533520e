"""An organisation's administrators manage its members from the web."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from amparo.core.models import AuditEntry, Clearance, Membership, Role
from tests.factories import OrganisationFactory, UserFactory, member

pytestmark = pytest.mark.django_db


def page(organisation_pk: int) -> str:
    return reverse("core:organisation_detail", args=[organisation_pk])


def test_an_administrator_adds_a_member_with_a_role_and_clearance(client: Client) -> None:
    home = OrganisationFactory()
    administrator = member(Role.ADMINISTRATOR, organisation=home)
    newcomer = UserFactory()
    client.force_login(administrator)
    response = client.post(
        page(home.pk),
        {"action": "add", "username": newcomer.username, "role": Role.ANALYST, "clearance": "0"},
    )
    assert response.status_code == 302
    membership = Membership.objects.get(user=newcomer)
    assert (membership.organisation, membership.role, membership.clearance) == (
        home, Role.ANALYST, Clearance.PUBLIC,
    )  # fmt: skip
    assert AuditEntry.objects.filter(action="membership.add", organisation=home).exists()


def test_an_unknown_username_is_explained_next_to_the_field(client: Client) -> None:
    home = OrganisationFactory()
    client.force_login(member(Role.ADMINISTRATOR, organisation=home))
    response = client.post(
        page(home.pk),
        {"action": "add", "username": "nobody", "role": Role.ANALYST, "clearance": "0"},
    )
    assert "No active account is called nobody" in response.content.decode()
    assert Membership.objects.count() == 1


def test_an_administrator_ends_a_membership_but_not_their_own_role(client: Client) -> None:
    home = OrganisationFactory()
    administrator = member(Role.ADMINISTRATOR, organisation=home)
    colleague = member(Role.DOCUMENTALIST, organisation=home)
    client.force_login(administrator)
    theirs = Membership.objects.get(user=colleague)
    client.post(page(home.pk), {"action": "deactivate", "membership": theirs.pk})
    theirs.refresh_from_db()
    assert not theirs.is_active
    own = Membership.objects.get(user=administrator)
    response = client.post(
        page(home.pk), {"action": "deactivate", "membership": own.pk}, follow=True
    )
    assert "You cannot remove your own administrator role." in response.content.decode()
    own.refresh_from_db()
    assert own.is_active


def test_another_organisations_administrator_cannot_see_the_members(client: Client) -> None:
    home, elsewhere = OrganisationFactory(), OrganisationFactory()
    client.force_login(member(Role.ADMINISTRATOR, organisation=elsewhere))
    assert client.get(page(home.pk)).status_code == 404
    assert home.name not in client.get(reverse("core:organisation_list")).content.decode()
