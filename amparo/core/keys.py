"""Managing the key ring: generate, status, add, promote, rotate, retire.

`amparo keys` (amparo/core/management/commands/keys.py) is a thin shell over these functions.
The ring holds keys for several purposes (amparo.core.crypto): data keys encrypt fields, index
keys make blind indexes, audit keys chain the audit log, and one derivation key never changes.

Changing a key is two steps, so that servers sharing one database never meet a value made with a
key they do not hold:

1. `add` writes a new key into the key file without using it. Copy the file to every server
   (running processes read it again within seconds).
2. `promote KEY_ID` makes it the primary key of its purpose, then moves everything to it: data
   keys re-encrypt every ciphertext, index keys recompute every blind index from the decrypted
   values; audit entries are never rewritten (each names its key). Copy the file to every server
   again: until a server has it, it keeps writing under the old key, which every server holds,
   and a second `promote KEY_ID` moves what it wrote.

`rotate` is both steps at once, for a single server. `retire KEY_ID` removes a key that nothing
uses any more, and refuses, with the count in each column, while anything does.

Moving is done batch by batch, one transaction per batch. Rows are chosen by the key id at the
start of the stored text (a prefix match in SQL), so a run that stops half-way (a crash, a lost
connection, Ctrl-C) loses nothing: committed batches stay moved, the rest is still readable under
the old key, which stays in the ring, and the same `promote` (or `rotate --resume`) finishes the
job. Each row is written back only if it still holds what was read, so an edit made by the web
application meanwhile is never overwritten. While index values are recomputed, lookups compare
with the value's index under every index key in the ring, so no row goes missing from a search.

Every change to the ring is recorded in the audit log: key ids and counts, never key material.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps
from django.db import connections, router, transaction
from django.db.models import Count, F, Model, Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from amparo.core import audit, crypto, custody, keychain, sealing
from amparo.core.audit_actions import AuditAction
from amparo.core.crypto import Purpose
from amparo.core.fields import (
    BlindIndexField,
    EncryptedColumn,
    EncryptedField,
    IndexColumn,
    encrypted_columns,
    index_columns,
)
from amparo.core.models import AuditEntry, SealedRecord

DEFAULT_BATCH_SIZE = 1000
_RAW = "_amparo_stored"
_SOURCE = "_amparo_source"
UNKNOWN = "?"
# What audit entries about a key name as their object (with the key id).
KEY_OBJECT_TYPE = "core.key"
AUDIT_COLUMN = f"{AuditEntry._meta.label}.key_id"
# The purposes whose keys an operator adds, promotes and retires.
CHANGEABLE = (Purpose.DATA, Purpose.INDEX, Purpose.AUDIT)


class KeysError(Exception):
    """A key-management step cannot be done as asked; the message says why and what to do."""


# --- generate -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Generated:
    path: Path
    created: bool


def generate(path: Path | None = None, *, if_missing: bool = False) -> Generated:
    """Write a new key ring to `path` (default: settings.AMPARO_KEY_FILE) with mode 0600.

    An existing file is never overwritten: it may be the only copy of the keys to existing data.
    With `if_missing`, an existing file is left as it is and reported as not created.
    """
    if path is None:
        try:
            path = crypto.configured_key_file()
        except crypto.KeyFileMissing:
            raise KeysError(
                _("AMPARO_KEY_FILE is not set: pass --output PATH or set AMPARO_KEY_FILE.")
            ) from None
    try:
        crypto.write_keyring(crypto.generate_keyring(), path, replace=False)
    except FileExistsError:
        if if_missing:
            return Generated(path=path, created=False)
        raise KeysError(
            _(
                "%(path)s already exists and was left untouched: it may hold the only copy of "
                "the keys to existing data. To replace a key, use `amparo keys rotate`."
            )
            % {"path": path}
        ) from None
    except OSError as error:
        raise KeysError(
            _("Cannot write %(path)s: %(error)s") % {"path": path, "error": error.strerror}
        ) from None
    return Generated(path=path, created=True)


# --- where keys are used ------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One place that holds values made with keys of one purpose: an encrypted field or a blind
    index. `raw` is the stored text, read without decrypting anything."""

    label: str
    model: type[Model]
    field_name: str

    @property
    def keyed_by_organisation(self) -> bool:
        """A blind index that `amparo keys migrate` moves off the ring to organisation index
        keys: promoting an index key never recomputes it (the ring must not index names)."""
        field = self.model._meta.get_field(self.field_name)
        return isinstance(field, BlindIndexField) and field.keyed_by is not None

    def stored(self) -> QuerySet[Any]:
        manager = self.model._base_manager.db_manager(router.db_for_write(self.model))
        queryset: QuerySet[Any] = manager.annotate(
            **{_RAW: Cast(F(self.field_name), output_field=TextField())}
        ).filter(**{f"{_RAW}__isnull": False})
        if isinstance(self.model._meta.get_field(self.field_name), EncryptedField):
            # Values sealed with a data key (amparo.core.sealing) use no key of the ring.
            queryset = queryset.exclude(**{f"{_RAW}__startswith": f"{sealing.FIELD_VERSION}:"})
        else:
            # Nor do indexes under an organisation's index key.
            queryset = queryset.exclude(**{f"{_RAW}__startswith": crypto.ORGANISATION_INDEX_PREFIX})
        return queryset


