"""Session generation (log out everywhere), mandatory two-factor, security headers."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve

from amparo.core import access

SESSION_GENERATION_KEY = "amparo_session_generation"

# Pages a signed-in person who has not yet passed two-factor may still open.
TWO_FACTOR_EXEMPT_URL_NAMES = frozenset(
    {"core:login", "core:logout", "core:otp_verify", "core:otp_enrol", "set_language"}
)

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


class SessionGenerationMiddleware:
    """End sessions opened before the user's last "log out everywhere"."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            opened_in = request.session.get(SESSION_GENERATION_KEY)
            if opened_in != user.session_generation:
                logout(request)
        return self.get_response(request)


class RequireTwoFactorMiddleware:
    """A signed-in user whose roles need two-factor sees only the 2FA pages until verified."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and not access.two_factor_verified(user)
            and not request.path.startswith(settings.STATIC_URL)
            and access.needs_two_factor(user)
        ):
            try:
                name = resolve(request.path_info).view_name
            except Resolver404:
                name = ""
            if name not in TWO_FACTOR_EXEMPT_URL_NAMES:
                from django_otp import user_has_device

                target = "core:otp_verify" if user_has_device(user) else "core:otp_enrol"
                return redirect(target)
        return self.get_response(request)


class SecurityHeadersMiddleware:
    """A strict Content-Security-Policy with no external source, on every response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        return response
