"""Cookie-less protection for the public forms: form tokens, proof of work, follow-up access.

Form token. Every public form carries a token made when the page was served: signed with the
secret key (so it cannot be forged), dated (it expires after conf.FORM_TOKEN_MAX_AGE) and holding
a random nonce. Django's CSRF protection cannot be used because it needs a cookie, and the
reporter must get none. What CSRF protection is for is covered otherwise: a forged cross-site
request has no session to ride on (there is none), a page on another site cannot read our token
(same-origin policy), requests a browser marks as cross-site are refused (`Sec-Fetch-Site`), and
the nonce is single-use where a replay would matter (a report or a reply cannot be sent twice).
The nonce is also the "session" that per-form rate limits count against.

Proof of work (ALTCHA-style, our own implementation). The token also fixes a puzzle: the page
shows the nonce and the SHA-256 of "<nonce>:<n>" for a secret random n ≤ POW_MAX_NUMBER, and the
browser's script (static/intake/pow.js) finds n by trying. The server never stores n: it checks
the answer against the hash in the signed token. Without JavaScript there is no answer, and the
request counts against stricter global limits instead.

Follow-up access. Entering a valid receipt returns a page whose forms carry an access token: the
submission id and an expiry, encrypted and authenticated with the key ring, so it is opaque to
whoever sees the page, cannot be altered, and lets the reporter reply without typing the receipt
again and without a cookie.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
import uuid
from dataclasses import dataclass

from django.core import signing
from django.core.cache import cache
from django.http import HttpRequest

from amparo.core import crypto
from amparo.intake import conf

_FORM_SALT = "amparo.intake.form-token"
_ACCESS_PURPOSE = "intake.follow_up_access"
_USED = "amparo:intake:used-token:"

REPORT = "report"
FOLLOW_UP = "follow-up"
REPLY = "reply"
KINDS = frozenset({REPORT, FOLLOW_UP, REPLY})


class TokenError(Exception):
    """The token is missing, forged, from another form or too old."""

    def __init__(self, expired: bool = False) -> None:
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


@dataclass(frozen=True)
class FormToken:
    value: str
    nonce: str
    kind: str
    challenge: str
    max_number: int

    @property
    def puzzle_prefix(self) -> str:
        return f"{self.nonce}:"


def _puzzle_hash(nonce: str, number: int) -> str:
    return hashlib.sha256(f"{nonce}:{number}".encode("ascii")).hexdigest()


def issue(kind: str) -> FormToken:
    if kind not in KINDS:
        raise ValueError(f"Unknown form kind {kind!r}")
    nonce = secrets.token_hex(16)
    maximum = conf.POW_MAX_NUMBER
    challenge = _puzzle_hash(nonce, secrets.randbelow(maximum + 1))
    value = signing.dumps(
        {"n": nonce, "k": kind, "c": challenge, "m": maximum}, salt=_FORM_SALT, compress=False
    )
    return FormToken(value, nonce, kind, challenge, maximum)


def read(value: str, kind: str) -> FormToken:
    """The token posted with a form of `kind`, or TokenError."""
    if not value or len(value) > 512:
        raise TokenError
    try:
        data = signing.loads(value, salt=_FORM_SALT, max_age=conf.FORM_TOKEN_MAX_AGE)
    except signing.SignatureExpired:
        raise TokenError(expired=True) from None
    except (signing.BadSignature, ValueError):
        raise TokenError from None
    if not isinstance(data, dict) or data.get("k") != kind:
        raise TokenError
    nonce, challenge, maximum = data.get("n"), data.get("c"), data.get("m")
    if not isinstance(nonce, str) or not isinstance(challenge, str) or not isinstance(maximum, int):
        raise TokenError
    return FormToken(value, nonce, kind, challenge, maximum)


def solved(token: FormToken, answer: str) -> bool:
    """Whether `answer` solves the token's proof-of-work puzzle."""
    answer = answer.strip()
    if not answer.isascii() or not answer.isdigit() or len(answer) > 9:
        return False
    number = int(answer)
    return number <= token.max_number and secrets.compare_digest(
        _puzzle_hash(token.nonce, number), token.challenge
    )


def use_once(token: FormToken) -> bool:
    """Mark the token used; False if it already was (a replay, or a double click)."""
    return bool(cache.add(_USED + token.nonce, True, timeout=conf.FORM_TOKEN_MAX_AGE))


def cross_site(request: HttpRequest) -> bool:
    """Whether the browser says this request comes from another site.

    Browsers send Sec-Fetch-Site whatever the referrer policy; with `no-referrer` the Origin
    header of a form post is "null", so it cannot serve instead."""
    return request.headers.get("Sec-Fetch-Site", "") in {"cross-site", "same-site"}


@dataclass(frozen=True)
class Access:
    value: str
    submission_id: uuid.UUID
    nonce: str


def grant_access(submission_id: uuid.UUID, nonce: str | None = None) -> Access:
    """A fresh access token; passing the previous nonce keeps the same rate-limit bucket."""
    nonce = nonce or secrets.token_hex(16)
    payload = {"s": str(submission_id), "x": int(time.time()) + conf.ACCESS_MAX_AGE, "n": nonce}
    value = crypto.encrypt_text(json.dumps(payload), _ACCESS_PURPOSE)
    return Access(value, submission_id, nonce)


def read_access(value: str) -> Access:
    if not value or len(value) > 1024:
        raise TokenError
    try:
        payload = json.loads(crypto.decrypt_text(value, _ACCESS_PURPOSE))
        submission_id = uuid.UUID(payload["s"])
        expires, nonce = int(payload["x"]), str(payload["n"])
    except (crypto.CryptoError, ValueError, KeyError, TypeError):
        raise TokenError from None
    if expires < time.time():
        raise TokenError(expired=True)
    return Access(value, submission_id, nonce)