def _columns(purpose: Purpose) -> list[Column]:
    found: list[EncryptedColumn | IndexColumn]
    found = [*encrypted_columns()] if purpose is Purpose.DATA else [*index_columns()]
    return [Column(c.label, c.model, c.field.name) for c in found]


def _made_with(key: crypto.Key) -> Q:
    """The stored values made with `key` (data or index)."""
    if key.purpose is Purpose.DATA:
        return Q(**{f"{_RAW}__startswith": crypto.ciphertext_prefix(key.id)})
    prefix = crypto.index_prefix(key)
    if prefix is None:  # a format-1 index key: its values are those without a key id
        return ~Q(**{f"{_RAW}__contains": ":"})
    return Q(**{f"{_RAW}__startswith": prefix})


def usage(ring: crypto.KeyRing, purpose: Purpose) -> dict[str, dict[str, int]]:
    """How many stored values each key of `purpose` made, per column; "?" counts values under
    a key that is not in the ring."""
    if purpose is Purpose.AUDIT:
        counts = dict(
            AuditEntry.objects.exclude(key_id="")
            .values_list("key_id")
            .annotate(entries=Count("pk"))
            .values_list("key_id", "entries")
        )
        by_key = {key_id: counts.pop(key_id, 0) for key_id in ring.of(purpose)}
        by_key[UNKNOWN] = sum(counts.values())
        return {AUDIT_COLUMN: by_key}
    keys = list(ring.of(purpose).values())
    result: dict[str, dict[str, int]] = {}
    for column in _columns(purpose):
        # Aliases by position: key ids may contain "--", which Django refuses in an alias.
        counts = column.stored().aggregate(
            total=Count("pk"),
            **{
                f"key{position}": Count("pk", filter=_made_with(key))
                for position, key in enumerate(keys)
            },
        )
        by_key = {key.id: counts[f"key{position}"] for position, key in enumerate(keys)}
        by_key[UNKNOWN] = counts["total"] - sum(by_key.values())
        result[column.label] = by_key
    return result


def _outstanding(ring: crypto.KeyRing, purpose: Purpose) -> dict[str, int]:
    """Per column, the stored values not made with the primary key of `purpose`."""
    if purpose not in (Purpose.DATA, Purpose.INDEX):
        return {}
    primary = ring.primary(purpose)
    return {
        column.label: column.stored().exclude(_made_with(primary)).count()
        for column in _columns(purpose)
        if not column.keyed_by_organisation
    }


# --- status -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyUsage:
    key_id: str
    purpose: Purpose
    created_at: str
    primary: bool
    # Values (ciphertexts, index values, audit entries) made with the key; None for the
    # derivation key, whose digests are not stored where they could be counted.
    uses: int | None

    @property
    def ciphertexts(self) -> int:
        return self.uses or 0


@dataclass(frozen=True)
class Status:
    path: Path
    format: str
    keys: list[KeyUsage]
    # Per purpose, per column, per key id; "?" counts values under a key not in the ring.
    columns: dict[Purpose, dict[str, dict[str, int]]]
    unknown: int


