"""The keys unlocked for this request, and how a session keeps them without the server holding
them.

A `Keychain` holds the organisation private keys a person unlocked at login (by OrganisationKey
id), their own private key (by PersonalKey id: it opens the data keys sealed to them alone, such
as a steering-group seat's), and the data keys opened with them during the request.
`current()` is the keychain of the running request (a context variable): the middleware opens
it from the session at the start of each request and clears it at the end; code outside a
request (tasks, commands) gets an empty keychain, so it reads sealed fields as locked.

Between requests the organisation keys stay in the session row, encrypted under a random secret
that only the browser holds, in its own cookie (HttpOnly, Secure, SameSite as the session
cookie's: Lax). A copy of the session table without the cookie is useless; the cookie without the
session row is a random number. Logging out flushes the session, and the middleware deletes the
cookie of any request that has no signed-in user.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import contextvars
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest, HttpResponse

from amparo.core import sealing

COOKIE_NAME = "amparo_keys"
SESSION_KEY = "amparo_unlocked_keys"
_SESSION_AAD = b"amparo session keys/1:"


# What a data key is sealed to: (organisation id, clearance level, purpose).
Scope = tuple[int, int, str]


@dataclass
class WritingKey:
    """A data key made in this request or job for new rows. `pending` is the on-commit callback
    of the transaction that made it while that transaction is open (None once committed, or when
    made outside one): if the transaction rolls back, its key no longer exists."""

    id: uuid.UUID
    pending: Callable[[], None] | None = None


@dataclass
class Keychain:
    """Organisation private keys (by OrganisationKey id), the person's own private key (by
    PersonalKey id), and the data keys opened with them."""

    organisation_keys: dict[int, bytes] = field(default_factory=dict, repr=False)
    # The signed-in person's private key, for the data keys sealed to them alone
    # (`DataKeyCopy.personal_key`); at most one.
    personal_keys: dict[int, bytes] = field(default_factory=dict, repr=False)
    data_keys: dict[uuid.UUID, bytes] = field(default_factory=dict, repr=False)
    # Organisation keys taken out of the server's custody to be granted (amparo.core.custody):
    # never read with, never kept in a session.
    custody: dict[int, bytes] = field(default_factory=dict, repr=False)
    # The data key that rows written here are sealed with, by scope: one per request or job,
    # not one per row (`custody.writing_key`), each with the callback that marks it committed
    # while its transaction is open.
    writing_keys: dict[Scope, WritingKey] = field(default_factory=dict, repr=False)
    # The (organisation id, level, purpose) each data key known here is sealed to.
    key_scopes: dict[uuid.UUID, Scope] = field(default_factory=dict, repr=False)
    # Data keys that the keys held here (the set recorded with each, `held`) did not open: not
    # asked for again, once per row, while those are all the keys held.
    unopened: dict[uuid.UUID, frozenset[str]] = field(default_factory=dict, repr=False)
    # Each organisation's index key (the id of its data key), by (organisation id, purpose),
    # once looked up: an import indexes thousands of names with one look-up.
    index_keys: dict[tuple[int, str], uuid.UUID] = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        return f"Keychain({sorted(self.organisation_keys)} organisation keys)"

    def __bool__(self) -> bool:
        return bool(self.organisation_keys or self.personal_keys or self.data_keys)

    def held(self) -> frozenset[str]:
        """Which private keys are held here: what `unopened` is recorded against."""
        return frozenset(
            [*(f"o{pk}" for pk in self.organisation_keys), *(f"p{pk}" for pk in self.personal_keys)]
        )

    def clear(self) -> None:
        """Forget every key (the end of a request or job)."""
        self.organisation_keys.clear()
        self.personal_keys.clear()
        self.data_keys.clear()
        self.custody.clear()
        self.writing_keys.clear()
        self.key_scopes.clear()
        self.unopened.clear()
        self.index_keys.clear()

    def to_bytes(self) -> bytes:
        """The private keys (never data keys): organisation keys under their ids, the personal
        key under "p" and its id."""
        document = {
            str(pk): base64.b64encode(key).decode() for pk, key in self.organisation_keys.items()
        }
        document.update(
            {f"p{pk}": base64.b64encode(key).decode() for pk, key in self.personal_keys.items()}
        )
        return json.dumps(document).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> Keychain:
        document = json.loads(data)
        return cls(
            organisation_keys={
                int(pk): base64.b64decode(key) for pk, key in document.items() if pk.isdigit()
            },
            personal_keys={
                int(pk[1:]): base64.b64decode(key)
                for pk, key in document.items()
                if pk.startswith("p") and pk[1:].isdigit()
            },
        )


_current: contextvars.ContextVar[Keychain | None] = contextvars.ContextVar(
    "amparo_keychain", default=None
)


def current() -> Keychain:
    """The keychain of the running request or job; an empty one outside (nothing unlocked)."""
    keychain = _current.get()
    if keychain is None:
        keychain = Keychain()
        _current.set(keychain)
    return keychain


@contextlib.contextmanager
def using(keychain: Keychain) -> Iterator[Keychain]:
    """Run a block with `keychain` as the current one (a request, a job on behalf of a person)."""
    token = _current.set(keychain)
    try:
        yield keychain
    finally:
        _current.reset(token)


# --- the session's copy -------------------------------------------------------------------------


def _aad(session_generation: int, user_id: object) -> bytes:
    return _SESSION_AAD + f"{user_id}:{session_generation}".encode()


def keep_in_session(
    session: SessionBase, keychain: Keychain, *, user_id: object, generation: int
) -> str:
    """Store `keychain` in `session` encrypted under a new random secret; returns the secret,
    for the cookie (`set_cookie`). The server keeps no copy of it."""
    secret = sealing.new_secret()
    wrapped = sealing.wrap(secret, keychain.to_bytes(), _aad(generation, user_id))
    session[SESSION_KEY] = base64.b64encode(wrapped).decode()
    return base64.urlsafe_b64encode(secret).decode().rstrip("=")


def from_session(
    session: SessionBase, cookie: str, *, user_id: object, generation: int
) -> Keychain:
    """The keychain kept in `session`, opened with the cookie's secret; empty if either is
    missing or they do not belong together."""
    stored = session.get(SESSION_KEY)
    if not stored or not cookie:
        return Keychain()
    try:
        secret = base64.urlsafe_b64decode(cookie + "=" * (-len(cookie) % 4))
        data = sealing.unwrap(secret, base64.b64decode(stored), _aad(generation, user_id))
        return Keychain.from_bytes(data)
    except (sealing.SealingError, binascii.Error, ValueError, TypeError):
        return Keychain()


def set_cookie(response: HttpResponse, secret: str) -> None:
    response.set_cookie(
        COOKIE_NAME,
        secret,
        max_age=None,  # a browser-session cookie: closing the browser forgets it
        path="/",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        # As the session cookie: a link from an e-mail (a notice, an alert) opens the page with
        # the keys. Strict bought nothing (the session cookie already signs such a visit in, and
        # another site cannot read the page) and showed the first page "locked".
        samesite="Lax",
    )


def drop_cookie(response: HttpResponse) -> None:
    response.delete_cookie(COOKIE_NAME, path="/", samesite="Lax")


class UnlockedKeysMiddleware:
    """Open the signed-in person's keys for this request, and clear them at its end.

    After the session-generation middleware, so a session ended by "log out everywhere" opens
    nothing. A request with no signed-in user loses the cookie."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        keychain = Keychain()
        if user.is_authenticated:
            keychain = from_session(
                request.session,
                request.COOKIES.get(COOKIE_NAME, ""),
                user_id=user.pk,
                generation=getattr(user, "session_generation", 0),
            )
        with using(keychain):
            response = self.get_response(request)
        keychain.clear()
        if COOKIE_NAME in request.COOKIES and not request.user.is_authenticated:
            drop_cookie(response)
        return response
