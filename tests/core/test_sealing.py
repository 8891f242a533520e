"""Sealing primitives (amparo.core.sealing): boxes, wrapping, derivation, field values."""

from __future__ import annotations

import uuid

import pytest

from amparo.core import sealing

SECRET_TEXT = "Ana María, Calle 7 #12"


def test_a_sealed_box_opens_only_with_its_private_key_and_its_associated_data() -> None:
    pair, other = sealing.new_key_pair(), sealing.new_key_pair()
    box = sealing.seal(pair.public, b"data key", b"record 1")
    assert sealing.open_sealed(pair.private, box, b"record 1") == b"data key"
    with pytest.raises(sealing.SealingError):
        sealing.open_sealed(other.private, box, b"record 1")
    with pytest.raises(sealing.SealingError):
        sealing.open_sealed(pair.private, box, b"record 2")
    with pytest.raises(sealing.SealingError):
        sealing.open_sealed(pair.private, box[:-1] + bytes([box[-1] ^ 1]), b"record 1")


def test_two_seals_of_the_same_value_differ() -> None:
    pair = sealing.new_key_pair()
    assert sealing.seal(pair.public, b"x", b"a") != sealing.seal(pair.public, b"x", b"a")


def test_a_wrapped_key_opens_only_with_its_secret() -> None:
    key = sealing.new_secret()
    wrapped = sealing.wrap(key, b"private", b"aad")
    assert sealing.unwrap(key, wrapped, b"aad") == b"private"
    with pytest.raises(sealing.SealingError):
        sealing.unwrap(sealing.new_secret(), wrapped, b"aad")
    with pytest.raises(sealing.SealingError):
        sealing.unwrap(key, b"\x02short", b"aad")


def test_password_derivation_depends_on_password_salt_and_parameters() -> None:
    cheap = sealing.Argon2Parameters(time_cost=1, memory_kib=8, parallelism=1)
    salt = sealing.new_salt()
    first = sealing.derive_from_password("correct horse", salt, cheap)
    assert len(first) == 32
    assert sealing.derive_from_password("correct horse", salt, cheap) == first
    assert sealing.derive_from_password("correct horsf", salt, cheap) != first
    assert sealing.derive_from_password("correct horse", sealing.new_salt(), cheap) != first
    dearer = sealing.Argon2Parameters(time_cost=2, memory_kib=8, parallelism=1)
    assert sealing.derive_from_password("correct horse", salt, dearer) != first
    assert sealing.Argon2Parameters.from_dict(cheap.as_dict()) == cheap


def test_a_field_value_names_its_data_key_and_is_bound_to_its_purpose() -> None:
    key, key_id = sealing.new_secret(), uuid.uuid4()
    token = sealing.encrypt_field(key, key_id, SECRET_TEXT, "app.model.name")
    assert token.startswith(f"amp2:{key_id.hex}:")
    assert SECRET_TEXT not in token
    assert sealing.data_key_id_of(token) == key_id
    assert sealing.decrypt_field(key, token, "app.model.name") == SECRET_TEXT
    with pytest.raises(sealing.SealingError):
        sealing.decrypt_field(key, token, "app.model.other")
    with pytest.raises(sealing.SealingError):
        sealing.decrypt_field(sealing.new_secret(), token, "app.model.name")


def test_errors_and_reprs_never_hold_key_material_or_plaintext() -> None:
    pair = sealing.new_key_pair()
    assert pair.private.hex() not in repr(pair)
    key = sealing.new_secret()
    token = sealing.encrypt_field(key, uuid.uuid4(), SECRET_TEXT, "p")
    with pytest.raises(sealing.SealingError) as raised:
        sealing.decrypt_field(sealing.new_secret(), token, "p")
    assert SECRET_TEXT not in str(raised.value)
    assert key.hex() not in str(raised.value)
