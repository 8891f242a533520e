"""The server's key ring: field encryption, blind indexes, the audit chain's key.

The key ring is a JSON file outside the repository, named by the AMPARO_KEY_FILE setting. It
holds keys for named *purposes*, each with one primary key and any number of older ones::

    {
      "format": "amparo-keyring/2",
      "primary": {"data": "3fa9c0d1", "index": "77c2e0a4", "audit": "b01d93fe",
                  "derivation": "5e8a1c2d"},
      "keys": [
        {"id": "3fa9c0d1", "purpose": "data", "key": "<base64 of 32 random bytes>",
         "created_at": "2025-11-23T14:00:00+00:00"},
        ...
      ]
    }

Purposes:

data
    AES-256-GCM keys for encrypted fields. A ciphertext is text that names its key, so any key in
    the ring decrypts and `amparo keys` finds the rows under a key with a prefix match in SQL::

        amp1:<key id>:<base64url(nonce ‖ AES-GCM ciphertext ‖ tag)>

    The associated data binds each ciphertext to its field ("purpose" in the other sense: which
    model field it belongs to), so a ciphertext copied into another column fails to decrypt.
index
    HMAC-SHA256 keys for blind indexes (exact-match lookups on encrypted fields). An index value
    names its key too, `<key id>:<hex digits>`, cut to the column's 64 characters (at least 124
    bits of HMAC remain); lookups try every index key in the ring, so rows not yet recomputed
    under a new key are still found while `amparo keys promote` recomputes them.
audit
    HMAC-SHA256 keys for the audit chain (amparo.core.audit). Each entry names its key, so the
    key can change without touching a single old entry; an audit key is kept for as long as the
    log holds an entry that names it, which, the log being append-only, is for ever.
derivation
    One key, never rotated, for keyed digests that must keep their value for the life of the
    installation: the intake receipts' salt (a receipt is stored only as a hash: a new salt would
    lock every reporter out) and the pseudonyms partners see.

Every key id is unique in the whole ring, so a command can name a key by its id alone.

Format 1 (`amparo-keyring/1`: "primary", "keys" and one "blind_index_key") is still read, as
what it was: its keys are the data keys; its blind index key is the index key "v1-index", whose
index values carry no key id (64 bare hex digits, as before), and the derivation key
"v1-derivation", so receipts and pseudonyms keep their values; its audit key "v1-audit" is
derived from it with HKDF, so that every server holding the same file keys the chain alike
without a file being rewritten. The first `amparo keys` command that changes the ring writes it
in format 2 with these keys spelt out; `amparo keys rotate --purpose audit` (or index) then
replaces them by independent random keys.

The ring keeps what belongs to no person. Issue 16 moves identifying fields to organisation and
personal keys; data and index keys then leave this file, and the purposes that stay (audit,
derivation) gain siblings (form tokens, sessions) in the same shape.

Nothing here logs or puts plaintext, ciphertext or key material into an exception message.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import enum
import functools
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import stat
import tempfile
import threading
import time
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.translation import gettext as _

from amparo.core.private_files import create_private_directory

logger = logging.getLogger(__name__)

KEYRING_FORMAT = "amparo-keyring/2"
KEYRING_FORMAT_1 = "amparo-keyring/1"
CIPHERTEXT_VERSION = "amp1"
KEY_BYTES = 32  # AES-256; HMAC-SHA256 keys of the same size
NONCE_BYTES = 12  # 96 bits: the size GCM is specified for; random nonces are safe up to ~2**32
TAG_BYTES = 16
INDEX_LENGTH = 64  # the BlindIndexField column
# Lower case only: SQLite's LIKE ignores ASCII case, and rotation selects rows by key id prefix.
KEY_ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
# What an index under an organisation's index key starts with (`organisation_index_value`): a
# dot, which no key id of the ring holds, so rotation's prefix matches never take one for theirs.
ORGANISATION_INDEX_PREFIX = "org."
INDEX_VALUE_PATTERN = re.compile(r"(?:[a-z0-9][a-z0-9_-]{0,31}:|org\.)?[0-9a-f]{31,64}")
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
# How long a process trusts its cached ring before checking whether the file changed: a
# rotation's new primary key reaches every running web process within this many seconds.
RECHECK_SECONDS = 2.0


class Purpose(enum.StrEnum):
    """What a key is for (see the module docstring)."""

    DATA = "data"
    INDEX = "index"
    AUDIT = "audit"
    DERIVATION = "derivation"


# The keys a ring in format 1 held implicitly, under fixed ids no random id can take (random
# ids are 8 hex digits).
V1_INDEX_KEY_ID = "v1-index"
V1_DERIVATION_KEY_ID = "v1-derivation"
V1_AUDIT_KEY_ID = "v1-audit"
_V1_AUDIT_INFO = b"amparo keyring/1 audit chain key"


class CryptoError(Exception):
    """Base of every error this module raises; the message is safe to show an operator."""


class KeyFileMissing(CryptoError):
    """The key file is not configured or does not exist."""


class KeyFileInvalid(CryptoError):
    """The key file exists but cannot be used (bad JSON, missing or malformed entries)."""


class UnknownKey(CryptoError):
    """A ciphertext (or audit entry) names a key id that is not in the ring."""

    def __init__(self, key_id: str, message: str) -> None:
        super().__init__(message)
        self.key_id = key_id


class InvalidCiphertext(CryptoError):
    """A ciphertext is malformed, was tampered with, or belongs to another purpose."""


class RingChangeRefused(CryptoError):
    """A change to the ring that would break it (retiring a primary key, a second derivation
    key, an unknown key id)."""


@dataclass(frozen=True)
class Key:
    """One key of the ring."""

    id: str
    purpose: Purpose
    secret: bytes = field(repr=False)
    created_at: datetime
    # An index key from a format-1 ring: its index values are 64 bare hex digits.
    bare_index: bool = False

    def index_value(self, message: bytes) -> str:
        digest = hmac.new(self.secret, message, hashlib.sha256).hexdigest()
        return digest if self.bare_index else f"{self.id}:{digest}"[:INDEX_LENGTH]


@dataclass(frozen=True)
class KeyRing:
    """Every key that may still be needed, by id, and the primary key of each purpose."""

    keys: Mapping[str, Key]
    primaries: Mapping[Purpose, str]
    format: str = KEYRING_FORMAT
    _ciphers: dict[str, AESGCM] = field(default_factory=dict, repr=False, compare=False)

    # --- looking keys up

    def of(self, purpose: Purpose) -> dict[str, Key]:
        """The keys of one purpose, by id, oldest first."""
        chosen = [key for key in self.keys.values() if key.purpose is purpose]
        return {key.id: key for key in sorted(chosen, key=lambda k: (k.created_at, k.id))}

    def primary(self, purpose: Purpose) -> Key:
        return self.keys[self.primaries[purpose]]

    @property
    def primary_id(self) -> str:
        """The primary data key's id: the key new ciphertexts are made with."""
        return self.primaries[Purpose.DATA]

    def key(self, key_id: str, purpose: Purpose) -> Key:
        """The key `key_id` of `purpose`; UnknownKey if the ring has no such key."""
        key = self.keys.get(key_id)
        if key is None or key.purpose is not purpose:
            raise UnknownKey(
                key_id,
                _(
                    "Key %(key_id)s (%(purpose)s) is not in the key ring (%(purpose)s keys: "
                    "%(known)s). Restore the key file that holds it."
                )
                % {"key_id": key_id, "purpose": purpose, "known": ", ".join(self.of(purpose))},
            )
        return key

    # --- data: field encryption

    def _cipher(self, key_id: str) -> AESGCM:
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            cipher = self._ciphers[key_id] = AESGCM(self.keys[key_id].secret)
        return cipher

    def encrypt(self, plaintext: bytes, purpose: str) -> str:
        """A fresh ciphertext of `plaintext` under the primary data key, bound to `purpose`."""
        key_id = self.primary_id
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._cipher(key_id).encrypt(nonce, plaintext, _associated_data(key_id, purpose))
        body = base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode("ascii")
        return f"{CIPHERTEXT_VERSION}:{key_id}:{body}"

    def decrypt(self, token: str, purpose: str) -> bytes:
        """The plaintext of `token`, or an exception: never bytes that were not encrypted."""
        key_id, raw = _parse(token, purpose)
        key = self.keys.get(key_id)
        if key is None or key.purpose is not Purpose.DATA:
            raise UnknownKey(
                key_id,
                _(
                    "The value of %(purpose)s was encrypted with key %(key_id)s, which is not in "
                    "the key ring (keys: %(known)s). Restore the key file that holds it."
                )
                % {
                    "purpose": purpose,
                    "key_id": key_id,
                    "known": ", ".join(self.of(Purpose.DATA)),
                },
            )
        nonce, sealed = raw[:NONCE_BYTES], raw[NONCE_BYTES:]
        try:
            return self._cipher(key_id).decrypt(nonce, sealed, _associated_data(key_id, purpose))
        except InvalidTag:
            raise InvalidCiphertext(
                _(
                    "The value of %(purpose)s failed authentication under key %(key_id)s: it was "
                    "altered, or it was copied from another field."
                )
                % {"purpose": purpose, "key_id": key_id}
            ) from None

    # --- index: blind indexes

    def index_value(self, value: str, purpose: str, key: Key | None = None) -> str:
        """The blind index of the normalised value under `key` (default: the primary)."""
        key = key or self.primary(Purpose.INDEX)
        return key.index_value(_digest_message(value, purpose))

    def index_values(self, value: str, purpose: str) -> list[str]:
        """The index of `value` under every index key, the primary first: what a lookup
        compares with, so that rows not yet recomputed under the primary are found too."""
        message = _digest_message(value, purpose)
        primary = self.primary(Purpose.INDEX)
        others = [key for key in self.of(Purpose.INDEX).values() if key is not primary]
        return [key.index_value(message) for key in (primary, *others)]

    # --- derivation and audit

    def keyed_digest(self, value: str, purpose: str) -> str:
        """HMAC-SHA256 (64 hex digits) under the derivation key, which never changes.

        The message is built as format 1 built blind indexes, so a format-1 ring's receipts
        salt and pseudonyms keep their values."""
        key = self.primary(Purpose.DERIVATION)
        return hmac.new(key.secret, _digest_message(value, purpose), hashlib.sha256).hexdigest()

    def audit_mac(self, key_id: str, message: bytes) -> str:
        """HMAC-SHA256 (64 hex digits) of `message` under the audit key `key_id`."""
        secret = self.key(key_id, Purpose.AUDIT).secret
        return hmac.new(secret, message, hashlib.sha256).hexdigest()

    # --- changing the ring (each returns a new ring)

    def with_new_key(self, purpose: Purpose) -> tuple[KeyRing, Key]:
        """This ring plus a fresh key of `purpose`, not primary: see `amparo keys add`."""
        if purpose is Purpose.DERIVATION:
            raise RingChangeRefused(
                _(
                    "The derivation key never changes: the intake receipts are stored as hashes "
                    "salted with it, and a new one would lock every reporter out."
                )
            )
        key = new_key(purpose, existing=self.keys)
        return dataclasses.replace(self, keys={**self.keys, key.id: key}, _ciphers={}), key

    def with_primary(self, key_id: str) -> KeyRing:
        """This ring with `key_id` as the primary key of its purpose."""
        key = self._existing(key_id)
        return dataclasses.replace(
            self, primaries={**self.primaries, key.purpose: key.id}, _ciphers={}
        )

    def without_key(self, key_id: str) -> KeyRing:
        """This ring less `key_id`, which must not be a primary key."""
        key = self._existing(key_id)
        if self.primaries[key.purpose] == key_id:
            raise RingChangeRefused(
                _(
                    "Key %(key_id)s is the primary %(purpose)s key: promote another "
                    "%(purpose)s key first."
                )
                % {"key_id": key_id, "purpose": key.purpose}
            )
        keys = {other.id: other for other in self.keys.values() if other.id != key_id}
        return dataclasses.replace(self, keys=keys, _ciphers={})

    def _existing(self, key_id: str) -> Key:
        key = self.keys.get(key_id)
        if key is None:
            raise RingChangeRefused(
                _("There is no key %(key_id)s in the key ring (keys: %(known)s).")
                % {"key_id": key_id, "known": ", ".join(sorted(self.keys))}
            )
        return key

    def to_json(self) -> str:
        """The ring in format 2, whatever format it was read from."""
        document = {
            "format": KEYRING_FORMAT,
            "primary": {purpose.value: self.primaries[purpose] for purpose in Purpose},
            "keys": [
                {
                    "id": k.id,
                    "purpose": k.purpose.value,
                    "key": _b64(k.secret),
                    "created_at": k.created_at.isoformat(),
                    **({"bare_index": True} if k.bare_index else {}),
                }
                for k in sorted(
                    self.keys.values(),
                    key=lambda k: (list(Purpose).index(k.purpose), k.created_at, k.id),
                )
            ],
        }
        return json.dumps(document, indent=2) + "\n"


