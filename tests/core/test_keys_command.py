"""`amparo keys generate | status | add | promote | rotate | retire`."""

from __future__ import annotations

import base64
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
from amparo.core.fields import blind_index
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
    assert list(ring.of(crypto.Purpose.DATA)) == [ring.primary_id]


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
    assert "1 value was made with a key that is not in this key file" in keys_command("status")


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
    assert set(ring.of(crypto.Purpose.DATA)) == {old, ring.primary_id}  # the old key is kept
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
        "purpose": "data",
        "new_key_id": ring.primary_id,
        "primary_key_id": ring.primary_id,
        "resumed": False,
        "completed": True,
        "rewritten": 30,
        "changed_meanwhile": 0,
        "remaining": 0,
    }
    document = json.loads(key_file.read_text())
    for secret in (k["key"] for k in document["keys"]):
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
        real = keys._move_batch

        def flaky(column: keys.Column, *args: Any) -> tuple[int, int, Any] | None:
            if column.label == label:
                monkeypatch.setattr(keys, "_move_batch", real)
                raise ConnectionError("connection lost")
            return real(column, *args)

        monkeypatch.setattr(keys, "_move_batch", flaky)

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
    assert set(crypto.load_keyring(key_file).of(crypto.Purpose.DATA)) == {old, new}

    output = keys_command("rotate", "--resume", "--batch-size", "4")
    assert "Added key" not in output
    assert set(crypto.load_keyring(key_file).of(crypto.Purpose.DATA)) == {old, new}
    assert key_ids_in_use() == {new}
    assert plaintexts() == expected_plaintexts()
    interrupted, resumed = rotation_entries()
    assert interrupted["completed"] is False
    assert interrupted["error"] == "ConnectionError"
    assert interrupted["rewritten"] == 10  # the names, in batches of 4, 4 and 2
    assert resumed["completed"] is True
    assert resumed["resumed"] is True
    assert resumed["rewritten"] == 20


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
    assert rotation.rewritten["fieldtest.Secret.name"] == ROWS - 1


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
    assert len(crypto.load_keyring(key_file).of(crypto.Purpose.DATA)) == 1


# --- add, promote, retire (issue 9, item 17) ----------------------------------------------------


def entries_of(action: str) -> list[dict[str, Any]]:
    return [e.changes for e in AuditEntry.objects.filter(action=action).order_by("id")]


def new_key_id(output: str) -> str:
    found = re.search(r"Added \w+ key ([0-9a-f]{8})", output)
    assert found, output
    return found.group(1)


@pytest.mark.django_db
def test_add_writes_a_key_that_nothing_uses_until_it_is_promoted(
    key_file: Path, secrets: list[Secret]
) -> None:
    old = crypto.keyring().primary_id
    added = new_key_id(keys_command("add"))
    ring = crypto.load_keyring(key_file)
    assert set(ring.of(crypto.Purpose.DATA)) == {old, added}
    assert ring.primary_id == old
    Secret.objects.create(name="Written after add")  # every server can read it
    assert key_ids_in_use() == {old}
    assert entries_of("keys.add") == [{"purpose": "data", "key_id": added}]

    output = keys_command("promote", added, "--batch-size", "4")
    assert f"Key {added} is now the primary data key" in output
    assert "Re-encrypted 31 values" in output
    assert crypto.load_keyring(key_file).primary_id == added
    assert key_ids_in_use() == {added}
    [promotion] = entries_of("keys.promote")
    assert (promotion["new_key_id"], promotion["rewritten"], promotion["completed"]) == (
        added,
        31,
        True,
    )


