"""Mounts the API under /api/v1/ and declares each of its URLs for the URL-permission test."""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, URLResolver, include, path

from amparo.api import views
from amparo.api.main import api
from amparo.core.permissions import public

PREFIX = "api/v1/"
# Declared on every API operation view: a valid bearer token, else 401 (not a login redirect).
API_TOKEN = "api_token"
_SCHEMA_VIEWS = frozenset({"openapi-json", "openapi-view"})


def _declare(patterns: list[URLPattern | URLResolver]) -> list[URLPattern | URLResolver]:
    for pattern in patterns:
        if not isinstance(pattern, URLPattern) or pattern.name in _SCHEMA_VIEWS:
            continue  # the schema and its viewer are made public by the API's docs_decorator
        callback: Any = pattern.callback
        if pattern.name == "api-root":
            public(callback)  # shadowed by views.index; it only anchors reverse() of the API
        else:
            callback.amparo_permission = API_TOKEN
    return patterns


_patterns, _app_name, _namespace = api.urls
urlpatterns = [
    # Before the API's own patterns, whose root answers 404.
    path(PREFIX, views.index, name="api_index"),
    path(PREFIX, include((_declare(_patterns), _app_name), namespace=_namespace)),
    path("accounts/api-tokens/", views.token_list, name="api_tokens"),
    path("accounts/api-tokens/<int:pk>/revoke/", views.token_revoke, name="api_token_revoke"),
]
