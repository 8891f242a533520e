"""The network API: the same access rules as the pages, the same services, clear 4xx answers."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from amparo.core.models import User
from amparo.network.models import Member, Review
from amparo.network.services import lifecycle
from tests.network.conftest import Delegation, api_token, make_delegation

pytestmark = pytest.mark.django_db
NEEDS_VOCABULARIES = False
URL = "/api/v1/network"


class Api:
    def __init__(self, client: Client, user: User) -> None:
        self.client = client
        secret = api_token(user)
        self.header = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}

    def get(self, path: str) -> Any:
        return self.client.get(URL + path, **self.header)

    def send(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        return self.client.generic(
            method,
            URL + path,
            json.dumps(body or {}),
            content_type="application/json",
            **self.header,
        )


def test_a_state_goes_from_proposal_to_active_membership_through_the_api(
    client: Client, secretariat: User
) -> None:
    api = Api(client, secretariat)
    assert (
        api.send("POST", "/members", {"country": "cr", "reason": "Protection law."}).status_code
        == 201
    )
    refused = api.send("POST", "/members/CR/transitions", {"transition": "invite", "reason": "R."})
    assert refused.status_code == 400 and "letter" in refused.json()["detail"]
    answer = api.send(
        "POST",
        "/members/CR/transitions",
        {"transition": "invite", "reason": "R.", "letter_text": "Dear…"},
    )
    assert answer.status_code == 200 and answer.json()["status"] == "invited"
    api.send("POST", "/members/CR/transitions", {"transition": "accept", "reason": "Accepted."})
    for part in ("state", "nhri", "civil_society"):
        assert (
            api.send(
                "POST", "/members/CR/organisations", {"part": part, "name": f"{part} body"}
            ).status_code
            == 201
        )
        assert (
            api.send(
                "POST", "/members/CR/focal-points", {"part": part, "name": f"{part} person"}
            ).status_code
            == 201
        )
    commitment = api.send(
        "POST",
        "/members/CR/commitments",
        {
            "kind": "protection_law",
            "title": "A law",
            "due_on": "2027-06-30",
            "indicators": [{"description": "Bill tabled"}],
            "publish": True,
        },
    )
    assert (
        commitment.status_code == 201
        and commitment.json()["indicators"][0]["description"] == "Bill tabled"
    )
    answer = api.send(
        "POST", "/members/CR/transitions", {"transition": "activate", "reason": "Complete."}
    )
    assert answer.json()["status"] == "active" and answer.json()["delegation_complete"]
    detail = api.get("/members/CR").json()
    assert [c["transition"] for c in detail["history"]] == [
        "propose",
        "invite",
        "accept",
        "activate",
    ]
    assert detail["scorecard"]["country"] == "CR"


def test_a_field_the_service_refuses_is_named_in_a_422(client: Client, kenya: Delegation) -> None:
    answer = Api(client, kenya.state).send(
        "POST",
        "/members/KE/commitments",
        {"kind": "x", "title": "T", "due_on": "2027-01-01", "indicators": []},
    )
    assert answer.status_code == 422 and "kind" in answer.json()["detail"]


def test_the_api_refuses_what_the_pages_refuse(
    client: Client, kenya: Delegation, observer: User
) -> None:
    api = Api(client, observer)
    assert (
        api.send(
            "POST", "/members/KE/transitions", {"transition": "open_review", "reason": "R."}
        ).status_code
        == 403
    )
    assert api.get("/scorecard").status_code == 403
    assert api.get("/meetings").status_code == 403
    assert api.get("/members/KE/scorecard").status_code == 403
    assert api.get("/members/ZZ").status_code == 404
    assert api.send("POST", "/members", {"country": "GH", "reason": "R."}).status_code == 403


def test_focal_points_come_through_the_directory_rules(
    client: Client, kenya: Delegation, secretariat: User, observer: User
) -> None:
    seen = {c["part"]: c for c in Api(client, observer).get("/directory").json()}
    assert "civil_society" not in seen and seen["nhri"]["email"] is None
    # Staff outside the network's work hold no network key: the fields in the clear only.
    assert seen["state"]["email"] is None and seen["state"]["name"] is None
    assert seen["state"]["function"] == "state function"
    full = {
        c["part"]: c for c in Api(client, secretariat).get("/members/KE").json()["focal_points"]
    }
    assert full["civil_society"]["phone"] == "+1 555 KE"


def test_a_review_runs_through_the_api_and_each_part_reads_its_own_submission(
    client: Client, kenya: Delegation, secretariat: User, steering: User
) -> None:
    lifecycle.transition(secretariat, kenya.member, "open_review", reason="Periodic.")
    review = Review.objects.get()
    path = f"/reviews/{review.pk}"
    assert (
        Api(client, kenya.state).send("POST", path + "/submissions", {"text": "Self."}).status_code
        == 201
    )
    assert (
        Api(client, kenya.nhri)
        .send("POST", path + "/submissions", {"text": "Threats."})
        .status_code
        == 201
    )
    assert [s["text"] for s in Api(client, kenya.state).get(path).json()["submissions"]] == [
        "Self."
    ]
    Api(client, secretariat).send("POST", path + "/summary", {"text": "Summary."})
    answer = Api(client, steering).send(
        "POST", path + "/recommendation", {"outcome": "suspension_recommended", "text": "Suspend."}
    )
    assert answer.json()["outcome"] == "suspension_recommended"
    assert answer.json()["scorecard"]["signals"]
    suspended = Api(client, secretariat).send(
        "POST", "/members/KE/transitions", {"transition": "suspend", "reason": "As recommended."}
    )
    assert suspended.json()["status"] == "suspended"


def test_the_scorecard_list_and_governance_answer_the_network_leaders(
    client: Client, chairs: tuple[Delegation, Delegation], co_chair: User
) -> None:
    make_delegation("KE")
    api = Api(client, co_chair)
    cards = api.get("/scorecard").json()
    assert [c["country"] for c in cards] == ["CA", "CR", "KE"]
    governance = api.get("/governance").json()
    assert governance["co_chairs"][0]["confirmed"] and sorted(
        governance["co_chairs"][0]["countries"]
    ) == ["CA", "CR"]


def test_tables_export_as_csv_through_the_api(
    client: Client, kenya: Delegation, secretariat: User
) -> None:
    answer = Api(client, secretariat).get("/export/members")
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/csv")
    assert answer.content.decode().splitlines()[1].startswith("KE,Kenya,active")
    assert Api(client, secretariat).get("/export/passwords").status_code == 404


def test_publication_is_chosen_through_the_api(client: Client, kenya: Delegation) -> None:
    answer = Api(client, kenya.state).send(
        "PUT", "/members/KE/publication", {"fields": ["commitments"]}
    )
    assert answer.json()["published_fields"] == ["commitments"]
    assert Member.objects.get().published_fields == ["commitments"]
    answer = Api(client, kenya.nhri).send("PUT", "/members/KE/publication", {"fields": []})
    assert answer.status_code == 403


def test_meetings_are_recorded_and_read_through_the_api(
    client: Client, kenya: Delegation, secretariat: User
) -> None:
    answer = Api(client, secretariat).send(
        "POST",
        "/meetings",
        {"title": "Plenary", "kind": "plenary", "held_on": "2026-05-01", "delegations": ["ke"]},
    )
    assert answer.status_code == 201 and answer.json()["delegations"] == ["KE"]
    assert (
        Api(client, kenya.nhri).get(f"/meetings/{answer.json()['id']}").json()["title"] == "Plenary"
    )
