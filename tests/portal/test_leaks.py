"""The leak test: the demo world, its publications and a large one more, and every public
page, download, feed and portal API answer scanned for the plaintext of any encrypted field of
the whole world (every encrypted field of every model, decrypted here to know what to look
for): zero hits."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import pycountry
import pytest
from django.apps import apps
from django.core.cache import cache
from django.test import Client

from amparo.api import tokens
from amparo.cases.models import Event
from amparo.core.fields import EncryptedField, EncryptedJSONField
from amparo.core.models import Organisation, User
from amparo.demo import portal as demo_portal
from amparo.demo import world
from amparo.demo.base import DemoOptions
from amparo.network.publication import public_member, public_members
from amparo.portal import services
from amparo.portal.models import Publication
from amparo.portal.queries import live
from amparo.stats.services.tables import TableParameters

pytestmark = pytest.mark.django_db

MIN_LENGTH = 4
# Values that are codes the portal publishes on purpose, coarse and shared by many records (a
# year, a month, an ISO 3166 country or region code): an encrypted field may hold one too (an
# intake report's date or region), and finding it on the portal then is a coincidence, not a
# leak of that field. Any other value, however short (an identity number), counts.
DATE = re.compile(r"\d{4}(?:-\d{2}(?:-\d{2})?)?")
# In a JSON field (a version's snapshot, an intake report), the values under these keys are
# someone's words or identity; other values there are codes and dates, published on purpose.
FREE_TEXT_MIN_LENGTH = 24


def _encrypted_fields() -> Iterator[tuple[type[Any], EncryptedField[Any, Any]]]:
    for model in apps.get_models():
        if model is Publication:
            continue  # its snapshot is what is meant to be public (encrypted while a draft)
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedField):
                yield model, field


def _strings(value: Any, key: str, secret_keys: set[str]) -> Iterator[str]:
    if isinstance(value, dict):
        for name, item in value.items():
            yield from _strings(item, str(name), secret_keys)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, key, secret_keys)
    elif isinstance(value, str) and (
        key in secret_keys or (len(value) >= FREE_TEXT_MIN_LENGTH and " " in value)
    ):
        yield value


def _public_code(value: str) -> bool:
    return bool(
        DATE.fullmatch(value)
        or pycountry.subdivisions.get(code=value) is not None
        or (len(value) == 2 and pycountry.countries.get(alpha_2=value) is not None)
    )


def secrets_of_the_world() -> dict[str, str]:
    """Every plaintext of every encrypted field, each line of it apart (-> where it is from)."""
    fields = list(_encrypted_fields())
    secret_keys = {field.name for _, field in fields if not isinstance(field, EncryptedJSONField)}
    found: dict[str, str] = {}
    for model, field in fields:
        for value in model._default_manager.values_list(field.attname, flat=True).iterator():
            if isinstance(field, EncryptedJSONField):
                texts = list(_strings(value, "", secret_keys))
            else:
                texts = [value] if isinstance(value, str) else []
            for text in texts:
                for line in [text, *text.splitlines()]:
                    line = line.strip()
                    if len(line) >= MIN_LENGTH and not _public_code(line):
                        found.setdefault(line, f"{model._meta.label}.{field.name}")
    return found


def public_documents() -> str:
    """The words of the public documents the portal publishes on purpose: recommendations of
    the mechanisms (as imported, never encrypted), the State's responses and the reference
    lists' labels."""
    from amparo.recommendations import models as recommendations

    texts = list(recommendations.Recommendation.objects.values_list("text", "state_response"))
    words = [t for pair in texts for t in pair]
    words += list(recommendations.RecommendationText.objects.values_list("text", flat=True))
    for model in (
        recommendations.Mechanism,
        recommendations.Theme,
        recommendations.AffectedGroup,
        recommendations.SdgTarget,
    ):
        for labels in model.objects.values_list("label_en", "label_fr", "label_es", "label_ar"):
            words += labels
    return "\n".join(words)


def coincidences(secrets: dict[str, str]) -> set[str]:
    """The short secrets (a word or two: "Police") that a public document also holds: finding
    them on the portal is that document, not a leak. Longer ones always count."""
    documents = public_documents()
    return {s for s in secrets if len(s.split()) <= 2 and s in documents}


