"""The cases API: the same access and consent rules as the web, clear 4xx answers."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from amparo.api import tokens
from amparo.api.models import ApiToken
from amparo.cases import services
from amparo.cases.models import Event, Person, RecipientKind
from amparo.core.models import AuditEntry, Clearance, Organisation, Role, User
from tests.cases.conftest import token_with_keys
from tests.cases.exchange import documentalist, organisation_of, record_event
from tests.factories import OrganisationFactory, member

pytestmark = pytest.mark.django_db

URL = "/api/v1"


class Api:
    def __init__(self, client: Client, user: User) -> None:
        self.client = client
        self.header = {"HTTP_AUTHORIZATION": f"Bearer {token_with_keys(user)}"}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(URL + path, params, **self.header)

    def send(self, method: str, path: str, body: dict[str, Any]) -> Any:
        return self.client.generic(
            method,
            URL + path,
            json.dumps(body),
            content_type="application/json",
            **self.header,
        )


def state_partner() -> User:
    return member(
        role=Role.STATE_REPRESENTATIVE,
        clearance=Clearance.CONFIDENTIAL,
        organisation=OrganisationFactory(kind=Organisation.Kind.STATE),
    )


EVENT_BODY: dict[str, Any] = {
    "title": "Arbitrary arrest of a land rights defender",
    "start_date": "2025-04",
    "country": "KE",
    "confidentiality": "restricted",
    "acts": [
        {
            "victim": {
                "full_name": "Nafula Wekesa",
                "sex": "woman",
                "defender_types": ["environmental"],
            },
            "type_of_act": "arbitrary_detention",
            "date": "2025-04-11",
            "consequences": ["020100000000"],
            "involvements": [
                {
                    "perpetrator_type": "010100000000",
                    "degree_of_involvement": "Directly carried out the act",
                }
            ],
        },
        {
            "victim": {"full_name": "Nafula Wekesa"},
            "type_of_act": "criminalisation",
        },
    ],
}


def test_a_token_authenticates_and_a_revoked_or_expired_one_does_not(client: Client) -> None:
    user = documentalist()
    issued = tokens.issue_token(None, user, name="script")
    header = {"HTTP_AUTHORIZATION": f"Bearer {issued.secret}"}
    assert client.get(URL + "/events", **header).status_code == 200
    assert ApiToken.objects.get().last_used_on == timezone.localdate()

    ApiToken.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert client.get(URL + "/events", **header).status_code == 401
    ApiToken.objects.update(expires_at=timezone.now() + datetime.timedelta(days=1))
    tokens.revoke_token(user, ApiToken.objects.get())
    assert client.get(URL + "/events", **header).status_code == 401


def test_only_a_digest_of_the_token_is_stored() -> None:
    issued = tokens.issue_token(None, documentalist(), name="script")
    stored = ApiToken.objects.get()
    assert issued.secret not in (stored.digest, stored.prefix) and len(stored.digest) == 64
    assert AuditEntry.objects.filter(action="api_token.issue").exists()


def test_the_event_list_shows_only_visible_events_page_by_page(client: Client) -> None:
    user = documentalist()
    for number in range(3):
        record_event(user, title=f"Event {number}")
    record_event(documentalist(organisation=OrganisationFactory()), title="Someone else's")
    api = Api(client, user)

    first = api.get("/events", limit=2).json()
    second = api.get("/events", limit=2, cursor=first["next_cursor"]).json()

    titles = [e["title"] for e in first["items"] + second["items"]]
    assert sorted(titles) == ["Event 0", "Event 1", "Event 2"]
    assert second["next_cursor"] is None
    assert first["items"][0]["notes"] == "Met her at the office on 4 March."


def test_the_event_list_filters_like_the_web_list(client: Client) -> None:
    user = documentalist()
    record_event(user)
    api = Api(client, user)
    # "threat" finds the death threat below it.
    assert len(api.get("/events", type_of_act="threat").json()["items"]) == 1
    assert api.get("/events", country="CO").json()["items"] == []
    assert api.get("/events", type_of_act="no such thing").status_code == 422


def test_the_event_list_costs_the_same_number_of_queries_for_any_page_size(
    client: Client, django_assert_max_num_queries: Any
) -> None:
    user = documentalist()
    for number in range(12):
        record_event(user, title=f"Event {number}")
    api = Api(client, user)
    # Token, memberships, the key grants and personal keys the session opens, count, plan, the
    # page's data keys and their copies, events and their acts: each once, whatever the number
    # of events on the page.
    with django_assert_max_num_queries(12) as small:
        api.get("/events", limit=2)
    with django_assert_max_num_queries(len(small.captured_queries)):
        api.get("/events", limit=12)


def test_a_partner_sees_a_shared_event_with_pseudonyms_until_consent_is_given(
    client: Client,
) -> None:
    owner = documentalist()
    event = record_event(owner)
    partner = state_partner()
    services.grant_sharing(owner, event, organisation=organisation_of(partner))
    api = Api(client, partner)

    acts = api.get(f"/events/{event.pk}").json()["acts"]
    victim = next(a["victim"] for a in acts if a["type_of_act"]["code"] == "threat_death")
    assert victim["identified"] is False and victim["full_name"] is None
    assert victim["display_name"].startswith("Defender ")
    assert api.get(f"/events/{event.pk}").json()["notes"] is None

    person = event.acts.order_by("pk")[0].victim
    consent = services.give_consent(
        owner, person, recipient_kind=RecipientKind.STATE, purpose="Protection"
    )
    assert api.get(f"/persons/{person.pk}").json()["full_name"] == "Akinyi Odera"

    services.withdraw_consent(owner, consent)
    assert api.get(f"/persons/{person.pk}").json()["full_name"] is None
    acts = api.get("/acts", event=event.pk).json()["items"]
    assert all(a["victim"]["full_name"] is None for a in acts)


def test_an_event_that_may_not_be_seen_is_not_found(client: Client) -> None:
    event = record_event(documentalist())
    response = Api(client, documentalist(organisation=OrganisationFactory())).get(
        f"/events/{event.pk}"
    )
    assert response.status_code == 404
    assert "Not found" in response.json()["detail"]


def test_an_event_is_recorded_through_the_api(client: Client) -> None:
    user = documentalist()
    api = Api(client, user)

    response = api.send(
        "POST", "/events", {**EVENT_BODY, "organisation": organisation_of(user).short_code}
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["reference_code"].startswith("NHRI-KE-")
    assert [a["type_of_act"]["code"] for a in body["acts"]] == [
        "arbitrary_detention",
        "criminalisation",
    ]
    event = Event.objects.get()
    assert event.start_precision == "month" and event.confidentiality == Clearance.RESTRICTED
    assert event.acts.values("victim").distinct().count() == 2  # no id: two persons
    assert AuditEntry.objects.filter(action="event.create").exists()


def test_mistakes_in_a_new_event_get_a_422_naming_the_field(client: Client) -> None:
    user = documentalist()
    api = Api(client, user)
    body = {**EVENT_BODY, "organisation": organisation_of(user).short_code}
    body["acts"] = [{**EVENT_BODY["acts"][0], "type_of_act": "tea party"}]

    response = api.send("POST", "/events", body)

    assert response.status_code == 422
    assert "acts.0.type_of_act" in response.json()["detail"]
    future = {**body, "acts": [], "start_date": "2999-01-01"}
    assert "start_date" in api.send("POST", "/events", future).json()["detail"]
    assert api.send("POST", "/events", {"title": "x"}).status_code == 422


def test_an_event_above_the_callers_clearance_is_refused(client: Client) -> None:
    user = documentalist(clearance=Clearance.RESTRICTED)
    body = {
        **EVENT_BODY,
        "organisation": organisation_of(user).short_code,
        "confidentiality": "strictly_confidential",
    }
    assert Api(client, user).send("POST", "/events", body).status_code == 403


def test_a_partner_may_not_record_events_for_the_owner(client: Client) -> None:
    owner = documentalist()
    body = {**EVENT_BODY, "organisation": organisation_of(owner).short_code}
    response = Api(client, state_partner()).send("POST", "/events", body)
    assert response.status_code == 422 and "organisation" in response.json()["detail"]


def test_an_update_replaces_fields_and_acts_and_detects_a_concurrent_change(client: Client) -> None:
    user = documentalist()
    event = record_event(user)
    api = Api(client, user)
    current = api.get(f"/events/{event.pk}").json()
    threat = next(a for a in current["acts"] if a["type_of_act"]["code"] == "threat_death")
    body = {
        "title": "Death threats, renamed",
        "start_date": "2025-03-02",
        "country": "KE",
        "confidentiality": "confidential",
        "expected_version": current["version"],
        "acts": [
            {
                "id": threat["id"],
                "victim": {"id": threat["victim"]["id"]},
                "type_of_act": "threat_death",
            }
        ],
    }

    response = api.send("PUT", f"/events/{event.pk}", body)

    assert response.status_code == 200, response.json()
    assert response.json()["title"] == "Death threats, renamed"
    assert len(response.json()["acts"]) == 1
    stale = api.send("PUT", f"/events/{event.pk}", body)
    assert stale.status_code == 400 and "changed this event" in stale.json()["detail"]


def test_a_partner_cannot_change_a_shared_event(client: Client) -> None:
    owner = documentalist()
    event = record_event(owner)
    partner = state_partner()
    services.grant_sharing(owner, event, organisation=organisation_of(partner))
    body = {"title": "Changed", "confidentiality": "confidential", "acts": []}
    assert Api(client, partner).send("PUT", f"/events/{event.pk}", body).status_code == 403


def test_the_person_list_does_not_find_a_pseudonymised_person_by_name(client: Client) -> None:
    owner = documentalist()
    event = record_event(owner)
    partner = state_partner()
    services.grant_sharing(owner, event, organisation=organisation_of(partner))

    search = "/persons/search"
    assert Api(client, partner).send("POST", search, {"name": "Akinyi Odera"}).json()["items"] == []
    found = Api(client, owner).send("POST", search, {"name": "akinyi odera"}).json()["items"]
    assert [p["full_name"] for p in found] == ["Akinyi Odera"]


@pytest.mark.parametrize(
    ("path", "params", "search"),
    [
        ("/events", {"q": "hearing"}, "/events/search"),
        ("/events", {"name": "Akinyi Odera", "country": "KE"}, "/events/search"),
        ("/persons", {"name": "Akinyi Odera"}, "/persons/search"),
    ],
)
def test_search_words_and_names_in_an_address_are_refused_with_where_to_send_them(
    client: Client, path: str, params: dict[str, str], search: str
) -> None:
    response = Api(client, documentalist()).get(path, **params)

    assert response.status_code == 422
    detail = response.json()["detail"]
    assert set(detail) == set(params) - {"country"}
    assert f"POST /api/v1{search}" in next(iter(detail.values()))[0]


def test_events_are_searched_by_words_and_name_in_the_body(client: Client) -> None:
    owner = documentalist()
    event = record_event(owner)
    other = record_event(owner, title="Another event")
    api = Api(client, owner)

    by_name = api.send("POST", "/events/search", {"name": "Akinyi Odera"}).json()["items"]
    by_words = api.send("POST", "/events/search", {"q": "radio"}).json()["items"]

    assert {item["id"] for item in by_name} == {event.pk, other.pk}
    assert [item["id"] for item in by_words] == [event.pk]
    assert api.send("POST", "/events/search", {"name": "Nobody"}).json()["items"] == []
    too_long = api.send("POST", "/events/search", {"q": "x" * 201})
    assert too_long.status_code == 422


def test_a_bad_cursor_is_a_422(client: Client) -> None:
    response = Api(client, documentalist()).get("/events", cursor="%%%")
    assert response.status_code == 422


def test_a_person_is_changed_through_the_api_by_the_owner_only(client: Client) -> None:
    owner = documentalist()
    event = record_event(owner)
    person = event.acts.get(type_of_act__code="threat_death").victim
    body = {"contact": "new@example.org", "age_group": "50_64"}

    response = Api(client, owner).send("PUT", f"/persons/{person.pk}", body)

    assert response.status_code == 200, response.json()
    assert response.json()["contact"] == "new@example.org"
    assert response.json()["full_name"] == "Akinyi Odera"  # left out: unchanged
    partner = state_partner()
    services.grant_sharing(owner, event, organisation=organisation_of(partner))
    assert Api(client, partner).send("PUT", f"/persons/{person.pk}", body).status_code == 403


def test_an_act_is_added_to_an_event_and_changed(client: Client) -> None:
    user = documentalist()
    event = record_event(user)
    api = Api(client, user)
    threat = event.acts.get(type_of_act__code="threat_death")
    victim = threat.victim
    threat.remarks = "Caller named the district commissioner."
    threat.save()
    event.notes = "Follow up with the family."
    event.save()

    added = api.send(
        "POST",
        "/acts",
        {"event": event.pk, "victim": {"id": victim.pk}, "type_of_act": "surveillance_physical"},
    )

    assert added.status_code == 201, added.json()
    act_id = added.json()["id"]
    assert event.acts.count() == 3 and added.json()["victim"]["full_name"] == "Akinyi Odera"
    changed = api.send(
        "PUT",
        f"/acts/{act_id}",
        {"victim": {"id": victim.pk}, "type_of_act": "surveillance_digital", "date": "2025-02"},
    )
    assert changed.status_code == 200, changed.json()
    assert changed.json()["type_of_act"]["code"] == "surveillance_digital"
    assert changed.json()["date_precision"] == "month"
    # The other acts and their perpetrators are untouched.
    assert event.acts.count() == 3
    assert event.acts.get(type_of_act__code="threat_death").involvements.count() == 1
    # Encrypted free text the API did not send stays as it was.
    assert event.acts.get(pk=threat.pk).remarks == "Caller named the district commissioner."
    assert Event.objects.get(pk=event.pk).notes == "Follow up with the family."
    # Each change is its own action in the log and in the event's history.
    actions = list(
        AuditEntry.objects.filter(object_id=str(event.pk)).values_list("action", flat=True)
    )
    assert actions[-2:] == ["event.add_act", "event.change_act"]
    versions = event.versions.order_by("number").values_list("action", flat=True)
    assert list(versions)[-2:] == ["add_act", "change_act"]


def test_a_partner_cannot_add_an_act(client: Client) -> None:
    owner = documentalist()
    event = record_event(owner)
    partner = state_partner()
    services.grant_sharing(owner, event, organisation=organisation_of(partner))
    body = {"event": event.pk, "victim": {"full_name": "X"}, "type_of_act": "raid"}
    assert Api(client, partner).send("POST", "/acts", body).status_code == 403


PERSON_BODY: dict[str, Any] = {
    "full_name": "Wanjiru Kamau",
    "contact": "+254 700 000 042",
    "sex": "woman",
    "defender_types": ["environmental"],
    "country": "ke",
    "confidentiality": "restricted",
}


def test_a_documentalist_records_a_person_through_the_api(client: Client) -> None:
    user = documentalist()
    body = {**PERSON_BODY, "organisation": organisation_of(user).short_code}

    response = Api(client, user).send("POST", "/persons", body)

    assert response.status_code == 201, response.json()
    shown = response.json()
    assert (shown["full_name"], shown["country"]) == ("Wanjiru Kamau", "KE")
    assert [t["code"] for t in shown["defender_types"]] == ["environmental"]
    person = Person.objects.get(pk=shown["id"])
    assert person.organisation == organisation_of(user)
    assert person.confidentiality == Clearance.RESTRICTED
    entry = AuditEntry.objects.get(action="person.create", object_id=str(person.pk))
    assert "Wanjiru" not in json.dumps(entry.changes) and "700" not in json.dumps(entry.changes)


def test_a_new_persons_identifying_fields_are_encrypted_in_the_database(client: Client) -> None:
    user = documentalist()
    body = {**PERSON_BODY, "organisation": organisation_of(user).short_code}
    pk = Api(client, user).send("POST", "/persons", body).json()["id"]

    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT full_name, contact FROM {Person._meta.db_table} WHERE id = %s", [pk]
        )
        raw = cursor.fetchone()

    assert raw is not None
    assert all(value and "Wanjiru" not in value and "700" not in value for value in raw)


@pytest.mark.parametrize("role", [Role.ANALYST, None])
def test_an_analyst_or_a_partner_may_not_record_a_person(client: Client, role: str | None) -> None:
    owner = documentalist()
    organisation = organisation_of(owner)
    caller = (
        state_partner()
        if role is None
        else member(role=role, clearance=Clearance.CONFIDENTIAL, organisation=organisation)
    )
    body = {**PERSON_BODY, "organisation": organisation.short_code}

    response = Api(client, caller).send("POST", "/persons", body)

    assert response.status_code == 403
    assert response.json()["detail"]
    assert not Person.objects.filter(organisation=organisation).exists()


def test_mistakes_in_a_new_person_get_a_422_naming_the_field(client: Client) -> None:
    user = documentalist(clearance=Clearance.RESTRICTED)
    api = Api(client, user)
    organisation = organisation_of(user).short_code

    too_secret = {**PERSON_BODY, "organisation": organisation, "confidentiality": "confidential"}
    response = api.send("POST", "/persons", too_secret)
    assert response.status_code == 422
    assert response.json()["detail"] == {
        "person.confidentiality": ["This is above your own clearance."]
    }
    wrong_term = {**PERSON_BODY, "organisation": organisation, "sex": "tea party"}
    assert "person.sex" in api.send("POST", "/persons", wrong_term).json()["detail"]
    unknown = {**PERSON_BODY, "organisation": "NOWHERE"}
    assert "organisation" in api.send("POST", "/persons", unknown).json()["detail"]
    assert not Person.objects.exists()
