"""Every view declares who may reach it, in one of three ways.

- `public`: anyone, logged in or not (login page, language switch, the intake channel).
- `signed_in`: any staff member who has logged in (and passed two-factor where required).
- `requires(rule)`: a signed-in member for whom `amparo.core.access.has_rule(user, rule)` holds.

Object-level rules (may this user see *this* record?) are checked by each app's `access.py`
inside the view. `tests/test_url_permissions.py` enumerates every URL pattern and fails when a
view carries none of these declarations or is reachable by someone it should refuse.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from amparo.core.models import User

View = TypeVar("View", bound=Callable[..., Any])

PUBLIC = "public"
SIGNED_IN = "signed_in"


def signed_in_user(request: HttpRequest) -> User:
    """The user of a request that a `signed_in` or `requires` view lets through."""
    user = request.user
    assert isinstance(user, User), "only for views declared signed_in or requires(rule)"
    return user


def public(view: View) -> View:
    view.amparo_permission = PUBLIC  # type: ignore[attr-defined]
    return view


def _guard(view: Callable[..., HttpResponse], rule: str | None) -> Callable[..., HttpResponse]:
    from amparo.core import access

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if rule is not None and not access.has_rule(request.user, rule):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    guarded.amparo_permission = rule or SIGNED_IN  # type: ignore[attr-defined]
    return guarded


def signed_in(view: View) -> View:
    return _guard(view, None)  # type: ignore[return-value]


def requires(rule: str) -> Callable[[View], View]:
    def decorate(view: View) -> View:
        return _guard(view, rule)  # type: ignore[return-value]

    return decorate
