"""Every operation of the API requires a token: none answers without one, none opts out."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from amparo.api.main import api
from amparo.api.urls import PREFIX

SCHEMA: dict[str, Any] = api.get_openapi_schema(path_params={})
OPERATIONS = [
    (method.upper(), path)
    for path, methods in SCHEMA["paths"].items()
    for method in methods
    if method in {"get", "post", "put", "patch", "delete"}
]


def test_the_api_has_operations() -> None:
    assert len(OPERATIONS) >= 8


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_every_operation_declares_token_authentication(method: str, path: str) -> None:
    operation = SCHEMA["paths"][path][method.lower()]
    assert operation.get("security"), f"{method} {path} does not require a token"


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path"), OPERATIONS)
@pytest.mark.parametrize("authorization", [None, "Bearer amp_not-a-token", "Basic eDp5"])
def test_every_operation_refuses_a_caller_without_a_valid_token(
    method: str, path: str, authorization: str | None, client: Client
) -> None:
    url = re.sub(r"\{[^}]+\}", "1", path)
    assert url.startswith("/" + PREFIX)
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    response = client.generic(method, url, "{}", content_type="application/json", **headers)
    assert response.status_code == 401
    assert response.json()["detail"]


def test_the_schema_is_public(client: Client) -> None:
    response = client.get("/" + PREFIX + "openapi.json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Amparo API"
