"""Bearer-token authentication for the API: `Authorization: Bearer amp_…`."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from amparo.api import tokens
from amparo.core.models import User


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = tokens.user_for_token(token)
        if user is not None:
            # The same object the web views read: each app's API asks `signed_in_user`.
            request.user = user
        return user
