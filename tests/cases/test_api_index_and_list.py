"""The API's front door and its event list: /api/v1/ links the documentation; the list gives
each event's acts in brief (what, when, the victim's id: the whole acts, with identities as the
caller may see them, are in the single-event answer) and how many events match, with the capped
count of the web list."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from amparo.cases import queries, services
from tests.cases.exchange import documentalist, organisation_of, record_event
from tests.cases.test_api import URL, Api, state_partner

pytestmark = pytest.mark.django_db


def test_the_api_root_links_its_documentation_and_schema_without_a_token(client: Client) -> None:
    response = client.get(URL + "/")

    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    index = response.json()
    assert index["documentation"] == "/api/v1/docs" and index["openapi"] == "/api/v1/openapi.json"
    assert client.get(index["documentation"]).status_code == 200
    assert client.get(index["openapi"]).json()["info"]["title"] == index["name"]
    operations = {(o["method"], o["path"]) for o in index["operations"]}
    assert {("GET", "/api/v1/events"), ("POST", "/api/v1/events/search")} <= operations
    assert "Bearer" in index["authentication"]


def test_the_event_list_gives_each_events_acts_in_brief(client: Client) -> None:
    owner = documentalist()
    events = [record_event(owner, title=f"Event {n}") for n in range(3)]
    api = Api(client, owner)

    listed = {item["id"]: item for item in api.get("/events").json()["items"]}

    for event in events:
        single = api.get(f"/events/{event.pk}").json()
        assert len(single["acts"]) == 2
        assert listed[event.pk]["acts"] == [
            {
                "id": act["id"],
                "type_of_act": act["type_of_act"],
                "date": act["date"],
                "date_precision": act["date_precision"],
                "victim_id": act["victim"]["id"],
            }
            for act in single["acts"]
        ]
        assert {k: v for k, v in single.items() if k != "acts"} == {
            k: v for k, v in listed[event.pk].items() if k != "acts"
        }


def test_the_event_list_shows_a_partner_no_name(client: Client) -> None:
    owner = documentalist()
    event = record_event(owner)
    partner = state_partner()
    services.grant_sharing(owner, event, organisation=organisation_of(partner))

    item = Api(client, partner).get("/events").json()["items"][0]

    assert len(item["acts"]) == 2 and item["notes"] is None
    assert "Akinyi" not in json.dumps(item) and "Met her" not in json.dumps(item)


def test_the_event_list_says_how_many_events_match_on_every_page(client: Client) -> None:
    owner = documentalist()
    for number in range(3):
        record_event(owner, title=f"Event {number}")
    api = Api(client, owner)

    first = api.get("/events", limit=2).json()
    second = api.get("/events", limit=2, cursor=first["next_cursor"]).json()

    for page in (first, second):
        assert (page["total"], page["total_exact"]) == (3, True)
    assert (api.get("/events", country="CO").json()["total"]) == 0


def test_past_the_count_limit_the_total_says_more_than_unless_all_are_counted(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queries, "COUNT_LIMIT", 2)
    owner = documentalist()
    for number in range(3):
        record_event(owner, title=f"Event {number}")
    api = Api(client, owner)

    capped: dict[str, Any] = api.get("/events", limit=1).json()
    counted: dict[str, Any] = api.get("/events", limit=1, count="all").json()
    searched = api.send("POST", "/events/search", {"q": "Event", "count": "all"}).json()

    assert (capped["total"], capped["total_exact"]) == (2, False)
    assert (counted["total"], counted["total_exact"]) == (3, True)
    assert (searched["total"], searched["total_exact"]) == (3, True)
