"""`amparo keys generate | status | rotate`."""

from __future__ import annotations

import json
import re
import stat
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from amparo.core import crypto, keys
from amparo.core.fields import EncryptedColumn, blind_index
from amparo.core.models import AuditEntry
from tests.fieldtest.models import Secret

ROWS = 10


@pytest.fixture
def key_file(settings: Any, tmp_path: Path) -> Path:
    """A key ring of this test's own, so rotating it leaves the suite's ring alone."""
    path = tmp_path / "keyring.json"
    crypto.write_keyring(crypto.generate_keyring(), path, replace=False)
    settings.AMPARO_KEY_FILE = path
    return path


@pytest.fixture
def secrets(key_file: Path) -> list[Secret]:
    return [
        Secret.objects.create(
            name=f"Defender {n}", details={"n": n, "phone": f"+57 300 {n:04}"}, notes=f"note {n}"
        )
        for n in range(ROWS)
    ]


def keys_command(*args: str) -> str:
    out = StringIO()
    call_command("keys", *args, stdout=out)
    return out.getvalue()


def stored(column: str) -> list[str]:
    table = connection.ops.quote_name(Secret._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {connection.ops.quote_name(column)} FROM {table} ORDER BY id")
        return [value for (value,) in cursor.fetchall()]


def store(column: str, pk: int, value: str) -> None:
    table = connection.ops.quote_name(Secret._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {connection.ops.quote_name(column)} = %s WHERE id = %s",
            [value, pk],
        )


def key_ids_in_use() -> set[str]:
    return {crypto.key_id_of(t) for c in ["name", "details", "notes"] for t in stored(c) if t}


def plaintexts() -> list[tuple[Any, ...]]:
    return list(Secret.objects.order_by("pk").values_list("name", "details", "notes"))


def expected_plaintexts() -> list[tuple[Any, ...]]:
    return [
        (f"Defender {n}", {"n": n, "phone": f"+57 300 {n:04}"}, f"note {n}") for n in range(ROWS)
    ]


def rotation_entries() -> list[dict[str, Any]]:
    return [e.changes for e in AuditEntry.objects.filter(action="keys.rotate").order_by("id")]


# --- generate -----------------------------------------------------------------------------------


def test_generate_writes_a_private_key_file_and_asks_for_a_backup(tmp_path: Path) -> None:
    path = tmp_path / "secret" / "keyring.json"
    output = keys_command("generate", "--output", str(path))
    assert str(path) in output
    assert "Back up this key file" in output
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    ring = crypto.load_keyring(path)
    assert list(ring.keys) == [ring.primary_id]


def test_generate_writes_to_the_configured_key_file_by_default(
    settings: Any, tmp_path: Path
) -> None:
    settings.AMPARO_KEY_FILE = tmp_path / "keyring.json"
    keys_command("generate")
    assert crypto.keyring().primary_id


def test_generate_refuses_to_overwrite_an_existing_key_file(key_file: Path) -> None:
    before = key_file.read_text()
    with pytest.raises(CommandError, match="already exists and was left untouched"):
        keys_command("generate")
    assert key_file.read_text() == before


def test_generate_if_missing_leaves_an_existing_file_and_says_so(key_file: Path) -> None:
    before = key_file.read_text()
    output = keys_command("generate", "--if-missing")
    assert "already exists; left unchanged" in output
    assert key_file.read_text() == before


def test_generate_without_a_path_or_setting_says_what_to_pass(settings: Any) -> None:
    settings.AMPARO_KEY_FILE = None
    with pytest.raises(CommandError, match="--output PATH"):
        keys_command("generate")


# --- status -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_status_shows_each_key_and_how_many_values_it_protects(
    key_file: Path, secrets: list[Secret]
) -> None:
    primary = crypto.keyring().primary_id
    output = keys_command("status")
    assert str(key_file) in output
    assert re.search(rf"{primary} .* {ROWS * 3}  primary", output)
    assert f"fieldtest.Secret.name: {primary} {ROWS}\n" in output


@pytest.mark.django_db
def test_status_warns_about_ciphertexts_under_keys_it_does_not_have(
    key_file: Path, secrets: list[Secret]
) -> None:
    stranger = crypto.generate_keyring().encrypt(b"x", "fieldtest.secret.notes")
    store("notes", secrets[0].pk, stranger)
    assert "1 value is encrypted under a key that is not in this key file" in keys_command("status")


def test_status_without_a_key_file_fails_with_the_remedy(settings: Any, tmp_path: Path) -> None:
    settings.AMPARO_KEY_FILE = tmp_path / "absent.json"
    with pytest.raises(CommandError, match="amparo keys generate"):
        keys_command("status")


# --- rotate -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_rotate_re_encrypts_everything_under_a_new_primary_key(
    key_file: Path, secrets: list[Secret]
) -> None:
    old = crypto.keyring().primary_id
    indexes = stored("name_index")

    output = keys_command("rotate", "--batch-size", "3")

    ring = crypto.load_keyring(key_file)
    assert ring.primary_id != old
    assert set(ring.keys) == {old, ring.primary_id}  # the old key is kept
    assert key_ids_in_use() == {ring.primary_id}
    assert plaintexts() == expected_plaintexts()
    assert stored("name_index") == indexes  # blind indexes need no recomputing
    assert Secret.objects.get(name_index=blind_index("defender 7")) == secrets[7]
    assert "fieldtest.Secret.name batch 4: 10/10 (all columns: 10/30)" in output
    assert f"Re-encrypted 30 values under key {ring.primary_id}" in output
    assert "Back up this key file" in output


