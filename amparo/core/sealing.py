"""Sealing primitives: X25519 sealed boxes, key wrapping, Argon2id derivation.

What issue 16 builds on ("a seized server reveals nothing"): data is encrypted under random data
keys; a data key is *sealed* to an organisation's public key, so anyone (an anonymous reporter, an
import, the demo) can encrypt without holding a private key; a private key is *wrapped* under a
symmetric key that only a person holds (derived from their password with Argon2id, or from their
recovery key, or from a cookie secret for the length of a session).

Sealed box (format byte 1)::

    0x01 ‖ ephemeral X25519 public key (32) ‖ nonce (12) ‖ AES-256-GCM(ciphertext ‖ tag)

The AES key is HKDF-SHA256 of the X25519 shared secret, salted with both public keys. The
associated data binds a box to what it holds ("data key 3f…", "grant of key 7 to user 12"), so a
box copied into another row does not open. Wrapped (format byte 2)::

    0x02 ‖ nonce (12) ‖ AES-256-GCM(ciphertext ‖ tag)

Nothing here logs, and no exception message holds key material or plaintext.
"""

from __future__ import annotations

import base64
import binascii
import functools
import os
import secrets
import uuid
from dataclasses import dataclass

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.utils.translation import gettext as _

KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
SALT_BYTES = 16
SEALED = b"\x01"
WRAPPED = b"\x02"
_SEAL_INFO = b"amparo sealed box/1"
# What a BinaryField gives back: bytes, or a memoryview on some databases.
Binary = bytes | memoryview
_RAW = serialization.Encoding.Raw
_RAW_PUBLIC = serialization.PublicFormat.Raw
_RAW_PRIVATE = serialization.PrivateFormat.Raw


class SealingError(Exception):
    """A box or a wrapped key did not open: wrong key, damaged, or bound to something else.

    The message is safe to show; it never holds key material."""


@dataclass(frozen=True)
class KeyPair:
    private: bytes
    public: bytes

    def __repr__(self) -> str:  # never the private key, not even in a traceback's locals
        return f"KeyPair(public={self.public.hex()[:16]}…)"


def new_key_pair() -> KeyPair:
    private = X25519PrivateKey.generate()
    return KeyPair(
        private=private.private_bytes(_RAW, _RAW_PRIVATE, serialization.NoEncryption()),
        public=private.public_key().public_bytes(_RAW, _RAW_PUBLIC),
    )


def new_secret() -> bytes:
    """A random 256-bit symmetric key (a data key, a cookie secret)."""
    return secrets.token_bytes(KEY_BYTES)


def public_of(private: bytes) -> bytes:
    return X25519PrivateKey.from_private_bytes(private).public_key().public_bytes(_RAW, _RAW_PUBLIC)


def _box_key(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=KEY_BYTES, salt=ephemeral + recipient, info=_SEAL_INFO
    ).derive(shared)


def seal(public: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """`plaintext` sealed to the holder of the private key of `public`, bound to `aad`."""
    if len(public) != KEY_BYTES:
        raise SealingError(_("A public key must be 32 bytes."))
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = ephemeral.public_key().public_bytes(_RAW, _RAW_PUBLIC)
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(public))
    key = _box_key(shared, ephemeral_public, public)
    nonce = os.urandom(NONCE_BYTES)
    return SEALED + ephemeral_public + nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def open_sealed(private: bytes, box: Binary, aad: bytes) -> bytes:
    """The plaintext of a sealed box, or SealingError."""
    box = bytes(box)
    if len(box) < 1 + KEY_BYTES + NONCE_BYTES + TAG_BYTES or box[:1] != SEALED:
        raise SealingError(_("This is not a sealed box, or it is damaged."))
    ephemeral_public = box[1 : 1 + KEY_BYTES]
    nonce = box[1 + KEY_BYTES : 1 + KEY_BYTES + NONCE_BYTES]
    try:
        secret = X25519PrivateKey.from_private_bytes(private)
        recipient = secret.public_key().public_bytes(_RAW, _RAW_PUBLIC)
        shared = secret.exchange(X25519PublicKey.from_public_bytes(ephemeral_public))
        key = _box_key(shared, ephemeral_public, recipient)
        return AESGCM(key).decrypt(nonce, box[1 + KEY_BYTES + NONCE_BYTES :], aad)
    except (InvalidTag, ValueError):
        raise SealingError(
            _("The sealed box does not open with this key (wrong key, or damaged).")
        ) from None


def wrap(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """`plaintext` encrypted under the symmetric `key`, bound to `aad`."""
    nonce = os.urandom(NONCE_BYTES)
    return WRAPPED + nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def unwrap(key: bytes, wrapped: Binary, aad: bytes) -> bytes:
    wrapped = bytes(wrapped)
    if len(wrapped) < 1 + NONCE_BYTES + TAG_BYTES or wrapped[:1] != WRAPPED:
        raise SealingError(_("This is not a wrapped key, or it is damaged."))
    try:
        return AESGCM(key).decrypt(wrapped[1 : 1 + NONCE_BYTES], wrapped[1 + NONCE_BYTES :], aad)
    except (InvalidTag, ValueError):
        raise SealingError(_("The wrapped key does not open with this secret.")) from None


def derive_from_secret(secret: bytes, salt: bytes, info: bytes) -> bytes:
    """A 256-bit key from a high-entropy secret (a receipt, a recovery key, a token): HKDF."""
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=salt, info=info).derive(secret)