def normalise(value: str) -> str:
    """The form two spellings of the same name share: NFC, case-folded, single-spaced.

    Case folding runs on the decomposed form and the result is recomposed, so "É" typed as one
    code point or as "E" plus a combining accent gives the same index.
    """
    folded = unicodedata.normalize("NFC", unicodedata.normalize("NFD", value).casefold())
    return " ".join(folded.split())


def key_id_of(token: str) -> str:
    """The key id a ciphertext was made with (without decrypting it)."""
    return _parse(token, None)[0]


def ciphertext_prefix(key_id: str) -> str:
    """What every ciphertext under `key_id` starts with, for prefix matches in SQL."""
    return f"{CIPHERTEXT_VERSION}:{key_id}:"


def index_prefix(key: Key) -> str | None:
    """What every index value under `key` starts with; None for a bare (format-1) index key,
    whose values are the ones without a colon."""
    return None if key.bare_index else f"{key.id}:"


def _parse(token: str, purpose: str | None) -> tuple[str, bytes]:
    version, sep, rest = token.partition(":")
    key_id, sep2, body = rest.partition(":")
    if version != CIPHERTEXT_VERSION or not sep or not sep2:
        raise InvalidCiphertext(
            _("%(what)s is not an Amparo ciphertext (it does not start with %(prefix)s).")
            % {"what": _describe(purpose), "prefix": f"{CIPHERTEXT_VERSION}:<key id>:"}
        )
    if not _BASE64URL.fullmatch(body):
        raise InvalidCiphertext(
            _("%(what)s is a damaged ciphertext: it is not base64url text.")
            % {"what": _describe(purpose)}
        )
    raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    if len(raw) < NONCE_BYTES + TAG_BYTES:
        raise InvalidCiphertext(
            _("%(what)s is a damaged ciphertext: it is too short.") % {"what": _describe(purpose)}
        )
    return key_id, raw


