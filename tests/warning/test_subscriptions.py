"""Saved searches: a subscriber is told of new alerts and cases that match and that they may see,
and of nothing else; bad filters are refused and write nothing."""

from __future__ import annotations

import json

import pytest
from django.core import mail
from django.test import Client

from amparo.core.models import Clearance, Role
from amparo.core.services import DomainError
from amparo.warning.models import Alert, Notification, Subscription
from amparo.warning.services import evaluation, subscriptions
from tests.factories import member
from tests.warning.conftest import World, days_ago, record_act, sign_in

pytestmark = pytest.mark.django_db


def subscribe(user: object, **fields: object) -> Subscription:
    given = {"name": "Kenya", "target": "alerts", **fields}
    return subscriptions.subscribe(user, subscriptions.SubscriptionInput(**given))  # type: ignore[arg-type]


def test_a_subscriber_is_told_of_new_alerts_they_may_see_only(
    escalating: World, django_capture_on_commit_callbacks: object
) -> None:
    subscribe(escalating.analyst, countries=["KE"], min_level="high")
    subscribe(escalating.outsider, countries=["KE"], min_level="low")
    elsewhere = member(Role.ANALYST, Clearance.STRICTLY_CONFIDENTIAL, escalating.nhri)
    subscribe(elsewhere, countries=["UG"])
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        evaluation.evaluate([escalating.defender.pk])
    alerts = Alert.objects.filter(level__in=["high", "extreme"]).count()
    assert Notification.objects.filter(user=escalating.analyst).count() == alerts
    assert not Notification.objects.filter(user=escalating.outsider).exists()
    assert not Notification.objects.filter(user=elsewhere).exists()
    assert escalating.analyst.email in {a for m in mail.outbox for a in m.to}
    assert escalating.outsider.email not in {a for m in mail.outbox for a in m.to}


def test_a_subscriber_is_told_how_many_new_cases_match_and_not_which(
    world: World, django_capture_on_commit_callbacks: object
) -> None:
    saved = subscribe(
        world.analyst, name="Wanjiru's threats", target="cases", acts=["threat"], countries=["KE"]
    )
    subscribe(world.outsider, target="cases", acts=["threat"])
    Subscription.objects.update(checked_at=saved.created_at.replace(year=2000))
    record_act(world.defender, "threat_death", days_ago(2))
    record_act(world.defender, "surveillance_physical", days_ago(1))
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        news = subscriptions.check_case_subscriptions()
    assert news == {saved.pk: 1}
    (message,) = mail.outbox
    assert message.to == [world.analyst.email] and "1 new case matches" in message.body
    assert "Wanjiru" not in message.subject + message.body
    assert subscriptions.check_case_subscriptions() == {}


def test_bad_filters_are_refused_and_write_nothing(world: World) -> None:
    for fields in (
        {"name": " "},
        {"target": "rumours"},
        {"countries": ["XX"]},
        {"acts": ["gossip"]},
        {"defender_types": ["spy"]},
        {"min_level": "apocalyptic"},
    ):
        with pytest.raises(DomainError):
            subscribe(world.analyst, **fields)
    assert not Subscription.objects.exists()


def test_saved_searches_page_saves_and_deletes_only_ones_own(client: Client, world: World) -> None:
    page = sign_in(client, world.analyst)
    saved = page.post(
        "/warning/subscriptions/",
        {
            "name": "Lawyers",
            "target": "alerts",
            "countries": "ke",
            "min_level": "high",
            "defender_types": ["lawyer"],
        },
    )
    assert saved.status_code == 302
    mine = Subscription.objects.get(user=world.analyst)
    assert mine.countries == ["KE"] and mine.defender_types == ["lawyer"]
    theirs = subscribe(world.documentalist)
    page.post(f"/warning/subscriptions/{theirs.pk}/delete/")
    assert Subscription.objects.filter(pk=theirs.pk).exists()
    page.post(f"/warning/subscriptions/{mine.pk}/delete/")
    assert not Subscription.objects.filter(pk=mine.pk).exists()


def test_saved_searches_through_the_api_are_the_callers_own(
    client: Client, escalating: World
) -> None:
    from amparo.api import tokens

    def as_user(user: object) -> dict[str, str]:
        secret = tokens.issue_token(None, user, name="t").secret  # type: ignore[arg-type]
        return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}

    analyst, outsider = as_user(escalating.analyst), as_user(escalating.outsider)
    url = "/api/v1/warning/subscriptions"
    body = {"name": "Kenya lawyers", "target": "alerts", "countries": ["ke"], "min_level": "high"}
    created = client.post(url, json.dumps(body), content_type="application/json", **analyst)
    assert created.status_code == 201
    saved = created.json()
    assert saved["countries"] == ["KE"] and saved["target"] == "alerts"
    theirs = subscribe(escalating.outsider, name="Uganda")
    listed = client.get(url, **analyst).json()
    assert [s["id"] for s in listed] == [saved["id"]]
    assert [s["id"] for s in client.get(url, **outsider).json()] == [theirs.pk]

    # Another user's saved search: not found, and still there.
    assert client.delete(f"{url}/{theirs.pk}", **analyst).status_code == 404
    assert Subscription.objects.filter(pk=theirs.pk).exists()
    assert client.delete(f"{url}/{saved['id']}", **outsider).status_code == 404

    bad = dict(body, countries=["XX"])
    refused = client.post(url, json.dumps(bad), content_type="application/json", **analyst)
    assert refused.status_code == 400 and refused.json()["detail"]
    assert Subscription.objects.filter(user=escalating.analyst).count() == 1

    assert client.delete(f"{url}/{saved['id']}", **analyst).status_code == 204
    assert not Subscription.objects.filter(user=escalating.analyst).exists()
    assert client.get(url, **analyst).json() == []


def test_deleting_anothers_saved_search_from_the_page_is_not_found(
    client: Client, world: World
) -> None:
    theirs = subscribe(world.documentalist)
    answer = sign_in(client, world.analyst).post(f"/warning/subscriptions/{theirs.pk}/delete/")
    assert answer.status_code == 404 and Subscription.objects.filter(pk=theirs.pk).exists()
