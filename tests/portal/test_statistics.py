"""A published table: the publishing organisation's own facts, small cells suppressed as for
the public, only the whitelist's dimensions; the preview shows the unsuppressed source beside."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from amparo.cases.models import Event
from amparo.portal import services
from amparo.stats.services import facts
from amparo.stats.services.tables import TableParameters
from tests.factories import ActFactory, EventFactory, hrd_term
from tests.portal.conftest import World, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def counted(world: World) -> World:
    """Seven threats and two killings, verified, of the world's organisation."""
    for code, count in (("threat", 6), ("killing", 2)):
        for _ in range(count):
            event = EventFactory(organisation=world.organisation, status=Event.Status.VERIFIED)
            ActFactory(event=event, type_of_act=hrd_term(code))
    facts.rebuild()
    return world


def table_rows(publication_content: dict[str, object], language: str = "en") -> dict[str, str]:
    table = publication_content["tables"][language]  # type: ignore[index]
    return {row[0]: row[-1] for row in table["rows"]}


def test_small_cells_are_suppressed_as_for_the_public(counted: World, client: Client) -> None:
    publication = services.create_statistics_publication(
        counted.editor,
        counted.organisation,
        title="Acts by type",
        summary="",
        parameters=TableParameters(rows=("type_of_act",), verified_only=True),
    )
    rows = table_rows(publication.content)
    assert rows["Killing"] == "<5"
    # Seven threats would give the two killings away from the total: hidden too.
    assert rows["Threats"] == "<5"
    assert rows["Total"] == "9"
    assert set(publication.content["tables"]) == {"en", "fr", "es", "ar"}
    services.submit(counted.editor, publication)
    services.approve(counted.reviewer, publication)
    page = client.get(f"/portal/p/{publication.slug}/").content.decode()
    assert "&lt;5" in page
    csv = client.get(f"/portal/p/{publication.slug}/table.csv").content.decode()
    assert "Killing,<5" in csv.replace('"', "")
    assert "Menace" in client.get(f"/fr/portal/p/{publication.slug}/").content.decode()


def test_the_preview_shows_the_source_counts_beside(counted: World, client: Client) -> None:
    publication = services.create_statistics_publication(
        counted.editor,
        counted.organisation,
        title="Acts by type",
        summary="",
        parameters=TableParameters(rows=("type_of_act",), verified_only=True),
    )
    sign_in(client, counted.editor)
    source, public = (
        client.get(f"/portal/manage/{publication.pk}/")
        .content.decode()
        .split('id="public-heading"')
    )
    assert "<bdi>2</bdi>" in source
    assert "&lt;5" in public and "<bdi>2</bdi>" not in public


@pytest.mark.parametrize("dimension", ["organisation", "law", "confidentiality", "month"])
def test_a_dimension_outside_the_whitelist_is_refused(world: World, dimension: str) -> None:
    with pytest.raises(ValidationError, match="may not be published"):
        services.create_statistics_publication(
            world.editor,
            world.organisation,
            title="T",
            summary="",
            parameters=TableParameters(rows=(dimension,)),
        )


def test_a_table_comes_with_its_chart_in_each_language(counted: World, client: Client) -> None:
    for _ in range(6):  # a third category, so that the threats can be drawn
        event = EventFactory(organisation=counted.organisation, status=Event.Status.VERIFIED)
        ActFactory(event=event, type_of_act=hrd_term("surveillance"))
    facts.rebuild()
    publication = services.create_statistics_publication(
        counted.editor,
        counted.organisation,
        title="Acts by type",
        summary="",
        parameters=TableParameters(rows=("type_of_act",), verified_only=True),
    )
    services.submit(counted.editor, publication)
    services.approve(counted.reviewer, publication)
    for prefix, language in (("", "en"), ("/ar", "ar")):
        page = client.get(f"{prefix}/portal/p/{publication.slug}/").content.decode()
        assert "<svg" in page and f'lang="{language}"' in page
        assert "<script" not in page
