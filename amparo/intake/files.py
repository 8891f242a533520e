"""Sealing attachments: envelope encryption under the key ring.

Each file gets its own random AES-256 key. The file is sealed with AES-256-GCM under that key,
with the attachment's id as associated data (so sealed files cannot be swapped between rows),
and stored in the database (`AttachmentBlob`, a table of its own so that listing attachments
never loads file contents). The file key is stored in the attachment row in an encrypted field:
the key ring protects it, and `amparo keys rotate` re-encrypts it with every other field without
ever rewriting the (large) file.

Why the database and not files under var/: a file is saved in the same transaction as its
submission, so a failed upload leaves nothing behind without any clean-up step; a file on disk
would carry the precise time of the upload in its modification and change times, which is the
kind of metadata this channel must not keep; and one backup holds everything.
"""

from __future__ import annotations

import base64
import secrets
import uuid

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

FORMAT = b"amparo-file/1"
NONCE_BYTES = 12


class SealError(Exception):
    """A sealed file does not open with its key: damaged, or swapped from another row."""


def new_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def _aad(attachment_id: uuid.UUID) -> bytes:
    return FORMAT + b":" + attachment_id.hex.encode("ascii")


def seal(attachment_id: uuid.UUID, key: str, data: bytes) -> bytes:
    nonce = secrets.token_bytes(NONCE_BYTES)
    return nonce + AESGCM(base64.b64decode(key)).encrypt(nonce, data, _aad(attachment_id))


def unseal(attachment_id: uuid.UUID, key: str, sealed: bytes) -> bytes:
    try:
        return AESGCM(base64.b64decode(key)).decrypt(
            sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], _aad(attachment_id)
        )
    except (InvalidTag, ValueError):
        raise SealError from None
