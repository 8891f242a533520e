"""Session generation (log out everywhere), mandatory two-factor, security headers, no-store."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve
from django.utils.cache import add_never_cache_headers

from amparo.core import access
from amparo.core.permissions import PUBLIC

SESSION_GENERATION_KEY = "amparo_session_generation"

# Pages a signed-in person who has not yet passed two-factor may still open.
TWO_FACTOR_EXEMPT_URL_NAMES = frozenset(
    {"core:login", "core:logout", "core:otp_verify", "core:otp_enrol", "set_language"}
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
    """The headers django-csp does not set (the Content-Security-Policy is its own, settings
    CONTENT_SECURITY_POLICY): no shared browsing context, no camera, microphone or place."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        return response


class NoStoreMiddleware:
    """Nothing a signed-in person was shown may stay in a cache: back, history or a shared
    computer's disk would show a defender's name to the next person at the keyboard.

    `Cache-Control: no-store` (with Django's other never-cache headers) on every response to a
    signed-in request, to a request that carries credentials (API tokens), and from every view
    that is not declared public (the API's operations, answering 401 too). Static files are
    served before this middleware (WhiteNoise) and stay cacheable; public pages seen by
    anonymous visitors decide for themselves."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith(settings.STATIC_URL):
            return response
        match = request.resolver_match
        view_is_public = match is not None and (
            getattr(match.func, "amparo_permission", None) == PUBLIC
        )
        if (
            request.user.is_authenticated
            or "Authorization" in request.headers
            or (match is not None and not view_is_public)
        ):
            add_never_cache_headers(response)
        return response