def status() -> Status:
    """The keys in the ring and how many stored values each one made, in every column."""
    path = crypto.configured_key_file()
    ring = crypto.reload_keyring()
    columns = {purpose: usage(ring, purpose) for purpose in CHANGEABLE}
    keys = [
        KeyUsage(
            key_id=key.id,
            purpose=purpose,
            created_at=key.created_at.isoformat(),
            primary=key.id == ring.primaries[purpose],
            uses=None
            if purpose is Purpose.DERIVATION
            else sum(counts.get(key.id, 0) for counts in columns[purpose].values()),
        )
        for purpose in Purpose
        for key in ring.of(purpose).values()
    ]
    unknown = sum(
        counts.get(UNKNOWN, 0) for by_column in columns.values() for counts in by_column.values()
    )
    return Status(path=path, format=ring.format, keys=keys, columns=columns, unknown=unknown)


# --- add, promote, rotate -----------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    """Reported after each committed batch."""

    column: str
    batch: int
    column_done: int
    column_total: int
    done: int
    total: int


@dataclass
class Rotation:
    """What one add, promote or rotate did."""

    purpose: Purpose
    primary_key_id: str
    new_key_id: str | None
    # Values rewritten (re-encrypted, or index values recomputed) under the primary key.
    rewritten: dict[str, int] = field(default_factory=dict)
    # Rows edited by someone else between our read and our write: left as they were.
    changed_meanwhile: int = 0
    remaining: int = 0

    @property
    def total(self) -> int:
        return sum(self.rewritten.values())

    def summary(self, *, completed: bool) -> dict[str, Any]:
        """What the audit entry records: ids and counts, never key material."""
        return {
            "purpose": self.purpose.value,
            "new_key_id": self.new_key_id,
            "primary_key_id": self.primary_key_id,
            "resumed": self.new_key_id is None,
            "completed": completed,
            "rewritten": self.total,
            "columns": dict(self.rewritten),
            "changed_meanwhile": self.changed_meanwhile,
            "remaining": self.remaining,
        }


def add(purpose: Purpose) -> crypto.Key:
    """Write a new key of `purpose` into the key file, not primary (step 1 of a rotation)."""
    path = crypto.configured_key_file()
    ring, key = _with_new_key(crypto.reload_keyring(), purpose)
    _write(ring, path)
    audit.record(
        None,
        "keys.add",
        changes={"purpose": purpose.value, "key_id": key.id},
        object_type=KEY_OBJECT_TYPE,
        object_id=key.id,
    )
    return key


def promote(
    key_id: str,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Callable[[Progress], None] | None = None,
) -> Rotation:
    """Make `key_id` the primary key of its purpose and move every value to it (step 2).

    Run again with the same key to finish a promotion that stopped, or to move what servers
    still holding the older file wrote meanwhile."""
    _check_batch_size(batch_size)
    ring = crypto.reload_keyring()
    key = ring.keys.get(key_id)
    if key is None:
        raise KeysError(
            _("There is no key %(key_id)s in the key ring (keys: %(known)s).")
            % {"key_id": key_id, "known": ", ".join(sorted(ring.keys))}
        )
    if key.purpose is Purpose.DERIVATION:
        raise KeysError(_("The derivation key is the only one of its kind: it is always primary."))
    resumed = ring.primaries[key.purpose] == key_id
    if not resumed:
        ring = ring.with_primary(key_id)
        _write(ring, crypto.configured_key_file())
        ring = crypto.reload_keyring()
    rotation = Rotation(key.purpose, key_id, None if resumed else key_id)
    _move_recording(AuditAction.KEYS_PROMOTE, ring, rotation, batch_size, progress)
    return rotation


def rotate(
    *,
    purpose: Purpose = Purpose.DATA,
    resume: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Callable[[Progress], None] | None = None,
) -> Rotation:
    """Add a key of `purpose`, make it primary and move every value to it, in one step.

    Without `resume`, refuses while values not under the primary key remain, since that means an
    earlier rotation did not finish: finishing it is what `resume` does. Records `keys.rotate`
    in the audit log whether the run completes or stops on an error.
    """
    _check_batch_size(batch_size)
    if purpose not in CHANGEABLE:
        raise KeysError(_("The derivation key never changes."))
    path = crypto.configured_key_file()
    ring = crypto.reload_keyring()
    if not resume:
        unfinished = sum(_outstanding(ring, purpose).values())
        if unfinished:
            raise KeysError(
                ngettext(
                    "%(count)d value is still under an older key: an earlier rotation did not "
                    "finish. Run `amparo keys rotate --resume` to finish it before adding a key.",
                    "%(count)d values are still under older keys: an earlier rotation did not "
                    "finish. Run `amparo keys rotate --resume` to finish it before adding a key.",
                    unfinished,
                )
                % {"count": unfinished}
            )
        ring, key = _with_new_key(ring, purpose)
        # The new key is safely on disk before any value that needs it is committed.
        _write(ring.with_primary(key.id), path)
        ring = crypto.reload_keyring()
    primary = ring.primaries[purpose]
    rotation = Rotation(purpose, primary, None if resume else primary)
    _move_recording(AuditAction.KEYS_ROTATE, ring, rotation, batch_size, progress)
    return rotation


