"""The editors' pages: prepare, preview beside the source, submit, approve by someone else,
withdraw."""

from __future__ import annotations

import pytest
from django.test import Client

from amparo.core.models import Clearance, Role
from amparo.portal.models import Publication
from tests.factories import member
from tests.portal.conftest import World, sign_in

pytestmark = pytest.mark.django_db


def prepare(client: Client, world: World) -> Publication:
    response = client.post(
        "/portal/manage/new/events/",
        {
            "organisation": world.organisation.pk,
            "title": "Threats in Lyon",
            "summary": "For the public.",
            "reference_codes": world.event.reference_code + "\n",
        },
    )
    assert response.status_code == 302, response.content.decode()
    publication = Publication.objects.get()
    assert response["Location"] == f"/portal/manage/{publication.pk}/"
    return publication


def test_the_preview_shows_the_source_beside_exactly_what_will_be_public(
    client: Client, world: World
) -> None:
    sign_in(client, world.editor)
    publication = prepare(client, world)
    page = client.get(f"/portal/manage/{publication.pk}/").content.decode()
    source, public = page.split('id="public-heading"')
    assert "SECRET-TITLE-MARK" in source and "SECRET-NAME-MARK" in source
    assert "SECRET-TITLE-MARK" not in public and "SECRET-NAME-MARK" not in public
    assert "SECRET-LOCALITY-MARK" not in public
    assert "Defender " in public or "Person " in public
    assert "2024-03" in public and "2024-03-17" not in public
    assert "Submit for approval" in page and "Approve and publish" not in page


def test_submit_then_approve_by_a_second_person(client: Client, world: World) -> None:
    sign_in(client, world.editor)
    publication = prepare(client, world)
    client.post(f"/portal/manage/{publication.pk}/submit/")
    publication.refresh_from_db()
    assert publication.state == Publication.State.SUBMITTED
    client.post(f"/portal/manage/{publication.pk}/approve/")
    publication.refresh_from_db()
    assert publication.state == Publication.State.SUBMITTED  # not by the one who submitted it
    reviewer = Client()
    sign_in(reviewer, world.reviewer)
    page = reviewer.get(f"/portal/manage/{publication.pk}/").content.decode()
    assert "Approve and publish" in page
    reviewer.post(f"/portal/manage/{publication.pk}/approve/")
    publication.refresh_from_db()
    assert publication.state == Publication.State.PUBLISHED
    response = reviewer.post(f"/portal/manage/{publication.pk}/withdraw/", follow=True)
    publication.refresh_from_db()
    assert publication.state == Publication.State.WITHDRAWN
    assert "no longer public" in response.content.decode()


def test_an_illegal_transition_shows_why(client: Client, world: World) -> None:
    sign_in(client, world.editor)
    publication = prepare(client, world)
    response = client.post(f"/portal/manage/{publication.pk}/approve/", follow=True)
    assert "Your role does not allow" in response.content.decode()


def test_a_bad_reference_is_named_and_nothing_is_written(client: Client, world: World) -> None:
    sign_in(client, world.editor)
    response = client.post(
        "/portal/manage/new/events/",
        {
            "organisation": world.organisation.pk,
            "title": "T",
            "reference_codes": "NOPE-42",
        },
    )
    assert response.status_code == 200
    assert "NOPE-42: no such event among those you may publish." in response.content.decode()
    assert not Publication.objects.exists()


@pytest.mark.parametrize(
    ("role", "list_status", "create_status"),
    [
        (Role.ADMINISTRATOR, 200, 200),
        (Role.DOCUMENTALIST, 200, 200),
        (Role.ANALYST, 200, 200),
        (Role.REVIEWER, 200, 403),
        (Role.FOCAL_POINT, 403, 403),
        (Role.READ_ONLY, 403, 403),
        (Role.STATE_REPRESENTATIVE, 403, 403),
        (Role.MECHANISM, 403, 403),
        (Role.NETWORK_SECRETARIAT, 403, 403),
    ],
)
def test_who_reaches_the_editors_pages(
    client: Client, world: World, role: str, list_status: int, create_status: int
) -> None:
    sign_in(client, member(role, Clearance.CONFIDENTIAL, world.organisation))
    assert client.get("/portal/manage/").status_code == list_status
    assert client.get("/portal/manage/new/events/").status_code == create_status


def test_another_organisation_cannot_open_a_publication(client: Client, world: World) -> None:
    editor = Client()
    sign_in(editor, world.editor)
    publication = prepare(editor, world)
    sign_in(client, member(Role.ADMINISTRATOR, Clearance.CONFIDENTIAL))
    assert client.get(f"/portal/manage/{publication.pk}/").status_code == 403
    assert client.post(f"/portal/manage/{publication.pk}/withdraw/").status_code == 403
