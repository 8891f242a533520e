"""API tokens: issued once by a page or a command, kept as a digest, revocable."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from amparo.api import tokens
from amparo.api.models import ApiToken
from amparo.core.services import DomainError
from tests.cases.conftest import sign_in
from tests.cases.exchange import documentalist
from tests.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_staff_member_creates_a_token_on_the_page_and_sees_it_once(client: Client) -> None:
    user = documentalist()
    sign_in(client, user)

    page = client.post(reverse("api_tokens"), {"name": "statistics script", "days": 30})

    secret = page.context["secret"]
    assert secret.startswith("amp_") and secret.encode() in page.content
    assert secret.encode() not in client.get(reverse("api_tokens")).content
    assert client.get("/api/v1/events", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200


def test_a_token_is_revoked_from_the_page(client: Client) -> None:
    user = documentalist()
    issued = tokens.issue_token(None, user, name="old")
    sign_in(client, user)

    client.post(reverse("api_token_revoke", args=[issued.token.pk]))

    assert not ApiToken.objects.get().is_live
    header = {"HTTP_AUTHORIZATION": f"Bearer {issued.secret}"}
    assert client.get("/api/v1/events", **header).status_code == 401


def test_nobody_revokes_someone_elses_token(client: Client) -> None:
    issued = tokens.issue_token(None, documentalist(), name="theirs")
    sign_in(client, documentalist(organisation=OrganisationFactory()))
    assert client.post(reverse("api_token_revoke", args=[issued.token.pk])).status_code == 404
    assert ApiToken.objects.get().is_live


def test_only_staff_members_hold_tokens() -> None:
    with pytest.raises(DomainError):
        tokens.issue_token(None, UserFactory(), name="no membership")
    with pytest.raises(DomainError):
        tokens.issue_token(None, documentalist(), name="too long", days=tokens.MAX_DAYS + 1)


def test_the_command_issues_lists_and_revokes_tokens() -> None:
    user = documentalist()
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "api-token", "create", user.username, "--name", "backup job", stdout=out, stderr=err
    )
    secret = out.getvalue().strip()
    assert secret.startswith("amp_") and "shown only now" in err.getvalue()

    listing = io.StringIO()
    call_command("api-token", "list", user.username, stdout=listing)
    assert "live" in listing.getvalue() and secret not in listing.getvalue()

    call_command("api-token", "revoke", secret[:12], stdout=io.StringIO())
    assert tokens.user_for_token(secret) is None
    with pytest.raises(CommandError):
        call_command("api-token", "revoke", secret[:12], stdout=io.StringIO())
