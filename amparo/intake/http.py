"""What every intake page sends and how its language is chosen.

Public pages choose their language from the `lang` query parameter (every link and form action
on them carries it), falling back to the browser's Accept-Language: never from a cookie, since
the reporter gets none. Every intake page, public or staff, is sent with:

* Cache-Control: no-store, so that no browser, proxy or shared computer keeps a copy;
* a Content-Security-Policy stricter than the site-wide one: nothing at all unless listed, and
  only our own scripts, styles and images; no inline code, no connections, no frames, no plugins;
* frame denial (X-Frame-Options and frame-ancestors), against clickjacking;
* on public pages, Referrer-Policy: no-referrer (in the header and the page), so that leaving
  the page tells the next site nothing. Staff pages keep the site's same-origin policy: with
  no-referrer a browser sends "Origin: null" with every form, which Django's CSRF protection
  of the staff's forms rightly refuses. Public forms do without that protection (see tokens).

The pages themselves are sent uncompressed (their style and script are compressed by WhiteNoise):
a follow-up page carries a secret, the access token, next to text others wrote, which is the
setting in which BREACH-style attacks read secrets from the sizes of compressed responses. The
report page is kept small enough without compression (tests/intake/test_report.py checks it).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import add_never_cache_headers

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; connect-src 'none'; "
    "object-src 'none'"
)

View = TypeVar("View", bound=Callable[..., HttpResponse])


def secure_headers(response: HttpResponse) -> HttpResponse:
    """The headers every intake page gets, public or staff."""
    add_never_cache_headers(response)
    response["Cache-Control"] = "no-store, no-cache, max-age=0, must-revalidate, private"
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response["X-Frame-Options"] = "DENY"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Cross-Origin-Opener-Policy"] = "same-origin"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def language_of(request: HttpRequest) -> str:
    requested = request.GET.get("lang", "")
    if requested in {code for code, _name in settings.LANGUAGES}:
        return requested
    return translation.get_language_from_request(request) or settings.LANGUAGE_CODE


def public_page(view: View) -> View:
    """A reporter's page: its language from the URL, the secure headers, no cookie ever."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        language = language_of(request)
        with translation.override(language):
            request.LANGUAGE_CODE = language
            response = view(request, *args, **kwargs)
        response["Content-Language"] = request.LANGUAGE_CODE
        response["Referrer-Policy"] = "no-referrer"
        return secure_headers(response)

    return wrapped  # type: ignore[return-value]


def staff_page(view: View) -> View:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return secure_headers(view(request, *args, **kwargs))

    return wrapped  # type: ignore[return-value]
