"""Receipts: 100 random bits a person can copy by hand, stored only as an Argon2id hash.

A receipt is 20 characters of Crockford's base32 alphabet (no I, L, O or U), shown in five groups
of four: ``7KQM-3XRT-W9FD-B2NC-H6PA``. When it is typed back, case, spaces and dashes are ignored
and the letters people confuse with digits are read as those digits (I and L as 1, O as 0).

The hash is Argon2id with one salt for the whole deployment, so that the same receipt always
gives the same hash and can be found with an index lookup. The salt is a secret derived from the
key ring's blind index key (which `amparo keys rotate` never changes): it needs no configuration
of its own, it is backed up with the key file, and a copy of the database alone does not even
allow testing guesses.
"""

from __future__ import annotations

import secrets

from argon2.low_level import Type, hash_secret_raw

from amparo.core import crypto
from amparo.intake import conf

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 20
GROUP = 4
ENTROPY_BITS = LENGTH * 5
_CONFUSABLE = str.maketrans({"I": "1", "L": "1", "O": "0"})
_SALT_PURPOSE = "intake.receipt.salt"


def generate() -> str:
    """A new receipt, grouped for display."""
    return format_receipt("".join(secrets.choice(ALPHABET) for _ in range(LENGTH)))


def format_receipt(value: str) -> str:
    return "-".join(value[i : i + GROUP] for i in range(0, len(value), GROUP))


def normalise(text: str) -> str | None:
    """The 20 symbols of a receipt as typed, or None if it cannot be one."""
    compact = "".join(text.split()).replace("-", "").upper().translate(_CONFUSABLE)
    if len(compact) != LENGTH or any(c not in ALPHABET for c in compact):
        return None
    return compact


# What the receipt opens (amparo.core.custody.add_secret_copy): the report's data key, so the
# reporter reads the staff's replies with no one signed in. 100 random bits need no Argon2 here:
# HKDF with a salt of each report's own.
DATA_KEY_INFO = b"amparo intake receipt/1"


def secret(normalised: str) -> bytes:
    """The bytes of a normalised receipt that open its report's data key."""
    return normalised.encode("ascii")


def _salt() -> bytes:
    return bytes.fromhex(crypto.keyed_digest("amparo intake receipts", _SALT_PURPOSE))[:16]


def hash_receipt(normalised: str) -> str:
    digest = hash_secret_raw(
        secret=normalised.encode("ascii"),
        salt=_salt(),
        time_cost=conf.ARGON2_TIME_COST,
        memory_cost=conf.ARGON2_MEMORY_KIB,
        parallelism=conf.ARGON2_PARALLELISM,
        hash_len=32,
        type=Type.ID,
    )
    return digest.hex()
