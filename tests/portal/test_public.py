"""The public portal: no login, no script, nothing from elsewhere, in four languages, and only
what is live. An unapproved, withdrawn or consent-withdrawn publication answers 404 and appears
nowhere: not in the list, the search, the feed or the downloads."""

from __future__ import annotations

import importlib
import re
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.utils import timezone

from amparo.cases import services as cases_services
from amparo.cases.models import Event, RecipientKind
from amparo.core import crypto
from amparo.portal import services
from amparo.portal.models import Publication
from tests.factories import ActFactory, EventFactory
from tests.portal.conftest import World, publish

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    cache.clear()


def pages(publication: Publication, code: str) -> list[str]:
    """Every public address that could show `publication`."""
    listing = [
        "/portal/",
        "/portal/reprisals/",
        "/portal/reprisals/?q=threat",
        "/portal/reprisals/?country=FR",
        "/portal/statistics/",
        "/portal/feed.atom",
        "/portal/data/",
        "/portal/data/reprisals.csv",
        "/portal/data/reprisals.json",
        "/portal/methodology/",
    ]
    return listing + [f"/{lang}{page}" for lang in ("fr", "es", "ar") for page in listing]


def item_pages(publication: Publication, code: str) -> list[str]:
    return [
        f"{prefix}/portal/p/{publication.slug}/{suffix}"
        for prefix in ("", "/fr", "/ar")
        for suffix in ("", f"{code}/")
    ]


def code_of(publication: Publication) -> str:
    return str(publication.content["events"][0]["code"])


def test_a_published_event_is_on_every_page_without_login(world: World, client: Client) -> None:
    publication = publish(world, title="Reprisals in Lyon")
    code = code_of(publication)
    for address in ("/portal/", "/portal/reprisals/", "/portal/feed.atom"):
        assert "Reprisals in Lyon" in client.get(address).content.decode(), address
    for address in item_pages(publication, code):
        response = client.get(address)
        assert response.status_code == 200, address
    for address in ("/portal/data/reprisals.csv", "/portal/data/reprisals.json"):
        assert code in client.get(address).content.decode(), address
    assert client.get("/portal/reprisals/?country=FR").content.decode().count(code) >= 1
    assert code not in client.get("/portal/reprisals/?country=KE").content.decode()
    assert code in client.get("/portal/reprisals/?year=2024&type=threat").content.decode()
    assert code not in client.get("/portal/reprisals/?year=2023").content.decode()
    assert code in client.get("/portal/reprisals/?q=lyon").content.decode()
    assert code in client.get("/portal/reprisals/?q=auvergne").content.decode()  # the region
    assert code not in client.get("/portal/reprisals/?q=nairobi").content.decode()
    assert code in client.get("/portal/reprisals/?target=individual").content.decode()
    assert code not in client.get("/portal/reprisals/?target=organisation").content.decode()


