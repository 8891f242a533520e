"""Fields sealed with a record's data key (issue 16): amparo.core.fields with `sealed_by`."""

from __future__ import annotations

import base64
import json

import pytest
from django.conf import settings
from django.core.exceptions import FieldError
from django.db import transaction
from django.db.models import TextField
from django.db.models.functions import Cast
from django.template import Context, Template
from django.utils import translation

from amparo.core import bulk_insert, crypto, custody, keychain, sealing
from amparo.core.fields import LockedValue, holds_locked
from amparo.intake.access import KEY_PURPOSE
from tests.factories import OrganisationFactory
from tests.fieldtest.models import SealedSecret, Secret

pytestmark = [pytest.mark.django_db, pytest.mark.only_real_keys]

NAME = "Ana María Quispe"


def stored(secret: SealedSecret, column: str = "name") -> str:
    return str(
        SealedSecret.objects.filter(pk=secret.pk)
        .annotate(raw=Cast(column, output_field=TextField()))
        .values_list("raw", flat=True)
        .get()
    )


def nonce_of(token: str) -> bytes:
    body = token.split(":", 2)[2]
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))[: sealing.NONCE_BYTES]


@pytest.fixture
def sealed() -> tuple[SealedSecret, keychain.Keychain]:
    """A record sealed with a data key of an organisation, and the keychain that opens it."""
    organisation = OrganisationFactory()
    with keychain.using(keychain.Keychain()) as chain:
        data_key = custody.new_data_key(organisation, 1, KEY_PURPOSE)
        secret = SealedSecret.objects.create(
            data_key=data_key, name=NAME, details={"phone": "+254 700 000"}
        )
    return secret, chain


def test_a_sealed_value_names_its_data_key_and_opens_with_it(
    sealed: tuple[SealedSecret, keychain.Keychain],
) -> None:
    secret, chain = sealed
    token = stored(secret)
    assert token.startswith(f"amp2:{secret.data_key_id.hex}:")  # type: ignore[union-attr]
    assert NAME not in token
    with keychain.using(chain):
        again = SealedSecret.objects.get(pk=secret.pk)
    assert again.name == NAME
    assert again.details == {"phone": "+254 700 000"}


def test_without_the_key_a_value_reads_as_locked_and_shows_a_label(
    sealed: tuple[SealedSecret, keychain.Keychain],
) -> None:
    secret, _chain = sealed
    with keychain.using(keychain.Keychain()):
        locked = SealedSecret.objects.get(pk=secret.pk)
    assert isinstance(locked.name, LockedValue)
    assert isinstance(locked.details, LockedValue)
    assert NAME not in locked.name
    assert "Locked" in Template("{{ secret.name }}").render(Context({"secret": locked}))


def test_saving_a_locked_value_writes_the_ciphertext_back_unchanged(
    sealed: tuple[SealedSecret, keychain.Keychain],
) -> None:
    secret, chain = sealed
    before = stored(secret)
    with keychain.using(keychain.Keychain()):
        locked = SealedSecret.objects.get(pk=secret.pk)
        locked.label = "seen"
        locked.save()
    assert stored(secret) == before
    with keychain.using(chain):
        assert SealedSecret.objects.get(pk=secret.pk).name == NAME


def test_queryset_update_and_bulk_update_refuse_to_write_a_sealed_field(
    sealed: tuple[SealedSecret, keychain.Keychain],
) -> None:
    secret, chain = sealed
    with keychain.using(chain), pytest.raises(FieldError, match="sealed"), transaction.atomic():
        SealedSecret.objects.filter(pk=secret.pk).update(name="overwritten")
    secret.name = "overwritten"
    with keychain.using(chain), pytest.raises(FieldError, match="sealed"), transaction.atomic():
        SealedSecret.objects.bulk_update([secret], ["name"])
    with keychain.using(chain):
        assert SealedSecret.objects.get(pk=secret.pk).name == NAME


def test_bulk_create_and_bulk_insert_seal_each_value(
    sealed: tuple[SealedSecret, keychain.Keychain],
) -> None:
    secret, chain = sealed
    with keychain.using(chain):
        made = SealedSecret.objects.bulk_create(
            [SealedSecret(data_key_id=secret.data_key_id, name=NAME)]
        )
        bulk_insert.insert([SealedSecret(data_key_id=secret.data_key_id, name=NAME, label="b")])
        rows = list(SealedSecret.objects.exclude(pk=secret.pk))
    assert [row.name for row in rows] == [NAME, NAME]
    assert stored(made[0]).startswith("amp2:")
    assert all(stored(row).startswith("amp2:") for row in rows)


