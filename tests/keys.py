"""Test plumbing for sealed keys (issue 16).

Every key pair the code makes during a test is remembered here (by public key), so that a test
helper can play "a colleague who holds the organisation's keys signed in": `grant_everything`
seals every organisation key to every entitled member, as the first keyholder's next login would.
Tests about custody itself (tests/core/test_custody.py, test_seizure.py) do not use it: they
sign in through the real login view.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from amparo.core import crypto, custody, keychain, on_behalf, sealing
from amparo.core.models import OrganisationKey, User
from tests.factories import PASSWORD

_pairs: dict[bytes, bytes] = {}
_real_new_key_pair = sealing.new_key_pair


def _remembering_new_key_pair() -> sealing.KeyPair:
    pair = _real_new_key_pair()
    _pairs[pair.public] = pair.private
    return pair


@pytest.fixture(autouse=True)
def remembered_key_pairs(
    monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[None]:
    """Each test starts with an empty keychain of its own. Outside requests (a test reading a
    row, calling a service), the test acts as a holder of every organisation key made so far,
    unless it is marked `only_real_keys` (tests of custody and of the seizure promise). Requests
    through the test client always get the keychain the middleware opens from their session."""
    monkeypatch.setattr(sealing, "new_key_pair", _remembering_new_key_pair)
    outer = keychain.Keychain()
    if request.node.get_closest_marker("only_real_keys") is None:
        real_open = custody.open_data_key

        def open_as_holder_of_every_key(data_key_id: uuid.UUID) -> bytes | None:
            raw = real_open(data_key_id)
            if raw is None and keychain.current() is outer:
                outer.organisation_keys.update(everyone_keychain().organisation_keys)
                raw = real_open(data_key_id)
            return raw

        monkeypatch.setattr(custody, "open_data_key", open_as_holder_of_every_key)
    with keychain.using(outer):
        yield
    _pairs.clear()


@pytest.fixture
def command_password(monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands run `--as` a person read the factories' password from the environment, as a
    script would."""
    monkeypatch.setenv(on_behalf.PASSWORD_VARIABLE, PASSWORD)


def everyone_keychain() -> keychain.Keychain:
    """A keychain holding every organisation key made in this test."""
    chain = keychain.Keychain()
    for key in OrganisationKey.objects.all():
        private = _pairs.get(bytes(key.public_key))
        if private is not None:
            chain.organisation_keys[key.pk] = private
    return chain


def grant_everything(user: User, password: str) -> keychain.Keychain:
    """Give `user` a personal key if they have none, the organisation keys of all their
    memberships (as a keyholder's next sign-in would), and return their unlocked keychain."""
    for membership in user.memberships.select_related("organisation"):
        custody.ensure_organisation_keys(membership.organisation)
    custody.unlock(user, password)  # makes the personal key where missing
    custody.fulfil_pending_grants(chain=everyone_keychain())
    return custody.unlock(user, password).keychain


def own_copy_of_the_ring(settings: Any, directory: Path) -> None:
    """A copy of the installation's key ring that a test may rotate and retire keys in. A copy,
    not a new ring: the derivation key never changes in an installation, and the stored public
    keys' MACs were made with it."""
    key_file = directory / "keyring.json"
    crypto.write_keyring(crypto.keyring(), key_file, replace=False)
    settings.AMPARO_KEY_FILE = key_file