def _move_recording(
    action: AuditAction,
    ring: crypto.KeyRing,
    rotation: Rotation,
    batch_size: int,
    progress: Callable[[Progress], None] | None,
) -> None:
    try:
        _move_all(ring, rotation, batch_size, progress)
    except BaseException as error:
        changes = rotation.summary(completed=False)
        changes["error"] = error.__class__.__name__
        # The run's own error is the one to report: a failing audit write must not hide it.
        with contextlib.suppress(Exception):
            audit.record(
                None,
                action,
                changes=changes,
                object_type=KEY_OBJECT_TYPE,
                object_id=rotation.primary_key_id,
            )
        raise
    rotation.remaining = sum(_outstanding(ring, rotation.purpose).values())
    audit.record(
        None,
        action,
        changes=rotation.summary(completed=True),
        object_type=KEY_OBJECT_TYPE,
        object_id=rotation.primary_key_id,
    )


def _move_all(
    ring: crypto.KeyRing,
    rotation: Rotation,
    batch_size: int,
    progress: Callable[[Progress], None] | None,
) -> None:
    outstanding = _outstanding(ring, rotation.purpose)
    total = sum(outstanding.values())
    done = 0
    for column in _columns(rotation.purpose):
        if column.keyed_by_organisation:
            continue
        rotation.rewritten[column.label] = 0
        column_done = 0
        for batch, (written, skipped) in enumerate(
            _batches(column, ring, rotation.purpose, batch_size), start=1
        ):
            column_done += written + skipped
            done += written + skipped
            rotation.rewritten[column.label] += written
            rotation.changed_meanwhile += skipped
            if progress is not None:
                progress(
                    Progress(
                        column=column.label,
                        batch=batch,
                        column_done=column_done,
                        column_total=outstanding[column.label],
                        done=done,
                        total=total,
                    )
                )


def _batches(
    column: Column, ring: crypto.KeyRing, purpose: Purpose, batch_size: int
) -> Iterator[tuple[int, int]]:
    """Move the column's values to the primary key, one committed batch after another; yield
    (rows written, rows skipped because they changed meanwhile) after each."""
    after: Any = None
    while True:
        moved = _move_batch(column, ring, purpose, after, batch_size)
        if moved is None:
            return
        written, skipped, after = moved
        yield written, skipped


def _move_batch(
    column: Column, ring: crypto.KeyRing, purpose: Purpose, after: Any, batch_size: int
) -> tuple[int, int, Any] | None:
    """Move the next rows after primary key `after`, in one transaction: (rows written, rows
    skipped because they changed meanwhile, last primary key seen), or None when none are left.
    """
    model = column.model
    alias = router.db_for_write(model)
    connection = connections[alias]
    pk = model._meta.pk
    assert pk is not None
    stored_field = model._meta.get_field(column.field_name)
    assert isinstance(stored_field, EncryptedField | BlindIndexField)
    quote = connection.ops.quote_name
    table, stored = quote(model._meta.db_table), quote(stored_field.column)
    sql = (
        f"UPDATE {table} SET {stored} = %s "  # noqa: S608 (quoted identifiers)
        f"WHERE {quote(pk.column)} = %s AND {stored} = %s"
    )
    with transaction.atomic(using=alias):
        rows = column.stored().exclude(_made_with(ring.primary(purpose))).order_by("pk")
        if after is not None:
            rows = rows.filter(pk__gt=after)
        if isinstance(stored_field, BlindIndexField):
            # The source as stored: decrypted row by row, so that a failure names its row.
            rows = rows.annotate(
                **{_SOURCE: Cast(F(stored_field.source), output_field=TextField())}
            )
            selected = list(rows.values_list("pk", _RAW, _SOURCE)[:batch_size])
        else:
            selected = list(rows.values_list("pk", _RAW)[:batch_size])
        if not selected:
            return None
        updates = [
            (
                _rewrite(column, ring, key, row),
                pk.get_db_prep_value(key, connection),
                row[0],
            )
            for key, *row in selected
        ]
        with connection.cursor() as cursor:
            cursor.executemany(sql, updates)
            written = cursor.rowcount if cursor.rowcount >= 0 else len(updates)
    return written, len(updates) - written, selected[-1][0]