def test_the_language_comes_from_the_address_and_arabic_reads_right_to_left(
    world: World, client: Client
) -> None:
    publish(world)
    english = client.get("/portal/").content.decode()
    assert '<html lang="en" dir="ltr">' in english
    french = client.get("/fr/portal/reprisals/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="fr" dir="ltr">' in french
    assert 'href="/fr/portal/p/' in french  # links stay in French
    arabic = client.get("/ar/portal/reprisals/").content.decode()
    assert '<html lang="ar" dir="rtl">' in arabic
    assert 'href="/ar/portal/"' in english  # the switcher
    assert 'href="/portal/reprisals/"' in arabic
    assert client.get("/es/portal/").headers["Content-Language"] == "es"


def test_no_script_and_nothing_from_another_site(world: World, client: Client) -> None:
    publication = publish(world)
    for address in [*pages(publication, ""), *item_pages(publication, code_of(publication))]:
        response = client.get(address)
        if not response["Content-Type"].startswith("text/html"):
            continue
        text = response.content.decode()
        assert "<script" not in text, address
        assert " style=" not in text, address
        loaded = re.findall(r'<(?:link|img|iframe|source)[^>]+(?:src|href)="([^"]+)"', text)
        assert [url for url in loaded if not url.startswith("/")] == [], address


def test_pages_are_cached_and_revalidated_yet_a_withdrawal_shows_at_once(
    world: World, client: Client
) -> None:
    publication = publish(world)
    address = f"/portal/p/{publication.slug}/"
    first = client.get(address)
    assert "no-cache" in first["Cache-Control"] and "public" in first["Cache-Control"]
    assert client.get(address, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    services.withdraw(world.reviewer, publication)
    assert client.get(address, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 404


def _assert_nowhere(client: Client, publication: Publication, code: str) -> None:
    for address in item_pages(publication, code):
        assert client.get(address).status_code == 404, address
    for address in pages(publication, code):
        text = client.get(address).content.decode()
        assert publication.slug not in text, address
        assert code not in text, address
        assert publication.title not in text, address


def draft_of(world: World, title: str) -> Publication:
    return services.create_events_publication(
        world.editor,
        world.organisation,
        title=title,
        summary="",
        reference_codes=[world.event.reference_code],
    )


def test_a_draft_or_submitted_publication_is_nowhere(world: World, client: Client) -> None:
    publication = draft_of(world, "UNAPPROVED-TITLE")
    _assert_nowhere(client, publication, code_of(publication))
    services.submit(world.editor, publication)
    _assert_nowhere(client, publication, code_of(publication))


def test_a_withdrawn_publication_is_nowhere(world: World, client: Client) -> None:
    publication = publish(world, title="WITHDRAWN-TITLE")
    code = code_of(publication)
    assert client.get(f"/portal/p/{publication.slug}/").status_code == 200  # cached now
    services.withdraw(world.editor, publication)
    _assert_nowhere(client, publication, code)


def test_a_consent_withdrawn_publication_is_nowhere(world: World, client: Client) -> None:
    consent = cases_services.give_consent(
        world.editor, world.victim, recipient_kind=RecipientKind.PUBLICATION, purpose="portal"
    )
    publication = publish(world, title="CONSENTED-TITLE")
    code = code_of(publication)
    page = client.get(f"/portal/p/{publication.slug}/{code}/").content.decode()
    assert "SECRET-NAME-MARK" in page  # named, as consented
    cases_services.withdraw_consent(world.editor, consent)
    _assert_nowhere(client, publication, code)
    for address in pages(publication, code):
        assert "SECRET-NAME-MARK" not in client.get(address).content.decode(), address


def test_public_pages_refuse_other_methods(world: World, client: Client) -> None:
    assert client.post("/portal/").status_code == 405


def test_the_list_reads_each_snapshot_once_whatever_the_number_of_events(
    world: World, client: Client, django_assert_max_num_queries: Any
) -> None:
    events = [
        EventFactory(organisation=world.organisation, status=Event.Status.VERIFIED, country="KE")
        for _ in range(30)
    ]
    for event in events:
        ActFactory(event=event)
    publish(world, *events)
    with django_assert_max_num_queries(12):
        response = client.get("/portal/reprisals/")
    assert response.content.decode().count('class="portal-event"') == 25


def test_a_publication_reads_in_its_translation_or_marked_as_the_original(
    world: World, client: Client
) -> None:
    publication = services.create_events_publication(
        world.editor,
        world.organisation,
        title="Threats in Lyon",
        summary="In English.",
        reference_codes=[world.event.reference_code],
        translations={"fr": {"title": "Menaces à Lyon", "summary": "En français."}},
    )
    services.submit(world.editor, publication)
    services.approve(world.reviewer, publication)
    french = client.get(f"/fr/portal/p/{publication.slug}/").content.decode()
    assert '<span lang="fr">Menaces à Lyon</span>' in french and "En français." in french
    assert 'class="fallback"' not in french
    spanish = client.get(f"/es/portal/p/{publication.slug}/").content.decode()
    assert '<span lang="en">Threats in Lyon</span>' in spanish
    assert '<small class="fallback">(sin traducir)</small>' in spanish
    assert "Menaces à Lyon" in client.get("/fr/portal/feed.atom").content.decode()
    assert publication.slug in client.get("/es/portal/reprisals/?q=menaces").content.decode()


def test_a_translated_summary_without_its_title_is_refused(world: World) -> None:
    with pytest.raises(ValidationError, match="needs its title"):
        services.create_events_publication(
            world.editor,
            world.organisation,
            title="T",
            summary="",
            reference_codes=[world.event.reference_code],
            translations={"ar": {"title": "", "summary": "ملخص"}},
        )


def test_a_consent_withdrawn_behind_the_application_s_back_names_no_one(
    world: World, client: Client
) -> None:
    """An attacker (or a careless fix in the database) marks the consent withdrawn without the
    service, so no hook runs: the public pages, cached or not, still name no one."""
    consent = cases_services.give_consent(
        world.editor, world.victim, recipient_kind=RecipientKind.PUBLICATION, purpose="portal"
    )
    publication = publish(world, title="BYPASSED-TITLE")
    code = code_of(publication)
    address = f"/portal/p/{publication.slug}/{code}/"
    assert "SECRET-NAME-MARK" in client.get(address).content.decode()  # cached now
    type(consent).objects.filter(pk=consent.pk).update(withdrawn_at=timezone.now())
    _assert_nowhere(client, publication, code)
    for address in pages(publication, code):
        assert "SECRET-NAME-MARK" not in client.get(address).content.decode(), address


def test_a_page_cached_in_one_language_or_for_one_browser_is_not_served_in_another(
    world: World, client: Client
) -> None:
    """Cache poisoning: the first visitor's browser language, a lookalike prefix or a query
    string never decides what the next visitor of another address reads."""
    publish(world)
    assert client.get("/ar/portal/", HTTP_ACCEPT_LANGUAGE="ar").status_code == 200
    assert client.get("/portal/?x=/ar/", HTTP_ACCEPT_LANGUAGE="ar").status_code == 200
    english = client.get("/portal/", HTTP_ACCEPT_LANGUAGE="fr")
    assert '<html lang="en" dir="ltr">' in english.content.decode()
    assert english["Content-Language"] == "en"
    for lookalike in ("/de/portal/", "/ar//portal/", "/AR/portal/", "/ar%2F/portal/"):
        assert client.get(lookalike).status_code == 404, lookalike


def test_addresses_with_a_query_string_are_not_kept_in_the_cache(
    world: World, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Otherwise ?1, ?2, ... on the largest download fill the server's memory with copies."""
    from amparo.portal import public_views

    publish(world)
    kept: list[str] = []
    monkeypatch.setattr(public_views.cache, "set", lambda key, *args, **kwargs: kept.append(key))
    for number in range(5):
        assert client.get(f"/portal/data/reprisals.csv?{number}").status_code == 200
        assert client.get(f"/portal/reprisals/?q=word{number}").status_code == 200
    assert kept == []
    assert client.get("/portal/data/reprisals.csv").status_code == 200
    assert len(kept) == 1


def test_public_pages_read_the_published_copy_and_never_open_the_draft(
    world: World, client: Client
) -> None:
    publication = publish(world, title="Reprisals in Lyon")
    code = code_of(publication)
    # A draft column nothing opens: a public page that read it would fail.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE portal_publication SET content = %s WHERE id = %s",
            ["amp1:unreadable", publication.pk],
        )
    with pytest.raises(crypto.CryptoError):
        Publication.objects.get(pk=publication.pk).content
    for address in [*pages(publication, code), *item_pages(publication, code)]:
        assert client.get(address).status_code == 200, address
    assert code in client.get(f"/portal/p/{publication.slug}/{code}/").content.decode()
    assert code in client.get("/portal/data/reprisals.csv").content.decode()


def test_a_withdrawn_publication_keeps_no_public_copy(world: World) -> None:
    publication = publish(world)
    assert publication.public_content == publication.content
    services.withdraw(world.reviewer, publication)
    publication.refresh_from_db()
    assert publication.public_content == {}


def test_the_migration_copies_what_is_live_and_nothing_else(world: World) -> None:
    migration = importlib.import_module("amparo.portal.migrations.0003_publication_public_content")
    live = publish(world)
    draft = draft_of(world, "Draft")
    Publication.objects.filter(pk=live.pk).update(public_content={})
    migration.copy_published_content(django_apps, None)
    live.refresh_from_db()
    draft.refresh_from_db()
    assert live.public_content == live.content and live.public_content
    assert draft.public_content == {}
