"""The portal API: editors and reviewers of the organisation list, read and move their
publications with the same rules as the pages; everyone else sees nothing."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from amparo.core.models import Clearance, Role, User
from amparo.portal import services
from amparo.portal.models import Publication
from tests.cases.conftest import token_with_keys
from tests.factories import member
from tests.portal.conftest import World

pytestmark = pytest.mark.django_db
URL = "/api/v1/portal/publications"


def header(user: User) -> dict[str, str]:
    """A token that carries the keys of `user` (drafts are sealed: issue 16)."""
    return {"HTTP_AUTHORIZATION": f"Bearer {token_with_keys(user)}"}


def draft(world: World) -> Publication:
    return services.create_events_publication(
        world.editor,
        world.organisation,
        title="Via the API",
        summary="",
        reference_codes=[world.event.reference_code],
    )


def test_editors_read_and_reviewers_approve(world: World, client: Client) -> None:
    publication = draft(world)
    listed = client.get(URL, **header(world.editor)).json()
    assert [p["slug"] for p in listed] == [publication.slug]
    assert listed[0]["actions"] == ["submit", "withdraw"]
    detail = client.get(f"{URL}/{publication.pk}", **header(world.editor)).json()
    assert "SECRET-NAME-MARK" not in json.dumps(detail)
    assert detail["content"]["events"][0]["region"] == "FR-ARA"
    submitted = client.post(f"{URL}/{publication.pk}/submit", **header(world.editor))
    assert submitted.json()["state"] == "submitted"
    refused = client.post(f"{URL}/{publication.pk}/approve", **header(world.editor))
    assert refused.status_code == 400 and "role" in refused.json()["detail"]
    approved = client.post(f"{URL}/{publication.pk}/approve", **header(world.reviewer))
    assert approved.json()["state"] == "published"


def test_outsiders_see_nothing(world: World, client: Client) -> None:
    publication = draft(world)
    outsider = member(Role.ADMINISTRATOR, Clearance.STRICTLY_CONFIDENTIAL)
    assert client.get(URL, **header(outsider)).json() == []
    assert client.get(f"{URL}/{publication.pk}", **header(outsider)).status_code == 404
    assert client.post(f"{URL}/{publication.pk}/withdraw", **header(outsider)).status_code == 404
    publication.refresh_from_db()
    assert publication.state == Publication.State.DRAFT


def test_an_administrator_cannot_approve_what_they_made_or_submitted(
    world: World, client: Client
) -> None:
    """An administrator may both make and approve: not the same publication, through the API
    either, whether they made it or only submitted someone else's."""
    admin = member(Role.ADMINISTRATOR, Clearance.STRICTLY_CONFIDENTIAL, world.organisation)
    own = services.create_events_publication(
        admin,
        world.organisation,
        title="Own",
        summary="",
        reference_codes=[world.event.reference_code],
    )
    assert client.post(f"{URL}/{own.pk}/submit", **header(admin)).status_code == 200
    refused = client.post(f"{URL}/{own.pk}/approve", **header(admin))
    assert refused.status_code == 400 and "second person" in refused.json()["detail"]
    other = draft(world)
    assert client.post(f"{URL}/{other.pk}/submit", **header(admin)).status_code == 200
    assert client.post(f"{URL}/{other.pk}/approve", **header(admin)).status_code == 400
    for publication in (own, other):
        publication.refresh_from_db()
        assert publication.state == Publication.State.SUBMITTED
    assert client.post(f"{URL}/{own.pk}/approve", **header(world.reviewer)).status_code == 200
