"""A staff member's own API tokens: list, create (shown once), revoke."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from amparo.api import tokens
from amparo.api.forms import TokenForm
from amparo.api.models import ApiToken
from amparo.core.permissions import signed_in, signed_in_user
from amparo.core.services import DomainError


@signed_in
@never_cache
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
            "may_hold": tokens.may_hold_token(user),
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
