"""Every URL pattern declares who may reach it, and refuses everyone else.

New views are picked up automatically: a view without a declaration fails here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter, SlugConverter, StringConverter, UUIDConverter

from amparo.api.urls import API_TOKEN
from amparo.core.permissions import PUBLIC, SIGNED_IN
from amparo.portal.converters import LanguagePrefixConverter
from tests.factories import UserFactory

SAMPLE_BY_CONVERTER = {
    IntConverter: "1",
    SlugConverter: "sample",
    StringConverter: "sample",
    UUIDConverter: "00000000-0000-0000-0000-000000000000",
    LanguagePrefixConverter: "fr/",
}

# Django's own views that we mount and their declared rule.
THIRD_PARTY_ALLOWED: dict[str, str] = {}


@dataclass(frozen=True)
class Route:
    name: str
    path: str
    callback: Any


def _routes(resolver: URLResolver, prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _routes(entry, prefix + _concrete(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            yield Route(
                f"{namespace}{entry.name}", prefix + _concrete(entry.pattern), entry.callback
            )


def _concrete(pattern: Any) -> str:
    """The pattern with each converter replaced by a sample value it accepts."""
    converters = getattr(pattern, "converters", {})
    return re.sub(
        r"<(?:\w+:)?(\w+)>",
        lambda match: SAMPLE_BY_CONVERTER[type(converters[match.group(1)])],
        str(pattern),
    )


ROUTES = sorted(_routes(get_resolver()), key=lambda r: r.name)


def _permission(route: Route) -> str | None:
    return getattr(route.callback, "amparo_permission", None) or THIRD_PARTY_ALLOWED.get(route.name)


def test_the_suite_sees_the_url_patterns() -> None:
    assert len(ROUTES) >= 10


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
def test_every_view_declares_its_permission(route: Route) -> None:
    assert _permission(route), (
        f"{route.name} ({route.path}) declares no permission: decorate the view with "
        "amparo.core.permissions.public, signed_in or requires(rule)."
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "route", [r for r in ROUTES if _permission(r) != PUBLIC], ids=lambda r: r.name
)
def test_anonymous_visitors_are_sent_to_login(route: Route, client: Client) -> None:
    for method in ("get", "post"):
        response = getattr(client, method)("/" + route.path)
        if _permission(route) == API_TOKEN:  # 401, or 405 for a method the path does not offer;
            # tests/test_api_permissions.py checks every operation of the API
            assert response.status_code in (401, 405), f"{method.upper()} {route.path}"
            continue
        assert response.status_code == 302, f"{method.upper()} {route.path}"
        assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "route",
    [r for r in ROUTES if _permission(r) not in (PUBLIC, SIGNED_IN, API_TOKEN)],
    ids=lambda r: r.name,
)
def test_signed_in_users_without_the_rule_are_refused(route: Route, client: Client) -> None:
    client.force_login(UserFactory())  # no membership: holds no rule
    for method in ("get", "post"):
        response = getattr(client, method)("/" + route.path)
        assert response.status_code == 403, f"{method.upper()} {route.path}"
