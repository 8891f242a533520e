"""The API's index at /api/v1/, and a staff member's own API tokens: list, create (shown once),
revoke."""

from __future__ import annotations

from functools import cache

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from amparo.api import access, tokens
from amparo.api.forms import TokenForm
from amparo.api.main import api
from amparo.api.models import ApiToken
from amparo.core.permissions import public, signed_in, signed_in_user
from amparo.core.services import DomainError

HTTP_METHODS = ("get", "post", "put", "patch", "delete")


@cache
def _operations() -> list[dict[str, str]]:
    """Every operation of the API, from its OpenAPI schema (the same for every caller)."""
    schema = api.get_openapi_schema(path_params={})
    return [
        {"method": method.upper(), "path": path, "summary": operation.get("summary", "")}
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
        if method in HTTP_METHODS
    ]


# Public, like the schema it points to: it describes this free software's API, not its data.
@public
@require_GET
def index(request: HttpRequest) -> JsonResponse:
    """Where to start: the documentation, the schema, how to authenticate, the operations."""
    return JsonResponse(
        {
            "name": api.title,
            "version": api.version,
            "documentation": reverse("api:openapi-view"),
            "openapi": reverse("api:openapi-json"),
            "authentication": (
                "Authorization: Bearer amp_… — a personal token, created under My account → "
                "API tokens or with `amparo api-token create`."
            ),
            "operations": _operations(),
        },
        json_dumps_params={"ensure_ascii": False},
    )


@signed_in
def token_list(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    form = TokenForm(request.POST or None)
    secret = None
    if request.method == "POST" and form.is_valid():
        try:
            issued = tokens.issue_token(
                user, user, name=form.cleaned_data["name"], days=form.cleaned_data["days"]
            )
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            secret = issued.secret
            form = TokenForm()
    return render(
        request,
        "api/token_list.html",
        {
            "form": form,
            "secret": secret,
            "may_hold": access.may_hold_token(user),
            "tokens": ApiToken.objects.filter(user=user),
        },
    )


@signed_in
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    token = get_object_or_404(ApiToken, pk=pk, user=user)
    try:
        tokens.revoke_token(user, token)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The token is revoked."))
    return redirect("api_tokens")