def test_a_bulk_write_seals_every_value_with_its_own_nonce_under_its_own_row_s_key(
    sealed: tuple[SealedSecret, keychain.Keychain],
) -> None:
    # A bulk write makes each field's cipher once per data key (sealing.FieldSealer): equal
    # values must still differ when sealed, and no row may take another row's key or another
    # field's associated data.
    secret, chain = sealed
    with keychain.using(chain):
        other_key = custody.new_data_key(OrganisationFactory(), 1, KEY_PURPOSE)
        rows = [
            SealedSecret(data_key_id=key, name=NAME, details=NAME)
            for key in [secret.data_key_id, other_key.pk] * 3
        ]
        bulk_insert.insert(rows, numbered=True)
        tokens = [stored(row, column) for row in rows for column in ("name", "details")]
        assert len(set(tokens)) == len(tokens)
        nonces = {nonce_of(token) for token in tokens}
        assert len(nonces) == len(tokens)
        for row in rows:
            assert sealing.data_key_id_of(stored(row)) == row.data_key_id
            raw = custody.require_data_key(row.data_key_id)  # type: ignore[arg-type]
            assert sealing.decrypt_field(raw, stored(row), "fieldtest.sealedsecret.name") == NAME
            with pytest.raises(sealing.SealingError):
                sealing.decrypt_field(raw, stored(row, "details"), "fieldtest.sealedsecret.name")
        assert [again.name for again in SealedSecret.objects.filter(label="")] == [NAME] * 7


def test_writing_a_sealed_value_without_its_key_is_refused_not_half_written(
    sealed: tuple[SealedSecret, keychain.Keychain],
) -> None:
    secret, _chain = sealed
    before = stored(secret)
    with keychain.using(keychain.Keychain()):
        locked = SealedSecret.objects.get(pk=secret.pk)
        locked.name = "a new name typed by someone without the key"
        with pytest.raises(custody.KeysLocked), transaction.atomic():
            locked.save()
    assert stored(secret) == before


def test_a_ring_ciphertext_still_opens_and_moves_to_the_data_key_when_saved(
    sealed: tuple[SealedSecret, keychain.Keychain],
) -> None:
    secret, chain = sealed
    old = SealedSecret.objects.create(name=NAME)  # no data key yet: under the ring
    assert crypto.key_id_of(stored(old)) == crypto.keyring().primary_id
    assert SealedSecret.objects.get(pk=old.pk).name == NAME
    with keychain.using(chain):
        old.data_key_id = secret.data_key_id
        old.save()
        assert SealedSecret.objects.get(pk=old.pk).name == NAME
    assert sealing.data_key_id_of(stored(old)) == secret.data_key_id


def test_a_value_copied_into_another_column_does_not_open(
    sealed: tuple[SealedSecret, keychain.Keychain],
) -> None:
    secret, chain = sealed
    with keychain.using(chain):
        raw = custody.require_data_key(secret.data_key_id)  # type: ignore[arg-type]
    with pytest.raises(sealing.SealingError):
        sealing.decrypt_field(raw, stored(secret), "fieldtest.sealedsecret.details")


def test_a_locked_value_is_found_at_any_depth_of_a_snapshot() -> None:
    locked = LockedValue("amp2:…")
    snapshot = {"event": {"title": "Raid"}, "persons": [{"full_name": "Akinyi", "types": [3]}]}

    assert not holds_locked(snapshot)
    assert holds_locked(locked)
    assert holds_locked({**snapshot, "persons": [{"full_name": "Akinyi"}, {"full_name": locked}]})
    assert holds_locked({"acts": [(1, [{"remarks": locked}])]})


@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES])
def test_a_locked_value_read_in_any_language_is_never_written_into_json(language: str) -> None:
    """Writing JSON looks for a LockedValue only when the text reads as the label: a value read
    while any language of the site was active is still refused, deep in a snapshot."""
    field = Secret._meta.get_field("details")
    with translation.override(language):
        locked = LockedValue("amp2:…")
    snapshot = {"persons": [{"full_name": "Akinyi"}, {"full_name": locked, "types": [3]}]}

    with translation.override("en"), pytest.raises(custody.KeysLocked):
        field.encode(snapshot)
    # Someone who types the label's words into a note has them kept.
    quoted = {"notes": f"They wrote {str(locked)!r} in the file."}
    assert json.loads(field.encode(quoted)) == quoted
