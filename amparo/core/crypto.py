"""Field encryption at rest: the key ring, AES-256-GCM ciphertexts and HMAC blind indexes.

The key ring is a JSON file outside the repository, named by the AMPARO_KEY_FILE setting::

    {
      "format": "amparo-keyring/1",
      "primary": "3fa9c0d1",
      "blind_index_key": "<base64 of 32 random bytes>",
      "keys": [
        {"id": "3fa9c0d1", "key": "<base64 of 32 random bytes>",
         "created_at": "2025-11-23T14:00:00+00:00"}
      ]
    }

Every AES key stays in the ring for as long as any ciphertext may still use it; new ciphertexts
always use the primary key. A ciphertext is text, so it fits any text column on SQLite and
PostgreSQL alike::

    amp1:<key id>:<base64url(nonce ‖ AES-GCM ciphertext ‖ tag)>

The visible key id lets any key in the ring decrypt, and lets `amparo keys rotate` find the rows
still under an older key with a plain prefix match in SQL. The version prefix leaves room for a
future format. The associated data binds each ciphertext to its *purpose* (which model field it
belongs to), so a ciphertext copied into another column, or another table, fails to decrypt
instead of showing one person's data in another's record.

The blind index key belongs to the ring, not to one AES key, and `amparo keys rotate` never
changes it. AES keys are rotated routinely (on a schedule, when staff leave); if the index key
changed with them, every index would have to be recomputed from decrypted data in the same
maintenance window, and exact-match searches would silently miss every row not yet re-indexed
while a rotation is under way. The index reveals only equality within one column, and only to
someone who holds both the database and this key.

Nothing here logs or puts plaintext, ciphertext or key material into an exception message.
"""

from __future__ import annotations

import base64
import binascii
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
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

KEYRING_FORMAT = "amparo-keyring/1"
CIPHERTEXT_VERSION = "amp1"
KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12  # 96 bits: the size GCM is specified for; random nonces are safe up to ~2**32
TAG_BYTES = 16
# Lower case only: SQLite's LIKE ignores ASCII case, and rotation selects rows by key id prefix.
KEY_ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
# How long a process trusts its cached ring before checking whether the file changed: a
# rotation's new primary key reaches every running web process within this many seconds.
RECHECK_SECONDS = 2.0


class CryptoError(Exception):
    """Base of every error this module raises; the message is safe to show an operator."""


class KeyFileMissing(CryptoError):
    """The key file is not configured or does not exist."""


class KeyFileInvalid(CryptoError):
    """The key file exists but cannot be used (bad JSON, missing or malformed entries)."""


class UnknownKey(CryptoError):
    """A ciphertext names a key id that is not in the ring."""

    def __init__(self, key_id: str, message: str) -> None:
        super().__init__(message)
        self.key_id = key_id


class InvalidCiphertext(CryptoError):
    """A ciphertext is malformed, was tampered with, or belongs to another purpose."""


@dataclass(frozen=True)
class Key:
    """One AES-256 key of the ring."""

    id: str
    secret: bytes = field(repr=False)
    created_at: datetime


@dataclass(frozen=True)
class KeyRing:
    """All AES keys that may still be needed to decrypt, the primary one, and the index key."""

    keys: Mapping[str, Key]
    primary_id: str
    blind_index_key: bytes = field(repr=False)
    _ciphers: dict[str, AESGCM] = field(default_factory=dict, repr=False, compare=False)

    @property
    def primary(self) -> Key:
        return self.keys[self.primary_id]

    def _cipher(self, key_id: str) -> AESGCM:
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            cipher = self._ciphers[key_id] = AESGCM(self.keys[key_id].secret)
        return cipher

    def encrypt(self, plaintext: bytes, purpose: str) -> str:
        """A fresh ciphertext of `plaintext` under the primary key, bound to `purpose`."""
        key_id = self.primary_id
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._cipher(key_id).encrypt(nonce, plaintext, _associated_data(key_id, purpose))
        body = base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode("ascii")
        return f"{CIPHERTEXT_VERSION}:{key_id}:{body}"

    def decrypt(self, token: str, purpose: str) -> bytes:
        """The plaintext of `token`, or an exception: never bytes that were not encrypted."""
        key_id, raw = _parse(token, purpose)
        if key_id not in self.keys:
            raise UnknownKey(
                key_id,
                _(
                    "The value of %(purpose)s was encrypted with key %(key_id)s, which is not in "
                    "the key ring (keys: %(known)s). Restore the key file that holds it."
                )
                % {"purpose": purpose, "key_id": key_id, "known": ", ".join(sorted(self.keys))},
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

    def blind_index(self, value: str, purpose: str) -> str:
        """HMAC-SHA256 of the normalised value, as 64 hex digits, for exact-match lookups."""
        message = _purpose_bytes(purpose) + b"\x00" + normalise(value).encode("utf-8")
        return hmac.new(self.blind_index_key, message, hashlib.sha256).hexdigest()

    def with_new_primary(self) -> KeyRing:
        """This ring plus a fresh key that becomes primary; every other key is kept."""
        key = new_key(existing=self.keys)
        return KeyRing(
            keys={**self.keys, key.id: key},
            primary_id=key.id,
            blind_index_key=self.blind_index_key,
        )

    def to_json(self) -> str:
        document = {
            "format": KEYRING_FORMAT,
            "primary": self.primary_id,
            "blind_index_key": _b64(self.blind_index_key),
            "keys": [
                {"id": k.id, "key": _b64(k.secret), "created_at": k.created_at.isoformat()}
                for k in sorted(self.keys.values(), key=lambda k: k.created_at)
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


def _associated_data(key_id: str, purpose: str) -> bytes:
    return b"\x00".join((CIPHERTEXT_VERSION.encode(), key_id.encode(), _purpose_bytes(purpose)))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# --- making keys --------------------------------------------------------------------------------


def new_key(existing: Mapping[str, Key] | None = None) -> Key:
    """A fresh random AES-256 key whose id is not already in `existing`."""
    while True:
        key_id = secrets.token_hex(4)
        if not existing or key_id not in existing:
            return Key(id=key_id, secret=secrets.token_bytes(KEY_BYTES), created_at=_now())


def generate_keyring() -> KeyRing:
    """A new ring with one primary AES key and its own blind index key."""
    key = new_key()
    return KeyRing(
        keys={key.id: key}, primary_id=key.id, blind_index_key=secrets.token_bytes(KEY_BYTES)
    )


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
    if document.get("format") != KEYRING_FORMAT:
        raise _Malformed(
            _('"format" must be "%(expected)s" (found %(found)s).')
            % {"expected": KEYRING_FORMAT, "found": json.dumps(document.get("format"))}
        )
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
        keys[key_id] = Key(
            id=key_id,
            secret=_decode_secret(entry.get("key"), f"{where}.key"),
            created_at=_decode_datetime(entry.get("created_at"), f"{where}.created_at"),
        )
    primary = document.get("primary")
    if primary not in keys:
        raise _Malformed(
            _('"primary" must be the id of one of the keys (found %(found)s).')
            % {"found": json.dumps(primary)}
        )
    return KeyRing(
        keys=keys,
        primary_id=primary,
        blind_index_key=_decode_secret(document.get("blind_index_key"), "blind_index_key"),
    )


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
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
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


# --- what the fields call -----------------------------------------------------------------------


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


def blind_index(value: str, purpose: str) -> str:
    return keyring().blind_index(value, purpose)
