"""Managing the key ring: generating it, reporting on it, rotating to a new primary key.

`amparo keys` (amparo/core/management/commands/keys.py) is a thin shell over these functions.

Rotation first adds a new primary key to the key file, then re-encrypts every ciphertext still
under an older key, batch by batch, one transaction per batch. Rows are chosen by the key id at
the start of the stored text (a prefix match in SQL), so a run that stops half-way (a crash, a
lost connection, Ctrl-C) loses nothing: committed batches stay re-encrypted, the rest is still
readable under the old key, which stays in the ring, and `rotate(resume=True)` finishes the job
without adding yet another key.

Each row is written back only if it still holds the ciphertext that was read, so an edit made
by the web application during the rotation is never overwritten with re-encrypted old data.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import connections, router, transaction
from django.db.models import Count, F, Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from amparo.core import audit, crypto
from amparo.core.fields import EncryptedColumn, encrypted_columns

DEFAULT_BATCH_SIZE = 1000
_RAW = "_amparo_ciphertext"


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


# --- status -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyUsage:
    key_id: str
    created_at: str
    primary: bool
    ciphertexts: int


@dataclass(frozen=True)
class Status:
    path: Path
    keys: list[KeyUsage]
    # Ciphertexts per column and key id; "?" counts those under a key id not in the ring.
    columns: dict[str, dict[str, int]]
    unknown: int


UNKNOWN = "?"


def status() -> Status:
    """The keys in the ring and how many ciphertexts each one protects, in every column."""
    path = crypto.configured_key_file()
    ring = crypto.reload_keyring()
    columns = {column.label: _count_by_key(column, ring) for column in encrypted_columns()}
    usage = [
        KeyUsage(
            key_id=key.id,
            created_at=key.created_at.isoformat(),
            primary=key.id == ring.primary_id,
            ciphertexts=sum(counts.get(key.id, 0) for counts in columns.values()),
        )
        for key in sorted(ring.keys.values(), key=lambda k: k.created_at)
    ]
    unknown = sum(counts.get(UNKNOWN, 0) for counts in columns.values())
    return Status(path=path, keys=usage, columns=columns, unknown=unknown)


def _ciphertexts(column: EncryptedColumn) -> QuerySet[Any]:
    """The column's stored text, untouched: cast to plain text so nothing decrypts it."""
    manager = column.model._base_manager.db_manager(router.db_for_write(column.model))
    queryset: QuerySet[Any] = manager.annotate(
        **{_RAW: Cast(F(column.field.name), output_field=TextField())}
    )
    return queryset


def _count_by_key(column: EncryptedColumn, ring: crypto.KeyRing) -> dict[str, int]:
    key_ids = list(ring.keys)
    # Aliases by position: key ids may contain "--", which Django refuses in an alias.
    counts = _ciphertexts(column).aggregate(
        total=Count(_RAW),
        **{
            f"key{position}": Count(
                "pk", filter=Q(**{f"{_RAW}__startswith": crypto.ciphertext_prefix(key_id)})
            )
            for position, key_id in enumerate(key_ids)
        },
    )
    by_key = {key_id: counts[f"key{position}"] for position, key_id in enumerate(key_ids)}
    by_key[UNKNOWN] = counts["total"] - sum(by_key.values())
    return by_key


def _not_under(column: EncryptedColumn, key_id: str) -> QuerySet[Any]:
    return (
        _ciphertexts(column)
        .filter(**{f"{_RAW}__isnull": False})
        .exclude(**{f"{_RAW}__startswith": crypto.ciphertext_prefix(key_id)})
    )


# --- rotate -------------------------------------------------------------------------------------


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
    primary_key_id: str
    new_key_id: str | None
    reencrypted: dict[str, int] = field(default_factory=dict)
    # Rows edited by someone else between our read and our write: left as they were.
    changed_meanwhile: int = 0
    remaining: int = 0

    def summary(self, *, completed: bool) -> dict[str, Any]:
        """What the audit entry records: ids and counts, never key material."""
        return {
            "new_key_id": self.new_key_id,
            "primary_key_id": self.primary_key_id,
            "resumed": self.new_key_id is None,
            "completed": completed,
            "reencrypted": sum(self.reencrypted.values()),
            "columns": dict(self.reencrypted),
            "changed_meanwhile": self.changed_meanwhile,
            "remaining": self.remaining,
        }