@dataclass(frozen=True)
class Argon2Parameters:
    time_cost: int
    memory_kib: int
    parallelism: int

    def as_dict(self) -> dict[str, int]:
        return {"t": self.time_cost, "m": self.memory_kib, "p": self.parallelism}

    @classmethod
    def from_dict(cls, data: dict[str, int]) -> Argon2Parameters:
        return cls(time_cost=int(data["t"]), memory_kib=int(data["m"]), parallelism=int(data["p"]))


def configured_parameters() -> Argon2Parameters:
    """settings.AMPARO_KEY_DERIVATION: the cost of deriving a key from a password."""
    configured = settings.AMPARO_KEY_DERIVATION
    return Argon2Parameters(
        time_cost=int(configured["time_cost"]),
        memory_kib=int(configured["memory_kib"]),
        parallelism=int(configured["parallelism"]),
    )


def derive_from_password(
    password: str, salt: bytes, parameters: Argon2Parameters | None = None
) -> bytes:
    """A 256-bit key from a password: Argon2id with `parameters` (default: the settings')."""
    parameters = parameters or configured_parameters()
    return hash_secret_raw(
        secret=password.encode("utf-8"),
        salt=salt,
        time_cost=parameters.time_cost,
        memory_cost=parameters.memory_kib,
        parallelism=parameters.parallelism,
        hash_len=KEY_BYTES,
        type=Type.ID,
    )


def new_salt() -> bytes:
    return secrets.token_bytes(SALT_BYTES)


# --- field values under a data key ----------------------------------------------------------------
# A sealed field's stored text names its data key (amparo.core.models.DataKey), so that any code
# holding the data key opens it and `amparo keys` finds the rows with a prefix match:
#
#     amp2:<data key id, 32 hex digits>:<base64url(nonce ‖ AES-256-GCM ciphertext ‖ tag)>
#
# The associated data binds the ciphertext to its data key and its field's purpose.

FIELD_VERSION = "amp2"


def _field_aad(data_key_id: uuid.UUID, purpose: str) -> bytes:
    return b"\x00".join((FIELD_VERSION.encode(), data_key_id.bytes, purpose.encode("utf-8")))


def encrypt_field(data_key: bytes, data_key_id: uuid.UUID, plaintext: str, purpose: str) -> str:
    return FieldSealer(data_key, data_key_id, purpose).seal(plaintext)


class FieldSealer:
    """`encrypt_field` for the values of one field under one data key, the cipher and the
    associated data made once: a bulk write seals hundreds of thousands of values, and making
    them again for each was a third of sealing one. Keep it no longer than the values' write
    (it holds the data key)."""

    def __init__(self, data_key: bytes, data_key_id: uuid.UUID, purpose: str) -> None:
        self._cipher = AESGCM(data_key)
        self._aad = _field_aad(data_key_id, purpose)
        self._prefix = f"{FIELD_VERSION}:{data_key_id.hex}:"

    def seal(self, plaintext: str) -> str:
        nonce = os.urandom(NONCE_BYTES)  # a fresh nonce for every value, as encrypt_field
        sealed = self._cipher.encrypt(nonce, plaintext.encode("utf-8"), self._aad)
        return self._prefix + base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode("ascii")


def is_field_ciphertext(token: str) -> bool:
    return token.startswith(FIELD_VERSION + ":")


@functools.lru_cache(maxsize=1024)
def _key_id(hex_digits: str) -> uuid.UUID:
    """Parsed once per data key, not once per value read (a file imported again reads a million
    values under a few keys). Key ids are no secret."""
    return uuid.UUID(hex=hex_digits)


def data_key_id_of(token: str) -> uuid.UUID:
    """The id of the data key a field ciphertext names; SealingError if it is not one."""
    version, _sep, rest = token.partition(":")
    key_id, sep, _body = rest.partition(":")
    try:
        if version != FIELD_VERSION or not sep:
            raise ValueError
        return _key_id(key_id)
    except ValueError:
        raise SealingError(_("This is not a sealed field value.")) from None


def decrypt_field(data_key: bytes, token: str, purpose: str) -> str:
    data_key_id = data_key_id_of(token)
    body = token.split(":", 2)[2]
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        plaintext = AESGCM(data_key).decrypt(
            raw[:NONCE_BYTES], raw[NONCE_BYTES:], _field_aad(data_key_id, purpose)
        )
        return plaintext.decode("utf-8")
    except (InvalidTag, ValueError, binascii.Error):
        raise SealingError(
            _(
                "The value of %(purpose)s does not open with its data key: it was altered, or "
                "copied from another field."
            )
            % {"purpose": purpose}
        ) from None