@pytest.mark.django_db
def test_promote_again_finishes_an_interrupted_promotion_and_what_lagging_servers_wrote(
    key_file: Path, secrets: list[Secret], crash_at: Callable[[str], None]
) -> None:
    old = crypto.keyring().primary_id
    added = new_key_id(keys_command("add"))
    crash_at("fieldtest.Secret.notes")
    with pytest.raises(ConnectionError):
        keys_command("promote", added)
    assert key_ids_in_use() == {old, added}
    # A server that still holds the older file writes under the old primary meanwhile.
    lagging = crypto.load_keyring(key_file).with_primary(old)
    store(
        "notes", secrets[0].pk, lagging.encrypt(b"from a lagging server", "fieldtest.secret.notes")
    )

    output = keys_command("promote", added)
    assert "is now the primary" not in output
    assert key_ids_in_use() == {added}
    assert Secret.objects.get(pk=secrets[0].pk).notes == "from a lagging server"
    interrupted, finished = entries_of("keys.promote")
    assert (interrupted["completed"], interrupted["error"]) == (False, "ConnectionError")
    assert (finished["resumed"], finished["rewritten"]) == (True, 10)


@pytest.mark.django_db
def test_retire_removes_a_key_nothing_uses_and_records_it(
    key_file: Path, secrets: list[Secret]
) -> None:
    old = crypto.keyring().primary_id
    keys_command("rotate")
    output = keys_command("retire", old)
    assert f"Retired data key {old}" in output
    ring = crypto.load_keyring(key_file)
    assert old not in ring.keys
    assert plaintexts() == expected_plaintexts()
    assert entries_of("keys.retire") == [{"purpose": "data", "key_id": old}]
    entry = AuditEntry.objects.get(action="keys.retire")
    assert (entry.object_type, entry.object_id) == ("core.key", old)


@pytest.mark.django_db
def test_retire_refuses_while_values_use_the_key_and_counts_them_per_column(
    key_file: Path, secrets: list[Secret], crash_at: Callable[[str], None]
) -> None:
    old = crypto.keyring().primary_id
    crash_at("fieldtest.Secret.details")
    with pytest.raises(ConnectionError):
        keys_command("rotate")
    new = crypto.load_keyring(key_file).primary_id
    with pytest.raises(CommandError) as refused:
        keys_command("retire", old)
    message = str(refused.value)
    assert f"Key {old} is still used by 20 values" in message
    assert "fieldtest.Secret.details: 10; fieldtest.Secret.notes: 10" in message
    assert f"amparo keys promote {new}" in message
    assert old in crypto.load_keyring(key_file).keys
    assert not entries_of("keys.retire")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("which", "refusal"),
    [
        ("data", "is the primary data key"),
        ("derivation", "never retired"),
        ("unknown", "There is no key nope"),
    ],
)
def test_retire_refuses_a_primary_key_the_derivation_key_and_an_unknown_id(
    key_file: Path, which: str, refusal: str
) -> None:
    ring = crypto.keyring()
    key_id = "nope" if which == "unknown" else ring.primaries[crypto.Purpose(which)]
    with pytest.raises(CommandError, match=refusal):
        keys_command("retire", key_id)
    assert crypto.load_keyring(key_file).keys == ring.keys


@pytest.mark.django_db
def test_an_audit_key_rotates_and_is_kept_while_entries_name_it(key_file: Path) -> None:
    from amparo.core import audit

    old = crypto.keyring().primaries[crypto.Purpose.AUDIT]
    before = audit.record(None, "test.before")
    output = keys_command("rotate", "--purpose", "audit")
    new = crypto.load_keyring(key_file).primaries[crypto.Purpose.AUDIT]
    assert new != old
    assert f"New audit entries are chained with key {new}" in output
    assert AuditEntry.objects.latest("id").key_id == new  # the rotation's own entry
    with pytest.raises(CommandError, match=r"still used by 1 value \(core.AuditEntry.key_id: 1\)"):
        keys_command("retire", old)
    assert before.key_id == old
    # Entries under both keys verify (the anchor is another test's business).
    assert audit.verify(expect=(before.pk, before.entry_hash)).problem in {
        None,
        audit.Problem.ANCHOR_MISSING,
    }


def index_values() -> list[str | None]:
    return stored("name_index")


def found_by_name() -> list[int]:
    return [Secret.objects.get(name_index=blind_index(f"  DEFENDER {n} ")).pk for n in range(ROWS)]