def _describe(purpose: str | None) -> str:
    return _("The value of %(purpose)s") % {"purpose": purpose} if purpose else _("The value")


def _purpose_bytes(purpose: str) -> bytes:
    if not purpose or "\x00" in purpose:
        raise ValueError("An encryption purpose must be a non-empty string without NUL.")
    return purpose.encode("utf-8")


def _digest_message(value: str, purpose: str) -> bytes:
    return _purpose_bytes(purpose) + b"\x00" + normalise(value).encode("utf-8")


# A few key and field pairs, each encrypting thousands of values in an import.
@functools.lru_cache(maxsize=256)
def _associated_data(key_id: str, purpose: str) -> bytes:
    return b"\x00".join((CIPHERTEXT_VERSION.encode(), key_id.encode(), _purpose_bytes(purpose)))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# --- making keys --------------------------------------------------------------------------------


def new_key(purpose: Purpose, existing: Mapping[str, Key] | None = None) -> Key:
    """A fresh random 256-bit key of `purpose` whose id is not already in `existing`."""
    while True:
        key_id = secrets.token_hex(4)
        if not existing or key_id not in existing:
            return Key(
                id=key_id,
                purpose=purpose,
                secret=secrets.token_bytes(KEY_BYTES),
                created_at=_now(),
            )


