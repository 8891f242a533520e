"""Cookie-less protection for the public forms: form tokens, proof of work, follow-up access.

Form token. Every public form carries a token made when the page was served: signed with the
secret key (so it cannot be forged), dated (it expires after conf.FORM_TOKEN_MAX_AGE) and holding
a random nonce. Django's CSRF protection cannot be used because it needs a cookie, and the
reporter must get none. What CSRF protection is for is covered otherwise: a forged cross-site
request has no session to ride on (there is none), a page on another site cannot read our token
(same-origin policy), requests a browser marks as cross-site are refused (`Sec-Fetch-Site`), and
the nonce is single-use where a replay would matter (a report or a reply cannot be sent twice).
Every form is single-use: `services.admission` records its nonce when it is sent.

Proof of work (hashcash-style, our own implementation). The browser's script (static/intake/
pow.js) looks for a number n such that SHA-256("<nonce>:<n>") starts with at least the number of
zero bits the page asks for, and sends it with the form; checking it costs the server one hash.
The bits a page asks for are those the load called for when it was served; the server asks for
those the load calls for when the form arrives (`services.admission`), so the script keeps
looking for a better n, a little past the page's figure, while the reporter writes. Without
JavaScript there is no answer, and the form counts against a budget for such forms instead.

Follow-up access. Entering a valid receipt returns a page whose forms carry an access token: the
submission id and an expiry, encrypted and authenticated with the key ring, so it is opaque to
whoever sees the page, cannot be altered, and lets the reporter reply without typing the receipt
again and without a cookie.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
import time
import uuid
from dataclasses import dataclass, field

from django.core import signing
from django.http import HttpRequest

from amparo.core import crypto
from amparo.intake import conf

_FORM_SALT = "amparo.intake.form-token"
_ACCESS_PURPOSE = "intake.follow_up_access"
_MAX_ANSWER_DIGITS = 12

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
    # The zero bits the page asks the browser for.
    bits: int

    @property
    def puzzle_prefix(self) -> str:
        return f"{self.nonce}:"


def issue(kind: str, bits: int) -> FormToken:
    if kind not in KINDS:
        raise ValueError(f"Unknown form kind {kind!r}")
    nonce = secrets.token_hex(16)
    value = signing.dumps({"n": nonce, "k": kind, "b": bits}, salt=_FORM_SALT, compress=False)
    return FormToken(value, nonce, kind, bits)


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
    nonce, bits = data.get("n"), data.get("b")
    if not isinstance(nonce, str) or not isinstance(bits, int):
        raise TokenError
    return FormToken(value, nonce, kind, bits)


def zero_bits(digest: bytes) -> int:
    """How many zero bits `digest` starts with."""
    value = int.from_bytes(digest, "big")
    return len(digest) * 8 - value.bit_length()


def work(token: FormToken, answer: str) -> int:
    """The zero bits `answer` achieves on the token's puzzle (0 for no or a malformed answer)."""
    answer = answer.strip()
    if not answer.isascii() or not answer.isdigit() or len(answer) > _MAX_ANSWER_DIGITS:
        return 0
    return zero_bits(hashlib.sha256(f"{token.puzzle_prefix}{answer}".encode("ascii")).digest())


def cross_site(request: HttpRequest) -> bool:
    """Whether the browser says this request comes from another site.

    Browsers send Sec-Fetch-Site whatever the referrer policy; with `no-referrer` the Origin
    header of a form post is "null", so it cannot serve instead."""
    return request.headers.get("Sec-Fetch-Site", "") in {"cross-site", "same-site"}


@dataclass(frozen=True)
class Access:
    value: str
    submission_id: uuid.UUID
    # The report's data key, as the receipt opened it: the page carries it (encrypted) so that
    # the reply form works without the receipt typed again. The server keeps no copy.
    data_key: bytes | None = field(default=None, repr=False)


def grant_access(submission_id: uuid.UUID, data_key: bytes | None = None) -> Access:
    """A fresh access token to the follow-up page of `submission_id`."""
    payload: dict[str, object] = {
        "s": str(submission_id),
        "x": int(time.time()) + conf.ACCESS_MAX_AGE,
    }
    if data_key is not None:
        payload["k"] = base64.b64encode(data_key).decode("ascii")
    value = crypto.encrypt_text(json.dumps(payload), _ACCESS_PURPOSE)
    return Access(value, submission_id, data_key)


def read_access(value: str) -> Access:
    if not value or len(value) > 1024:
        raise TokenError
    try:
        payload = json.loads(crypto.decrypt_text(value, _ACCESS_PURPOSE))
        submission_id = uuid.UUID(payload["s"])
        expires = int(payload["x"])
        data_key = base64.b64decode(payload["k"]) if "k" in payload else None
    except (crypto.CryptoError, ValueError, KeyError, TypeError, binascii.Error):
        raise TokenError from None
    if expires < time.time():
        raise TokenError(expired=True)
    return Access(value, submission_id, data_key)
