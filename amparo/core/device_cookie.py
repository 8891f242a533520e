"""The device cookie: which browser a sign-in attempt comes from, without its address.

Sign-in throttling (django-axes) counts failures per client. The usual client identity, the IP
address, is what Amparo never keeps; counting per username alone lets anyone lock anyone out.
Instead, after a successful sign-in the browser receives a signed cookie: a random token and a
tag for each account that signed in from it. An attempt for account U counts

* from a browser that signed in to U before ("known"): against that browser alone;
* from any other browser, whatever its cookies or address: against all of them together, "new
  browsers" for U.

So whoever floods U's password from anywhere, with fresh browsers or stolen-looking cookies,
locks only new browsers for U, and U's own browsers still sign in. The owner on a new browser
during such an attack is told to use a browser they signed in with before, or to wait until the
flood has stopped for the cool-off time (`services.sign_in`). A cookie cannot be forged (it is
signed with SECRET_KEY) nor carried to another account (a tag binds the token to one username),
and an insider's own known browser is a new browser for every other account.

Axes never sees the real request. It sees a stand-in (`attempt_request`) that carries the
browser label where axes reads a user agent, and nothing else: no address, no header, no form
data. Its username is a keyed digest (`axes_username`). So its tables and its log lines hold
neither an IP address nor a user agent nor a username, by construction, whatever axes reads.
The settings (AXES_* in config/settings.py) point axes at the functions below.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import salted_hmac

COOKIE_NAME = "amparo_device"
COOKIE_AGE = 365 * 24 * 3600
SALT = "amparo.core.device_cookie"
# A shared browser (an office computer) remembers this many accounts, the latest first.
MAX_ACCOUNTS = 8
# The label of every browser that has not signed in to the account before.
NEW_BROWSERS = "new browsers"


@dataclass(frozen=True)
class Browser:
    token: str
    accounts: tuple[str, ...] = ()


def _normal(username: str) -> str:
    return username.strip().casefold()


def username_digest(username: str) -> str:
    """What axes stores instead of the username: its table does not list who tried to sign in."""
    return salted_hmac(f"{SALT}.username", _normal(username)).hexdigest()


def _tag(token: str, username: str) -> str:
    return salted_hmac(f"{SALT}.account", f"{token}\0{_normal(username)}").hexdigest()[:32]


def read(request: HttpRequest) -> Browser | None:
    """The browser's cookie, if it carries one that this server signed."""
    value = request.COOKIES.get(COOKIE_NAME)
    if not value:
        return None
    try:
        data = signing.loads(value, salt=SALT, max_age=COOKIE_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("t"), str):
        return None
    accounts = data.get("a")
    if not isinstance(accounts, list):
        return None
    return Browser(token=data["t"], accounts=tuple(str(a) for a in accounts))


def label(browser: Browser | None, username: str) -> str:
    """Whom a failure for `username` counts against: this browser, if it signed in to the
    account before, or else all new browsers."""
    if browser is not None:
        tag = _tag(browser.token, username)
        if tag in browser.accounts:
            return f"browser {tag}"
    return NEW_BROWSERS


def attempt_request(request: HttpRequest, username: str) -> HttpRequest:
    """The sign-in attempt as axes sees it: the browser label and nothing of the client."""
    stand_in = HttpRequest()
    stand_in.method = "POST"
    stand_in.META = {"HTTP_USER_AGENT": label(read(request), username)}
    return stand_in


def label_of(attempt: HttpRequest) -> str:
    """The label `attempt_request` gave the attempt."""
    return str(attempt.META["HTTP_USER_AGENT"])


def remember(response: HttpResponse, request: HttpRequest, username: str) -> None:
    """After a successful sign-in: this browser is now known for `username`."""
    browser = read(request) or Browser(token=secrets.token_urlsafe(16))
    tag = _tag(browser.token, username)
    accounts = [tag, *(a for a in browser.accounts if a != tag)][:MAX_ACCOUNTS]
    response.set_cookie(
        COOKIE_NAME,
        signing.dumps({"t": browser.token, "a": accounts}, salt=SALT),
        max_age=COOKIE_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


# --- what axes is told (settings AXES_USERNAME_CALLABLE, AXES_CLIENT_IP_CALLABLE,
# AXES_CLIENT_STR_CALLABLE) ------------------------------------------------------------------


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    username = (credentials or {}).get("username")
    return username_digest(username) if isinstance(username, str) and username else None


def axes_no_address(request: HttpRequest) -> None:
    """Axes asks for the client's address; it never gets one."""
    return None


def axes_client_str(
    username: str | None, ip_address: str | None, user_agent: str, path_info: str, request: Any
) -> str:
    # Axes logs this for every attempt and for sign-ins and sign-outs (when it is handed the
    # real request, `user_agent` is the real one): say nothing about the client.
    return "{a sign-in attempt}"
