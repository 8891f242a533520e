"""The event list at scale: word search through the text index, counts that stop at a limit,
and the plan hint that lets SQLite read a long list in order. Whatever the plan, the same
events come out in the same order."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from amparo.cases import access, queries
from amparo.cases.models import Event, SharingGrant
from amparo.core.models import Clearance, Organisation, Role, User
from tests.cases.conftest import sign_in
from tests.factories import ActFactory, EventFactory, OrganisationFactory, hrd_term, member


def _found(user: User, words: str) -> set[str]:
    conditions = queries.event_conditions(queries.EventFilters(q=words), user)
    found = set()
    for condition in (conditions.per_event, conditions.from_acts):
        events = access.visible_events(user).filter(condition)
        found.add(frozenset(events.values_list("title", flat=True)))
    assert len(found) == 1  # both forms select the same events
    return set(found.pop())


# --- Word search ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_words_are_found_anywhere_in_any_case(nhri: Organisation, documentalist: User) -> None:
    EventFactory(
        organisation=nhri,
        title="Défenseure menacée à Bogotá",
        description="Appels anonymes après une RÉUNION communautaire.",
        locality="Ciudad Bolívar",
    )
    EventFactory(organisation=nhri, title="Raid on a radio station", reference_code="NHRI-99")

    assert _found(documentalist, "DÉFENSEURE") == {"Défenseure menacée à Bogotá"}
    assert _found(documentalist, "réunion bolívar") == {"Défenseure menacée à Bogotá"}
    assert _found(documentalist, "adio") == {"Raid on a radio station"}  # inside a word
    assert _found(documentalist, "nhri-99") == {"Raid on a radio station"}
    assert _found(documentalist, "radio réunion") == set()  # every word must appear
    assert _found(documentalist, "à") == {"Défenseure menacée à Bogotá"}  # short: compared
    assert _found(documentalist, "nothing like this") == set()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "words", ['"', 'radio" OR "x', "radio*", "NEAR(radio station)", "-radio", "title:radio"]
)
def test_search_syntax_is_taken_literally(
    nhri: Organisation, documentalist: User, words: str
) -> None:
    EventFactory(organisation=nhri, title="Raid on a radio station")
    EventFactory(organisation=nhri, title="Another event")

    assert _found(documentalist, words) == set()


@pytest.mark.django_db
def test_the_text_index_follows_edits_and_deletions(
    nhri: Organisation, documentalist: User
) -> None:
    event = EventFactory(organisation=nhri, title="Threats in Cauca", description="First draft")
    event.description = "Corrected account of the threats"
    event.save()
    assert _found(documentalist, "draft") == set()
    assert _found(documentalist, "corrected") == {"Threats in Cauca"}
    Event.objects.filter(pk=event.pk).update(locality="Popayán")
    assert _found(documentalist, "popayán") == {"Threats in Cauca"}
    Event.objects.filter(pk=event.pk).delete()
    assert _found(documentalist, "threats") == set()


@pytest.mark.django_db
def test_the_text_index_triggers_survive_every_migration() -> None:
    # A migration that makes Django rebuild cases_event on SQLite (a NOT NULL column added, a
    # column altered) drops these triggers, and the word search silently stops finding new
    # events. Such a migration must create them again.
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL indexes the columns themselves")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'cases_event'"
        )
        triggers = {name for (name,) in cursor.fetchall()}
    assert {f"cases_event_text_{kind}" for kind in ("insert", "update", "delete")} <= triggers


@pytest.mark.django_db
def test_the_text_index_merges_its_segments_less_often_and_still_finds_every_word(
    nhri: Organisation, documentalist: User
) -> None:
    # Migration 0015: an import writes a segment of the index a transaction, and merging them
    # every four cost a quarter of writing its events. The search reads them all.
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL indexes the columns themselves")
    with connection.cursor() as cursor:
        cursor.execute("SELECT v FROM cases_event_text_config WHERE k = 'automerge'")
        assert cursor.fetchone() == (16,)
    for number in range(40):
        EventFactory(organisation=nhri, title=f"Raid zq{number:02d}x", locality="Cauca")
    assert len(_found(documentalist, "raid cauca")) == 40
    assert _found(documentalist, "zq17x") == {"Raid zq17x"}


@pytest.mark.django_db
def test_search_never_reaches_past_visibility(nhri: Organisation) -> None:
    analyst = member(Role.ANALYST, Clearance.RESTRICTED, nhri)
    EventFactory(organisation=nhri, title="Raid on a radio station", confidentiality=3)
    EventFactory(title="Radio host threatened elsewhere", confidentiality=0)

    assert _found(analyst, "radio") == set()


# --- Pages and counts ----------------------------------------------------------------------------


def _events(organisation: Organisation, count: int, **fields: Any) -> list[Event]:
    """`count` events, newest first as the list shows them."""
    created = [
        EventFactory(
            organisation=organisation,
            start_date=datetime.date(2020, 1, 1) + datetime.timedelta(days=n // 2),
            **fields,
        )
        for n in range(count)
    ]
    return sorted(created, key=lambda e: (e.start_date, e.pk), reverse=True)


def _page(
    user: User,
    number: int,
    size: int,
    filters: queries.EventFilters | None = None,
    **options: Any,
) -> queries.EventPage:
    conditions = queries.event_conditions(filters or queries.EventFilters(), user)
    return queries.event_page(
        user, access.Viewer.of(user), conditions, number=number, size=size, **options
    )


@pytest.mark.django_db
def test_counts_stop_at_the_limit_unless_asked(
    nhri: Organisation, documentalist: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queries, "COUNT_LIMIT", 6)
    expected = _events(nhri, 11)

    first = _page(documentalist, 1, 3)
    assert (first.count, first.exact, first.pages) == (7, False, None)
    assert first.events == expected[:3] and first.has_next and not first.has_previous

    beyond = _page(documentalist, 3, 3)  # reaches past the limit: its number is checked
    assert (beyond.count, beyond.exact, beyond.pages) == (11, True, 4)
    assert beyond.events == expected[6:9]

    asked = _page(documentalist, 1, 3, count_all=True)
    assert (asked.count, asked.exact) == (11, True)

    last = _page(documentalist, 99, 3)
    assert last.number == 4 and last.events == expected[9:] and not last.has_next


@pytest.mark.django_db
def test_the_list_page_says_more_than_and_offers_the_full_count(
    client: Client, nhri: Organisation, documentalist: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queries, "COUNT_LIMIT", 2)
    _events(nhri, 4, country="CO")
    sign_in(client, documentalist)

    query = {"country": "CO", "per_page": "1"}
    html = client.get(reverse("cases:event_list"), query).content.decode()
    assert "More than 2 events" in html
    assert "country=CO&amp;per_page=1&amp;page=1&amp;count=all" in html
    assert "Page 1 of" not in html and "Page 1" in html
    assert "country=CO&amp;per_page=1&amp;page=2" in html

    html = client.get(
        reverse("cases:event_list"), {"country": "CO", "count": "all", "per_page": "2"}
    ).content.decode()
    assert "4 events" in html and "Page 1 of 2" in html
    assert "count=all&amp;per_page=2&amp;page=2" in html  # the exact count is kept

    for junk in ("0", "-3", "x", "9" * 30):
        response = client.get(reverse("cases:event_list"), {"page": junk})
        assert response.status_code == 200 and response.context["page"].events


def _plan(monkeypatch: pytest.MonkeyPatch, walk: bool) -> None:
    """Read pages by the walk in date order (per-event conditions, SQLite's `+` hint) or by
    collecting and sorting the matches (conditions from the acts), whatever the counts say."""

    def chosen(*args: Any) -> tuple[bool, int, bool]:
        count, exact = args[-2:]
        return walk, count, exact

    monkeypatch.setattr(queries, "_walk_in_order", chosen)


@pytest.mark.django_db
@pytest.mark.parametrize("limit", [3, 1000])
@pytest.mark.parametrize("walk", [True, False])
def test_every_plan_gives_the_same_pages(
    nhri: Organisation,
    documentalist: User,
    monkeypatch: pytest.MonkeyPatch,
    limit: int,
    walk: bool,
) -> None:
    """Own events, events shared with the viewer's organisation and with the viewer, and
    events they may not see; pages read by the walk or by the sort alike."""
    monkeypatch.setattr(queries, "COUNT_LIMIT", limit)
    _plan(monkeypatch, walk)
    other = OrganisationFactory()
    own = _events(nhri, 7)
    shared = _events(other, 3)
    hidden = _events(other, 4)
    secret = _events(nhri, 2, confidentiality=Clearance.STRICTLY_CONFIDENTIAL)
    for event in shared[:2]:
        SharingGrant.objects.create(event=event, organisation=nhri, granted_by=documentalist)
    SharingGrant.objects.create(event=shared[2], user=documentalist, granted_by=documentalist)
    visible = sorted([*own, *shared, *secret], key=lambda e: (e.start_date, e.pk), reverse=True)
    assert not set(hidden) & set(visible)

    pages = [_page(documentalist, number, 4) for number in (1, 2, 3)]
    assert [e for page in pages for e in page.events] == visible
    assert pages[-1].count == len(visible) and pages[-1].exact

    threatened = visible[1::2]
    for event in threatened:
        ActFactory(event=event, type_of_act=hrd_term("threat_death"))
    for event in visible[::2]:
        ActFactory(event=event, type_of_act=hrd_term("surveillance"))
    threats = queries.EventFilters(type_of_act=hrd_term("threat"))
    pages = [_page(documentalist, number, 2, threats) for number in (1, 2, 3)]
    assert [e for page in pages for e in page.events] == threatened


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "sqlite", reason="the plan hint is SQLite's")
def test_sqlite_walks_the_date_order_only_where_most_events_match(
    nhri: Organisation, documentalist: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queries, "WALK_BUDGET", 0)
    _events(nhri, 30, country="CO")
    _events(nhri, 2, country="KE")

    def listing_sql(country: str) -> str:
        with CaptureQueriesContext(connection) as captured:
            _page(documentalist, 1, 2, queries.EventFilters(country=country))
        listing = 'ORDER BY "cases_event"."start_date"'
        return next(q["sql"] for q in captured.captured_queries if listing in q["sql"])

    assert '+"cases_event"."organisation_id"' in listing_sql("CO")
    assert '+"cases_event"."organisation_id"' not in listing_sql("KE")


@pytest.mark.django_db
def test_the_api_list_is_the_same_whatever_the_plan(
    nhri: Organisation, documentalist: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = {e.pk for e in _events(nhri, 5)}
    for walk in (True, False):
        _plan(monkeypatch, walk)
        events = queries.listed_events(
            documentalist,
            access.Viewer.of(documentalist),
            queries.EventConditions(),
            reach=3,
        ).events
        assert set(events.values_list("pk", flat=True)) == expected


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "sqlite", reason="the plan hint is SQLite's")
def test_a_walk_in_id_order_sorts_nothing(
    nhri: Organisation, documentalist: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The imports' index on pending_import_id matches nearly every row; SQLite took it and then
    # fetched and sorted every visible event (the API's list at 100,000 events: 920 ms at p95).
    _events(nhri, 5)
    _plan(monkeypatch, True)
    events = queries.listed_events(
        documentalist, access.Viewer.of(documentalist), queries.EventConditions(), reach=3
    ).events.order_by("-pk")[:3]
    sql, params = events.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert "TEMP B-TREE FOR ORDER BY" not in plan