def _rewrite(column: Column, ring: crypto.KeyRing, key: Any, row: list[Any]) -> str | None:
    """The value row `key` should hold under the primary key: re-encrypted, or re-indexed from
    its source."""
    model = column.model
    stored_field = model._meta.get_field(column.field_name)
    try:
        if isinstance(stored_field, EncryptedField):
            token = row[0]
            return ring.encrypt(ring.decrypt(token, stored_field.purpose), stored_field.purpose)
        assert isinstance(stored_field, BlindIndexField)
        source_field, source = model._meta.get_field(stored_field.source), row[1]
        if source is not None and isinstance(source_field, EncryptedField):
            source = source_field.decode(ring.decrypt(source, source_field.purpose).decode())
        return None if source is None else stored_field.digest(source, ring)
    except crypto.CryptoError as error:
        raise KeysError(
            _(
                "Row %(pk)s of %(column)s cannot be decrypted, so the run stopped (its batch was "
                "not changed): %(error)s"
            )
            % {"pk": key, "column": column.label, "error": error}
        ) from error


# --- retire -------------------------------------------------------------------------------------


def retire(key_id: str) -> crypto.Key:
    """Take `key_id` out of the key file, if no stored value was made with it."""
    path = crypto.configured_key_file()
    ring = crypto.reload_keyring()
    key = ring.keys.get(key_id)
    if key is None:
        raise KeysError(
            _("There is no key %(key_id)s in the key ring (keys: %(known)s).")
            % {"key_id": key_id, "known": ", ".join(sorted(ring.keys))}
        )
    if key.purpose is Purpose.DERIVATION:
        raise KeysError(
            _(
                "The derivation key is never retired: the intake receipts are stored as hashes "
                "salted with it."
            )
        )
    if ring.primaries[key.purpose] == key_id:
        raise KeysError(
            _("Key %(key_id)s is the primary %(purpose)s key: promote another key first.")
            % {"key_id": key_id, "purpose": key.purpose.value}
        )
    in_use = {
        label: counts[key_id]
        for label, counts in usage(ring, key.purpose).items()
        if counts.get(key_id)
    }
    if in_use:
        raise KeysError(_refusal(key, in_use, ring.primaries[key.purpose]))
    _write(ring.without_key(key_id), path)
    audit.record(
        None,
        "keys.retire",
        changes={"purpose": key.purpose.value, "key_id": key_id},
        object_type=KEY_OBJECT_TYPE,
        object_id=key_id,
    )
    return key


def _refusal(key: crypto.Key, in_use: dict[str, int], primary: str) -> str:
    total = sum(in_use.values())
    columns = "; ".join(f"{label}: {count}" for label, count in in_use.items())
    if key.purpose is Purpose.AUDIT:
        remedy = _(
            "An audit key stays for as long as the log holds entries made with it: the log is "
            "append-only, so that is for good."
        )
    elif any(
        column.keyed_by_organisation for column in _columns(key.purpose) if column.label in in_use
    ):
        remedy = _(
            "Run `amparo keys migrate`: it moves the names' indexes to their organisations' "
            "index keys."
        )
    else:
        remedy = _("Run `amparo keys promote %(primary)s` to move them to the primary key.") % {
            "primary": primary
        }
    return ngettext(
        "Key %(key_id)s is still used by %(count)d value (%(columns)s). %(remedy)s",
        "Key %(key_id)s is still used by %(count)d values (%(columns)s). %(remedy)s",
        total,
    ) % {"key_id": key.id, "count": total, "columns": columns, "remedy": remedy}


# --- helpers ------------------------------------------------------------------------------------