def generate_keyring() -> KeyRing:
    """A new ring with one independent random key for each purpose."""
    keys: dict[str, Key] = {}
    for purpose in Purpose:
        key = new_key(purpose, existing=keys)
        keys[key.id] = key
    return KeyRing(keys=keys, primaries={key.purpose: key.id for key in keys.values()})


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


# --- reading and writing the key file -----------------------------------------------------------


def configured_key_file() -> Path:
    """The key file named by settings.AMPARO_KEY_FILE; KeyFileMissing when there is none."""
    configured = getattr(settings, "AMPARO_KEY_FILE", None)
    if not configured:
        raise KeyFileMissing(
            _(
                "No key file is configured: set AMPARO_KEY_FILE to the path of the key ring "
                "and create it with `amparo keys generate`."
            )
        )
    return Path(configured)


def load_keyring(path: Path) -> KeyRing:
    """Read and validate a key file. Every problem is reported with the path and the entry."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise KeyFileMissing(
            _(
                "The key file %(path)s (setting AMPARO_KEY_FILE) does not exist. Create it with "
                "`amparo keys generate`, or point AMPARO_KEY_FILE at the existing key file."
            )
            % {"path": path}
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise KeyFileInvalid(
            _("The key file %(path)s cannot be read: %(error)s")
            % {"path": path, "error": error.__class__.__name__}
        ) from None
    try:
        document = json.loads(text)
    except ValueError as error:
        raise KeyFileInvalid(
            _("The key file %(path)s is not valid JSON (line %(line)s).")
            % {"path": path, "line": getattr(error, "lineno", "?")}
        ) from None
    try:
        ring = _parse_keyring(document)
    except _Malformed as problem:
        raise KeyFileInvalid(
            _("The key file %(path)s is malformed: %(problem)s")
            % {"path": path, "problem": problem}
        ) from None
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        logger.warning("Key file %s can be read by other users; run chmod 600 on it.", path)
    return ring


class _Malformed(Exception):
    pass


def _parse_keyring(document: Any) -> KeyRing:
    if not isinstance(document, dict):
        raise _Malformed(_("the top level must be a JSON object."))
    found = document.get("format")
    if found == KEYRING_FORMAT_1:
        return _parse_format_1(document)
    if found != KEYRING_FORMAT:
        raise _Malformed(
            _('"format" must be "%(expected)s" (found %(found)s).')
            % {"expected": KEYRING_FORMAT, "found": json.dumps(found)}
        )
    keys = _parse_keys(document, with_purpose=True)
    primaries = document.get("primary")
    if not isinstance(primaries, dict):
        raise _Malformed(_('"primary" must be an object naming one key per purpose.'))
    unknown = sorted(set(primaries) - {purpose.value for purpose in Purpose})
    if unknown:
        raise _Malformed(
            _(
                '"primary" names purposes this version of Amparo does not know (%(unknown)s): '
                "the file was written by a newer version."
            )
            % {"unknown": ", ".join(unknown)}
        )
    chosen: dict[Purpose, str] = {}
    for purpose in Purpose:
        key_id = primaries.get(purpose.value)
        key = keys.get(key_id) if isinstance(key_id, str) else None
        if key is None or key.purpose is not purpose:
            raise _Malformed(
                _('"primary"."%(purpose)s" must be the id of a %(purpose)s key (found %(found)s).')
                % {"purpose": purpose.value, "found": json.dumps(key_id)}
            )
        chosen[purpose] = key.id
    if len([k for k in keys.values() if k.purpose is Purpose.DERIVATION]) != 1:
        raise _Malformed(_("the ring must hold exactly one derivation key."))
    return KeyRing(keys=keys, primaries=chosen)


def _parse_format_1(document: dict[str, Any]) -> KeyRing:
    """A format-1 ring as format 2 sees it (see the module docstring)."""
    keys = _parse_keys(document, with_purpose=False)
    primary = document.get("primary")
    if primary not in keys:
        raise _Malformed(
            _('"primary" must be the id of one of the keys (found %(found)s).')
            % {"found": json.dumps(primary)}
        )
    index_secret = _decode_secret(document.get("blind_index_key"), "blind_index_key")
    audit_secret = HKDF(
        algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=_V1_AUDIT_INFO
    ).derive(index_secret)
    oldest = min(key.created_at for key in keys.values())
    implicit = [
        Key(V1_INDEX_KEY_ID, Purpose.INDEX, index_secret, oldest, bare_index=True),
        Key(V1_DERIVATION_KEY_ID, Purpose.DERIVATION, index_secret, oldest),
        Key(V1_AUDIT_KEY_ID, Purpose.AUDIT, audit_secret, oldest),
    ]
    for key in implicit:
        if key.id in keys:
            raise _Malformed(_("key id %(id)s is reserved.") % {"id": key.id})
    return KeyRing(
        keys={**keys, **{key.id: key for key in implicit}},
        primaries={
            Purpose.DATA: primary,
            Purpose.INDEX: V1_INDEX_KEY_ID,
            Purpose.AUDIT: V1_AUDIT_KEY_ID,
            Purpose.DERIVATION: V1_DERIVATION_KEY_ID,
        },
        format=KEYRING_FORMAT_1,
    )


def _parse_keys(document: dict[str, Any], *, with_purpose: bool) -> dict[str, Key]:
    entries = document.get("keys")
    if not isinstance(entries, list) or not entries:
        raise _Malformed(_('"keys" must be a non-empty list.'))
    keys: dict[str, Key] = {}
    for position, entry in enumerate(entries):
        where = f"keys[{position}]"
        if not isinstance(entry, dict):
            raise _Malformed(_("%(where)s must be an object.") % {"where": where})
        key_id = entry.get("id")
        if not isinstance(key_id, str) or not KEY_ID_PATTERN.fullmatch(key_id):
            raise _Malformed(
                _(
                    '%(where)s.id must be 1 to 32 lower-case letters, digits, "-" or "_", '
                    "starting with a letter or digit."
                )
                % {"where": where}
            )
        if key_id in keys:
            raise _Malformed(_("key id %(id)s appears twice.") % {"id": key_id})
        purpose = Purpose.DATA
        if with_purpose:
            try:
                purpose = Purpose(str(entry.get("purpose")))
            except ValueError:
                raise _Malformed(
                    _("%(where)s.purpose must be one of %(purposes)s.")
                    % {"where": where, "purposes": ", ".join(p.value for p in Purpose)}
                ) from None
        bare_index = entry.get("bare_index", False)
        if bare_index not in (False, True) or (bare_index and purpose is not Purpose.INDEX):
            raise _Malformed(
                _("%(where)s.bare_index may only be true, on an index key.") % {"where": where}
            )
        keys[key_id] = Key(
            id=key_id,
            purpose=purpose,
            secret=_decode_secret(entry.get("key"), f"{where}.key"),
            created_at=_decode_datetime(entry.get("created_at"), f"{where}.created_at"),
            bare_index=bare_index,
        )
    return keys


def _decode_secret(value: Any, where: str) -> bytes:
    try:
        secret = base64.b64decode(value, validate=True) if isinstance(value, str) else None
    except binascii.Error:
        secret = None
    if secret is None:
        raise _Malformed(_("%(where)s must be base64 text.") % {"where": where})
    if len(secret) != KEY_BYTES:
        raise _Malformed(
            _("%(where)s must hold %(expected)d bytes, not %(found)d.")
            % {"where": where, "expected": KEY_BYTES, "found": len(secret)}
        )
    return secret


def _decode_datetime(value: Any, where: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise _Malformed(
            _("%(where)s must be an ISO 8601 date and time with a UTC offset.") % {"where": where}
        )
    return parsed


def write_keyring(ring: KeyRing, path: Path, *, replace: bool) -> None:
    """Write the ring to `path` with mode 0600, atomically.

    The file is written in full and flushed to disk under a temporary name in the same directory,
    then renamed into place: a crash never leaves a half-written key file, and readers see either
    the old ring or the new one. With `replace=False` an existing file is never touched
    (FileExistsError), even if another process creates it at the same moment.
    """
    create_private_directory(path.parent)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".keyring-", suffix=".tmp")
    try:
        os.fchmod(descriptor, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(ring.to_json())
            handle.flush()
            os.fsync(handle.fileno())
        if replace:
            os.replace(temporary, path)
        else:
            os.link(temporary, path)
            os.unlink(temporary)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)
    _forget_cached_ring()


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def ensure_keyring(path: Path) -> bool:
    """Create a new ring at `path` unless a file is already there. True if one was created."""
    try:
        write_keyring(generate_keyring(), path, replace=False)
    except FileExistsError:
        return False
    return True


# --- the process-wide ring ----------------------------------------------------------------------


@dataclass
class _Cached:
    setting: object  # the AMPARO_KEY_FILE value the ring was loaded for
    path: Path
    stamp: tuple[int, int, int]
    ring: KeyRing
    checked_at: float


_cached: _Cached | None = None
_cache_lock = threading.Lock()


def _stamp(path: Path) -> tuple[int, int, int]:
    try:
        info = path.stat()
    except FileNotFoundError:
        return (0, 0, 0)
    return (info.st_mtime_ns, info.st_size, info.st_ino)


def keyring(*, recheck: bool = False) -> KeyRing:
    """The configured key ring, loaded once and reloaded when the file changes.

    A cached ring is trusted for RECHECK_SECONDS; after that the file's modification stamp is
    compared, so a rotation run from the command line reaches running web processes without a
    restart. `recheck=True` compares at once. The common case touches neither the file system
    nor the lock: every field value passes through here.
    """
    global _cached
    setting = getattr(settings, "AMPARO_KEY_FILE", None)
    now = time.monotonic()
    cached = _cached
    if (
        cached is not None
        and cached.setting is setting
        and not recheck
        and now - cached.checked_at < RECHECK_SECONDS
    ):
        return cached.ring
    path = configured_key_file()
    with _cache_lock:
        cached = _cached
        if cached is not None and cached.path == path and _stamp(path) == cached.stamp:
            cached.setting, cached.checked_at = setting, now
            return cached.ring
        stamp = _stamp(path)
        ring = load_keyring(path)
        _cached = _Cached(setting=setting, path=path, stamp=stamp, ring=ring, checked_at=now)
        return ring


def reload_keyring() -> KeyRing:
    """Forget the cached ring and read the key file again."""
    _forget_cached_ring()
    return keyring()


def _forget_cached_ring() -> None:
    global _cached
    with _cache_lock:
        _cached = None


@receiver(setting_changed)
def _key_file_setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting == "AMPARO_KEY_FILE":
        _forget_cached_ring()


# --- what the fields and the audit log call ---------------------------------------------------


def encrypt(plaintext: bytes, purpose: str) -> str:
    return keyring().encrypt(plaintext, purpose)


def decrypt(token: str, purpose: str) -> bytes:
    try:
        return keyring().decrypt(token, purpose)
    except UnknownKey:
        # Another process may have added the key moments ago (a rotation under way).
        return keyring(recheck=True).decrypt(token, purpose)


def encrypt_text(value: str, purpose: str) -> str:
    return encrypt(value.encode("utf-8"), purpose)


def decrypt_text(token: str, purpose: str) -> str:
    return decrypt(token, purpose).decode("utf-8")


def index_value(value: str, purpose: str) -> str:
    """The blind index a row stores for `value`: under the primary index key."""
    return keyring().index_value(value, purpose)


def index_values(value: str, purpose: str) -> list[str]:
    """What a lookup of `value` compares with: its index under every index key in the ring."""
    return keyring().index_values(value, purpose)


def organisation_index_value(secret: bytes, value: str, purpose: str) -> str:
    """The blind index of the normalised value under an organisation's index key (`secret`,
    which only its members hold: amparo.core.custody.index_key), not under any key of the ring."""
    digest = hmac.new(secret, _digest_message(value, purpose), hashlib.sha256).hexdigest()
    return f"{ORGANISATION_INDEX_PREFIX}{digest}"[:INDEX_LENGTH]


def keyed_digest(value: str, purpose: str) -> str:
    """A keyed digest that keeps its value for the life of the installation (see Purpose)."""
    return keyring().keyed_digest(value, purpose)
