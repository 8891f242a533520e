"""The API at /api/v1/: each app's `api.py` router, one token auth, one way of saying no.

Every operation requires a token (the API-wide `auth`); tests/test_api_permissions.py checks that
no operation opts out. Domain refusals become 4xx answers with a message, never a 500.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

from django.apps import apps
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Router

from amparo.api.auth import TokenAuth
from amparo.core.permissions import public
from amparo.core.services import DomainError

api = NinjaAPI(
    title="Amparo API",
    version="1",
    description=(
        "Case documentation of attacks on human rights defenders. Authenticate with a personal "
        "token: `Authorization: Bearer amp_…` (create one under My account → API tokens, or with "
        "`amparo api-token create`). Every answer applies the same need-to-know and consent "
        "rules as the web pages."
    ),
    auth=TokenAuth(),
    urls_namespace="api",
    # The schema describes the API of this free software, not its data.
    docs_decorator=public,
)


def _error(request: HttpRequest, status: int, detail: Any) -> HttpResponse:
    return api.create_response(request, {"detail": detail}, status=status)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, error: DomainError) -> HttpResponse:
    return _error(request, 400, str(error))


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, error: ValidationError) -> HttpResponse:
    detail: Any = error.message_dict if hasattr(error, "error_dict") else error.messages
    return _error(request, 422, detail)


@api.exception_handler(PermissionDenied)
def permission_denied(request: HttpRequest, error: PermissionDenied) -> HttpResponse:
    return _error(request, 403, str(error) or _("You may not do this."))


@api.exception_handler(Http404)
def not_found(request: HttpRequest, error: Exception) -> HttpResponse:
    return _error(request, 404, _("Not found, or not visible to you."))


@api.exception_handler(ObjectDoesNotExist)
def object_not_found(request: HttpRequest, error: ObjectDoesNotExist) -> HttpResponse:
    return not_found(request, error)


def _add_routers() -> None:
    """Mount the `router` of every installed app's `api` module: the apps do not import the
    api app, and a new app's API appears by having one."""
    for config in apps.get_app_configs():
        name = f"{config.name}.api"
        if config.name.startswith("amparo.") and importlib.util.find_spec(name) is not None:
            router = getattr(importlib.import_module(name), "router", None)
            if isinstance(router, Router):
                api.add_router("/", router)


_add_routers()
