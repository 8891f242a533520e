"""No response to a signed-in person, and no API answer, may be kept by a browser or a proxy:
`Cache-Control: no-store` on every URL pattern, whatever the view answers. Static files stay
cacheable. (The pages that show identities, with real data: tests/cases/test_no_store.py.)"""

from __future__ import annotations

import pytest
from django.http.response import HttpResponseBase
from django.test import Client

from amparo.api import tokens
from amparo.api.urls import API_TOKEN
from amparo.core.models import Clearance, Role, User
from amparo.core.permissions import PUBLIC
from tests.cases.conftest import sign_in
from tests.factories import member
from tests.test_url_permissions import ROUTES, Route

pytestmark = pytest.mark.django_db


def _permission(route: Route) -> str | None:
    return getattr(route.callback, "amparo_permission", None)


@pytest.fixture
def administrator() -> User:
    return member(Role.ADMINISTRATOR, Clearance.STRICTLY_CONFIDENTIAL)


@pytest.fixture
def signed_in(client: Client, administrator: User) -> Client:
    return sign_in(client, administrator)


def _no_store(response: HttpResponseBase) -> bool:
    return "no-store" in response.get("Cache-Control", "")


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
def test_every_page_answers_a_signed_in_person_with_no_store(
    route: Route, signed_in: Client
) -> None:
    response = signed_in.get("/" + route.path)
    assert _no_store(response), (route.path, response.status_code, response.get("Cache-Control"))


@pytest.mark.parametrize(
    "route", [r for r in ROUTES if _permission(r) == API_TOKEN], ids=lambda r: r.name
)
def test_every_api_answer_is_no_store_with_a_token_or_without(
    route: Route, administrator: User
) -> None:
    token = tokens.issue_token(None, administrator, name="test").secret
    with_token = Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/" + route.path)
    without = Client().get("/" + route.path)
    assert _no_store(with_token), (route.path, with_token.status_code)
    assert _no_store(without), (route.path, without.status_code)


@pytest.mark.parametrize(
    "route", [r for r in ROUTES if _permission(r) != PUBLIC], ids=lambda r: r.name
)
def test_a_refusal_to_an_anonymous_visitor_is_not_cached_either(route: Route) -> None:
    assert _no_store(Client().get("/" + route.path)), route.path


def test_static_files_stay_cacheable_for_a_signed_in_person(signed_in: Client) -> None:
    response = signed_in.get("/static/amparo/amparo.css")
    assert response.status_code == 200
    assert not _no_store(response)


def test_a_public_page_seen_anonymously_decides_for_itself(client: Client) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert not _no_store(response)