def _check_batch_size(batch_size: int) -> None:
    if batch_size < 1:
        raise KeysError(_("The batch size must be at least 1."))


def _with_new_key(ring: crypto.KeyRing, purpose: Purpose) -> tuple[crypto.KeyRing, crypto.Key]:
    try:
        return ring.with_new_key(purpose)
    except crypto.RingChangeRefused as error:
        raise KeysError(str(error)) from None


def _write(ring: crypto.KeyRing, path: Path) -> None:
    try:
        crypto.write_keyring(ring, path, replace=True)
    except OSError as error:
        raise KeysError(
            _("Cannot write %(path)s: %(error)s. Nothing was changed.")
            % {"path": path, "error": error.strerror}
        ) from None


# --- migrate: from the ring to data keys sealed to organisation keys (issue 16) -------------------


@dataclass(frozen=True)
class MigrationStep:
    """What one registered migrator moved in one batch (one transaction)."""

    name: str
    records: int


# A migrator moves at most `batch_size` records (with their rows) from the ring to data keys in
# one transaction and returns how many it moved; 0 when none are left. It needs no person's key:
# it reads the old values with the ring and seals new data keys to organisations' public keys.
Migrator = Callable[[int], int]
_migrators: dict[str, Migrator] = {}


def register_migration(name: str, migrator: Migrator) -> None:
    """Each app whose records are sealed registers its migrator in `AppConfig.ready`."""
    _migrators[name] = migrator


def _every_migrator() -> dict[str, Migrator]:
    """The registered migrators, and one for every sealed model (`core.models.SealedRecord`,
    `custody.migrator`): a model made sealed is moved with no registration to forget. (A child
    whose parent is still under the key ring moves its parent with it, so the order is free.)"""
    every = dict(_migrators)
    for model in apps.get_models():
        if issubclass(model, SealedRecord):
            every.setdefault(model._meta.label_lower, custody.migrator(model))
    return every


@dataclass
class Migration:
    moved: dict[str, int] = field(default_factory=dict)
    retired: list[str] = field(default_factory=list)
    # Per blind index keyed by organisation: rows looked at, and those left without an index
    # (the run's keys opened neither their organisation's index key nor their value).
    reindexed: dict[str, int] = field(default_factory=dict)
    unindexed: dict[str, int] = field(default_factory=dict)


def migrate(
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Callable[[MigrationStep], None] | None = None,
) -> Migration:
    """Move every registered app's records from ring ciphertexts to sealed data keys, batch by
    batch (a run that stops keeps what it committed; running it again finishes), and the
    blind indexes keyed by organisation from the ring's index keys to the organisations' (see
    `custody.IndexMigration`), then retire the ring's data keys that nothing uses any more.
    Audited: counts, never values.

    One keychain for the whole run, starting with the keys of the person it runs on behalf of
    (`--as`), if any: an index key made in one batch indexes the next batches' rows."""
    _check_batch_size(batch_size)
    result = Migration()
    run = keychain.Keychain(organisation_keys=dict(keychain.current().organisation_keys))
    try:
        with keychain.using(run):
            for name, migrator in sorted(_every_migrator().items()):
                result.moved[name] = 0
                while moved := migrator(batch_size):
                    result.moved[name] += moved
                    if progress is not None:
                        progress(MigrationStep(name, moved))
            for column in index_columns():
                if column.field.keyed_by is None:
                    continue
                reindexing = custody.IndexMigration(column.model, column.field)
                result.reindexed[column.label] = 0
                while looked_at := reindexing.batch(batch_size):
                    result.reindexed[column.label] += looked_at
                    if progress is not None:
                        progress(MigrationStep(column.label, looked_at))
                result.unindexed[column.label] = reindexing.left
        ring = crypto.reload_keyring()
        for key_id in ring.of(Purpose.DATA):
            if key_id == ring.primary_id:
                continue
            if not any(counts.get(key_id) for counts in usage(ring, Purpose.DATA).values()):
                retire(key_id)
                result.retired.append(key_id)
    finally:
        audit.record(
            None,
            AuditAction.KEYS_MIGRATE,
            changes={
                "moved": result.moved,
                "retired": result.retired,
                "reindexed": result.reindexed,
                "unindexed": result.unindexed,
            },
            object_type=KEY_OBJECT_TYPE,
            object_id="migrate",
        )
        run.clear()
    return result