def rotate(
    *,
    resume: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Callable[[Progress], None] | None = None,
) -> Rotation:
    """Make a new primary key and re-encrypt every ciphertext under it (see the module docstring).

    Without `resume`, refuses while ciphertexts under older keys remain, since that means an
    earlier rotation did not finish: finishing it is what `resume` does. Records `keys.rotate` in
    the audit log whether the run completes or stops on an error.
    """
    if batch_size < 1:
        raise KeysError(_("The batch size must be at least 1."))
    path = crypto.configured_key_file()
    ring = crypto.reload_keyring()
    columns = encrypted_columns()
    if not resume:
        unfinished = sum(_not_under(column, ring.primary_id).count() for column in columns)
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
        ring = ring.with_new_primary()
        # The new key is safely on disk before any ciphertext that needs it is committed.
        try:
            crypto.write_keyring(ring, path, replace=True)
        except OSError as error:
            raise KeysError(
                _("Cannot write %(path)s: %(error)s. Nothing was changed.")
                % {"path": path, "error": error.strerror}
            ) from None
        ring = crypto.reload_keyring()
    rotation = Rotation(
        primary_key_id=ring.primary_id, new_key_id=None if resume else ring.primary_id
    )
    try:
        _reencrypt_all(ring, columns, batch_size, rotation, progress)
    except BaseException as error:
        _record(rotation, completed=False, error=error)
        raise
    rotation.remaining = sum(_not_under(column, ring.primary_id).count() for column in columns)
    _record(rotation, completed=True)
    return rotation


def _reencrypt_all(
    ring: crypto.KeyRing,
    columns: list[EncryptedColumn],
    batch_size: int,
    rotation: Rotation,
    progress: Callable[[Progress], None] | None,
) -> None:
    outstanding = {column.label: _not_under(column, ring.primary_id).count() for column in columns}
    total = sum(outstanding.values())
    done = 0
    for column in columns:
        rotation.reencrypted[column.label] = 0
        column_done = 0
        batch = 0
        after: Any = None
        while True:
            written, skipped, after = _reencrypt_batch(column, ring, after, batch_size)
            if after is None:
                break
            batch += 1
            column_done += written + skipped
            done += written + skipped
            rotation.reencrypted[column.label] += written
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


def _reencrypt_batch(
    column: EncryptedColumn, ring: crypto.KeyRing, after: Any, batch_size: int
) -> tuple[int, int, Any]:
    """Re-encrypt the next rows after primary key `after`, in one transaction.

    Returns (rows written, rows skipped because they changed meanwhile, last primary key seen),
    the last key being None when no rows were left.
    """
    model, encrypted = column.model, column.field
    alias = router.db_for_write(model)
    connection = connections[alias]
    pk = model._meta.pk
    assert pk is not None
    quote = connection.ops.quote_name
    sql = (
        f"UPDATE {quote(model._meta.db_table)} SET {quote(encrypted.column)} = %s "  # noqa: S608 (quoted identifiers)
        f"WHERE {quote(pk.column)} = %s AND {quote(encrypted.column)} = %s"
    )
    with transaction.atomic(using=alias):
        rows = _not_under(column, ring.primary_id).order_by("pk")
        if after is not None:
            rows = rows.filter(pk__gt=after)
        selected = list(rows.values_list("pk", _RAW)[:batch_size])
        if not selected:
            return 0, 0, None
        updates = []
        for key, token in selected:
            try:
                plaintext = ring.decrypt(token, encrypted.purpose)
            except crypto.CryptoError as error:
                raise KeysError(
                    _(
                        "Row %(pk)s of %(column)s cannot be decrypted, so the rotation stopped "
                        "(its batch was not changed): %(error)s"
                    )
                    % {"pk": key, "column": column.label, "error": error}
                ) from error
            updates.append(
                (
                    ring.encrypt(plaintext, encrypted.purpose),
                    pk.get_db_prep_value(key, connection),
                    token,
                )
            )
        with connection.cursor() as cursor:
            cursor.executemany(sql, updates)
            written = cursor.rowcount if cursor.rowcount >= 0 else len(updates)
    return written, len(updates) - written, selected[-1][0]


def _record(rotation: Rotation, *, completed: bool, error: BaseException | None = None) -> None:
    changes = rotation.summary(completed=completed)
    if error is None:
        _audit_record(changes)
        return
    changes["error"] = error.__class__.__name__
    # The rotation's own error is the one to report: a failing audit write must not hide it.
    with contextlib.suppress(Exception):
        _audit_record(changes)


def _audit_record(changes: dict[str, Any]) -> None:
    audit.record(None, "keys.rotate", changes=changes)
