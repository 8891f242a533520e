from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest

from amparo.core.middleware import SESSION_GENERATION_KEY
from amparo.core.models import User


@receiver(user_logged_in)
def remember_session_generation(
    sender: Any, request: HttpRequest | None, user: User, **kwargs: Any
) -> None:
    """Stamp every new session so that "log out everywhere" can end it later."""
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_GENERATION_KEY] = user.session_generation