def public_addresses(client: Client) -> list[str]:
    """Every public page, download and feed, in the four languages, with every publication's
    and item's permalink and the network's public pages."""
    pages = [
        "",
        "reprisals/",
        "statistics/",
        "recommendations/",
        "methodology/",
        "data/",
        "data/reprisals.csv",
        "data/reprisals.json",
        "data/recommendations.csv",
        "data/recommendations.json",
        "feed.atom",
    ]
    for publication in live():
        pages.append(f"p/{publication.slug}/")
        if publication.kind == Publication.Kind.STATISTICS:
            pages += [f"p/{publication.slug}/table.csv", f"p/{publication.slug}/table.json"]
        for record in [
            *publication.content.get("events", []),
            *publication.content.get("recommendations", []),
        ]:
            pages.append(f"p/{publication.slug}/{record['code']}/")
    listing = client.get("/portal/reprisals/").content.decode()
    pages += [
        "reprisals/" + query.replace("&amp;", "&")
        for query in set(re.findall(r'href="(\?[^"]*page=\d+)"', listing))
    ]
    facets = re.findall(r'<option value="([^"]+)"', listing)
    pages += [f"reprisals/?q={word}" for word in ("a", "e", "defender", "threat")]
    pages += [f"reprisals/?country={code}" for code in facets if len(code) == 2][:10]
    recommendations = client.get("/portal/recommendations/").content.decode()
    pages += [
        "recommendations/" + query.replace("&amp;", "&")
        for query in set(re.findall(r'href="(\?[^"]*page=\d+)"', recommendations))
    ]
    pages += [f"recommendations/?q={word}" for word in ("a", "rights", "defenders")]
    pages += [
        f"recommendations/?{name}={value}"
        for name, value in re.findall(
            r'<select id="(\w+)" name="\w+">.*?<option value="([^"]+)"', recommendations, re.S
        )
    ]
    addresses = [
        f"{prefix}/portal/{page}" for prefix in ("", "/fr", "/es", "/ar") for page in pages
    ]
    addresses.append("/network/public/")
    addresses += [f"/network/public/{m.country}/" for m in public_members()]
    return addresses


def test_no_public_page_download_or_feed_holds_any_encrypted_plaintext(
    client: Client, settings: Any
) -> None:
    settings.AMPARO_INTAKE_ORGANISATION = "NHRC-KE"
    started = time.perf_counter()
    world.build(DemoOptions(events=60, seed=15))
    built = time.perf_counter() - started
    assert demo_portal.build_publications() == []  # once: a second run keeps what exists
    # One large publication more: every publishable event of the network, whoever its victims.
    editor = User.objects.get(username="network.documentalist")
    reviewer = User.objects.get(username="network.admin")
    organisation = Organisation.objects.get(short_code="HRDN")
    events = Event.objects.filter(
        organisation=organisation, status__in=[Event.Status.VERIFIED, Event.Status.CLOSED]
    ).exclude(confidentiality__gt=2)
    large = services.create_events_publication(
        editor,
        organisation,
        title="Everything the network verified",
        summary="",
        reference_codes=list(events.values_list("reference_code", flat=True)),
    )
    services.submit(editor, large)
    services.approve(reviewer, large)
    # Two of events, one table, the recommendations to Kenya, and the large one.
    assert live().count() == 5
    assert live().filter(kind=Publication.Kind.RECOMMENDATIONS).count() == 1
    named = {
        victim["name"]
        for publication in live()
        for record in publication.content.get("events", [])
        for act in record["acts"]
        if "name" in (victim := act["victim"])
    }
    # The network publishes the focal points a member chose to list publicly (its own rule,
    # amparo/network/publication.py): names shown on purpose, as consented names are.
    for member in public_members():
        page = public_member(member.country)
        named |= {name for _, name, _ in page.focal_points} if page else set()
    secrets = secrets_of_the_world()
    assert len(secrets) > 300, len(secrets)
    in_public_documents = coincidences(secrets)
    assert len(in_public_documents) <= 5, in_public_documents
    named |= in_public_documents
    cache.clear()
    addresses = public_addresses(client)
    hits: dict[str, list[str]] = {}
    scanned = 0
    # The API's answers about publications (to an editor: exactly what is or would be public).
    token = tokens.issue_token(None, editor, name="leak test").secret
    api = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    addresses += ["/api/v1/portal/publications"]
    addresses += [f"/api/v1/portal/publications/{p.pk}" for p in Publication.objects.all()]
    for address in addresses:
        response = client.get(address, **(api if address.startswith("/api/") else {}))
        assert response.status_code == 200, address
        body = response.content.decode()
        if address.endswith(".json") or address.startswith("/api/"):
            body += json.dumps(json.loads(body), ensure_ascii=False)  # escapes undone
        scanned += len(body)
        found = [s for s in secrets if s in body and s not in named]
        if found:
            hits[address] = [f"{s} ({secrets[s]})" for s in found[:5]]
    print(  # the figures of the run, for the report
        f"\nworld built in {built:.1f}s; {len(secrets)} secrets; {len(addresses)} addresses; "
        f"{scanned:,} characters scanned; {len(named)} names published on purpose"
    )
    assert hits == {}
    # The scan finds what is there: an editor who types a name into a summary is caught.
    leaked = next(s for s, where in secrets.items() if where == "cases.Person.full_name")
    canary = services.create_statistics_publication(
        editor,
        organisation,
        title="Careless",
        summary=f"Told by {leaked}",
        parameters=TableParameters(rows=("year",)),
    )
    services.submit(editor, canary)
    services.approve(reviewer, canary)
    assert leaked in client.get(f"/portal/p/{canary.slug}/").content.decode()