@pytest.mark.django_db
def test_rotate_records_counts_but_no_key_material_in_the_audit_log(
    key_file: Path, secrets: list[Secret]
) -> None:
    keys_command("rotate")
    ring = crypto.load_keyring(key_file)
    [changes] = rotation_entries()
    logged = json.dumps(changes)
    columns = changes.pop("columns")
    assert {label: count for label, count in columns.items() if count} == {
        "fieldtest.Secret.name": 10,
        "fieldtest.Secret.details": 10,
        "fieldtest.Secret.notes": 10,
    }
    assert changes == {
        "new_key_id": ring.primary_id,
        "primary_key_id": ring.primary_id,
        "resumed": False,
        "completed": True,
        "reencrypted": 30,
        "changed_meanwhile": 0,
        "remaining": 0,
    }
    document = json.loads(key_file.read_text())
    for secret in [document["blind_index_key"], *(k["key"] for k in document["keys"])]:
        assert secret not in logged


@pytest.mark.django_db
def test_every_row_stays_readable_while_a_rotation_is_under_way(
    key_file: Path, secrets: list[Secret]
) -> None:
    seen: list[set[str]] = []

    def check(progress: keys.Progress) -> None:
        crypto.reload_keyring()  # as a web process would within seconds
        assert plaintexts() == expected_plaintexts()
        seen.append(key_ids_in_use())

    keys.rotate(batch_size=4, progress=check)
    assert any(len(ids) == 2 for ids in seen)  # old and new keys side by side


@pytest.fixture
def crash_at(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Make the rotation fail, as a lost connection would, when it reaches a column."""

    def arm(label: str) -> None:
        real = keys._reencrypt_batch

        def flaky(column: EncryptedColumn, *args: Any) -> tuple[int, int, Any]:
            if column.label == label:
                monkeypatch.setattr(keys, "_reencrypt_batch", real)
                raise ConnectionError("connection lost")
            return real(column, *args)

        monkeypatch.setattr(keys, "_reencrypt_batch", flaky)

    return arm


@pytest.mark.django_db
def test_an_interrupted_rotation_is_finished_with_resume_without_another_key(
    key_file: Path, secrets: list[Secret], crash_at: Callable[[str], None]
) -> None:
    old = crypto.keyring().primary_id
    crash_at("fieldtest.Secret.details")
    with pytest.raises(ConnectionError):
        keys_command("rotate", "--batch-size", "4")
    new = crypto.load_keyring(key_file).primary_id
    assert key_ids_in_use() == {old, new}
    assert plaintexts() == expected_plaintexts()

    with pytest.raises(CommandError, match="rotate --resume"):
        keys_command("rotate")
    assert set(crypto.load_keyring(key_file).keys) == {old, new}

    output = keys_command("rotate", "--resume", "--batch-size", "4")
    assert "Added key" not in output
    assert set(crypto.load_keyring(key_file).keys) == {old, new}
    assert key_ids_in_use() == {new}
    assert plaintexts() == expected_plaintexts()
    interrupted, resumed = rotation_entries()
    assert interrupted["completed"] is False
    assert interrupted["error"] == "ConnectionError"
    assert interrupted["reencrypted"] == 10  # the names, in batches of 4, 4 and 2
    assert resumed["completed"] is True
    assert resumed["resumed"] is True
    assert resumed["reencrypted"] == 20


@pytest.mark.django_db
def test_an_edit_made_during_rotation_is_not_overwritten(
    key_file: Path, secrets: list[Secret], monkeypatch: pytest.MonkeyPatch
) -> None:
    target = secrets[5]
    real_decrypt = crypto.KeyRing.decrypt

    def decrypt_while_someone_edits(ring: crypto.KeyRing, token: str, purpose: str) -> bytes:
        if purpose == "fieldtest.secret.name" and token == stored("name")[5]:
            Secret.objects.filter(pk=target.pk).update(name="Edited meanwhile")
        return real_decrypt(ring, token, purpose)

    monkeypatch.setattr(crypto.KeyRing, "decrypt", decrypt_while_someone_edits)
    rotation = keys.rotate(batch_size=100)
    target.refresh_from_db()
    assert target.name == "Edited meanwhile"
    assert rotation.changed_meanwhile == 1
    assert rotation.reencrypted["fieldtest.Secret.name"] == ROWS - 1


@pytest.mark.django_db
def test_rotation_stops_at_a_value_it_cannot_decrypt_and_names_the_row(
    key_file: Path, secrets: list[Secret]
) -> None:
    bad = secrets[2]
    token = stored("notes")[2]
    store("notes", bad.pk, token[:-4] + "AAAA")
    with pytest.raises(CommandError, match=rf"Row {bad.pk} of fieldtest\.Secret\.notes"):
        keys_command("rotate", "--batch-size", "100")
    [entry] = rotation_entries()
    assert entry["completed"] is False


@pytest.mark.django_db
def test_rotate_refuses_a_batch_size_below_one(key_file: Path) -> None:
    with pytest.raises(CommandError, match="at least 1"):
        keys_command("rotate", "--batch-size", "0")
    assert len(crypto.load_keyring(key_file).keys) == 1