@pytest.mark.django_db
def test_the_blind_index_key_rotates_and_every_row_stays_findable_throughout(
    key_file: Path, secrets: list[Secret]
) -> None:
    old = crypto.keyring().primaries[crypto.Purpose.INDEX]
    assert {value[:9] for value in index_values()} == {f"{old}:"}
    findable: list[bool] = []

    def check(progress: keys.Progress) -> None:
        crypto.reload_keyring()  # as a web process would within seconds
        findable.append(found_by_name() == [s.pk for s in secrets])

    rotation = keys.rotate(purpose=crypto.Purpose.INDEX, batch_size=3, progress=check)
    new = crypto.load_keyring(key_file).primaries[crypto.Purpose.INDEX]
    assert findable and all(findable)
    assert {value[:9] for value in index_values()} == {f"{new}:"}
    assert rotation.rewritten["fieldtest.Secret.name_index"] == ROWS
    assert found_by_name() == [s.pk for s in secrets]
    assert plaintexts() == expected_plaintexts()  # the ciphertexts were not touched
    [entry] = entries_of("keys.rotate")
    assert (entry["purpose"], entry["rewritten"], entry["remaining"]) == ("index", ROWS, 0)
    keys_command("retire", old)
    assert found_by_name() == [s.pk for s in secrets]


@pytest.mark.django_db
def test_an_interrupted_index_promotion_is_finished_by_promoting_again(
    key_file: Path, secrets: list[Secret]
) -> None:
    added = new_key_id(keys_command("add", "--purpose", "index"))
    real = keys._move_batch
    calls = 0

    def stop_after_one_batch(column: keys.Column, *args: Any) -> tuple[int, int, Any] | None:
        nonlocal calls
        calls += column.label == "fieldtest.Secret.name_index"
        if calls == 2:
            raise ConnectionError("connection lost")
        return real(column, *args)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(keys, "_move_batch", stop_after_one_batch)
        with pytest.raises(ConnectionError):
            keys_command("promote", added, "--batch-size", "4")
    assert sum(value.startswith(f"{added}:") for value in index_values() if value) == 4
    assert found_by_name() == [s.pk for s in secrets]  # half moved, all found
    keys_command("promote", added)
    assert all(value.startswith(f"{added}:") for value in index_values() if value)


@pytest.mark.django_db
def test_the_index_key_of_a_format_1_ring_rotates_to_index_values_that_name_their_key(
    settings: Any, tmp_path: Path
) -> None:
    ring = crypto.generate_keyring()
    data = ring.primary(crypto.Purpose.DATA)
    path = tmp_path / "v1.json"
    path.write_text(
        json.dumps(
            {
                "format": "amparo-keyring/1",
                "primary": data.id,
                "blind_index_key": base64.b64encode(b"i" * 32).decode(),
                "keys": [
                    {
                        "id": data.id,
                        "key": base64.b64encode(data.secret).decode(),
                        "created_at": data.created_at.isoformat(),
                    }
                ],
            }
        )
    )
    settings.AMPARO_KEY_FILE = path
    made = [Secret.objects.create(name=f"Defender {n}") for n in range(ROWS)]
    assert all(len(value) == 64 and ":" not in value for value in index_values() if value)
    assert "v1-index" in keys_command("status")

    keys_command("rotate", "--purpose", "index")
    new = crypto.load_keyring(path).primaries[crypto.Purpose.INDEX]
    assert all(value.startswith(f"{new}:") for value in index_values() if value)
    assert found_by_name() == [s.pk for s in made]
    keys_command("retire", crypto.V1_INDEX_KEY_ID)
    assert json.loads(path.read_text())["format"] == "amparo-keyring/2"
    assert found_by_name() == [s.pk for s in made]


@pytest.mark.django_db
def test_status_shows_every_key_with_its_purpose(key_file: Path, secrets: list[Secret]) -> None:
    ring = crypto.keyring()
    output = keys_command("status")
    for purpose in crypto.Purpose:
        key = ring.primary(purpose)
        assert re.search(rf"{key.id}\s+{purpose.value}\s", output), output
    assert f"fieldtest.Secret.name_index: {ring.primaries[crypto.Purpose.INDEX]} {ROWS}" in output
