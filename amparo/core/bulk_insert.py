"""INSERT many rows of one model with one statement run for all of them (executemany).

`QuerySet.bulk_create` compiles every value into SQL on its own, which is most of the time of a
bulk write (an import, the statistics facts of thousands of events). Here each value still goes
through its field as a save sends it (`pre_save` for the timestamps and the blind index,
`get_db_prep_save` for encryption; sealed rows get their data key first, as `save` gives it), and
the statement is compiled once. No signals are sent, as with `bulk_create`.

Making a statement (`prepare`: sealing every value, converting it for the driver) is most of the
work, and needs no transaction; running it (`Statement.run`) is the only part that writes. A
writer that must hold the database briefly (an import, while reports arrive through the intake
channel) prepares its next rows outside its transactions, their ids reserved first (`number`).
`insert` does both, in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction
from django.utils import timezone

from amparo.core import custody, instances, sealing
from amparo.core.fields import BlindIndexField, EncryptedField

if TYPE_CHECKING:
    import uuid

# Fields whose Python values the database drivers take as they are.
_PLAIN = (
    models.AutoField,
    models.BigAutoField,
    models.IntegerField,
    models.CharField,
    models.TextField,
    models.BooleanField,
    models.ForeignKey,
)


@dataclass(frozen=True)
class Statement:
    """An INSERT and the values of its rows, each sealed and converted for the driver."""

    sql: str
    values: list[list[Any]]

    def run(self, database: str = DEFAULT_DB_ALIAS) -> None:
        """Write the rows (in the caller's transaction)."""
        if self.values:
            with connections[database].cursor() as cursor:
                cursor.executemany(self.sql, self.values)


def insert(rows: Sequence[models.Model], *, numbered: bool = False) -> None:
    """INSERT the rows of one model. `numbered` rows get their ids first (`number`), so that
    other rows can point at them; the others are numbered by the database (the ids of rows
    whose primary key is not automatic, such as the facts' act ids, are theirs)."""
    if numbered:
        number(rows)
    prepare(rows).run()


def number(rows: Sequence[models.Model]) -> None:
    """Give the rows (of one model) new ids that nobody else will be given (`reserve_ids`)."""
    if rows:
        for row, pk in zip(rows, reserve_ids(type(rows[0]), len(rows)), strict=True):
            row.pk = pk


def prepare(rows: Sequence[models.Model]) -> Statement:
    """The INSERT of the rows of one model, with the ids they have (see `number`) or, if they
    have none, the database's. Seals their values: the rows get their data keys here."""
    if not rows:
        return Statement("", [])
    model = type(rows[0])
    automatic = model._meta.auto_field
    numbered = automatic is not None and getattr(rows[0], automatic.attname) is not None
    fields = [f for f in model._meta.concrete_fields if numbered or f is not automatic]
    custody.assign_data_keys(rows)
    # One moment for every timestamp of the statement (as one save would give its row).
    moment = timezone.now()
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            for row in rows:
                setattr(row, f.attname, moment)
    # The values `pre_save` makes (a blind index, a sealed ciphertext) come last; the others are
    # read in one call a row.
    derived = [f for f in fields if isinstance(f, BlindIndexField | EncryptedField)]
    plain = [f for f in fields if not isinstance(f, BlindIndexField | EncryptedField)]
    read = instances.reader([f.attname for f in plain])
    # Each field's values under one data key are sealed with one sealer (see FieldSealer).
    sealers: dict[tuple[uuid.UUID, int], sealing.FieldSealer] = {}
    derive = [
        partial(f.sealed_value, sealers=sealers)
        if isinstance(f, EncryptedField)
        else partial(f.pre_save, add=True)
        for f in derived
    ]
    statement = _statement(
        model,
        [*plain, *derived],
        [[*read(row), *[value(row) for value in derive]] for row in rows],
    )
    for row in rows:
        row._state.adding = False
    return statement


def insert_values(model: type[models.Model], rows: Sequence[dict[str, Any]]) -> None:
    """INSERT rows given as {attname: value} (no instance is made: many-to-many links,
    versions), numbered by the database."""
    prepare_values(model, rows).run()


def prepare_values(model: type[models.Model], rows: Sequence[dict[str, Any]]) -> Statement:
    """`insert_values`'s statement, not run."""
    if not rows:
        return Statement("", [])
    fields = [model._meta.get_field(name) for name in rows[0]]
    return _statement(model, fields, [list(row.values()) for row in rows])


def _statement(
    model: type[models.Model], fields: Sequence[Any], rows: list[list[Any]]
) -> Statement:
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 - names from the model
        quote(model._meta.db_table),
        ", ".join(quote(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    # Values the drivers take as they are pass; the others go through their field, each value
    # once (dates, timestamps): never an encrypted one, whose every ciphertext must differ, nor
    # JSON (a dict cannot be looked up).
    prepared = [
        i
        for i, f in enumerate(fields)
        if not isinstance(f, _PLAIN)
        or isinstance(f, EncryptedField | BlindIndexField)
        # A key to a row with a UUID primary key (a data key): the driver takes no UUID.
        or (isinstance(f, models.ForeignKey) and not isinstance(f.target_field, _PLAIN))
    ]
    each = {
        i
        for i in prepared
        if isinstance(fields[i], EncryptedField | BlindIndexField | models.JSONField)
    }
    done: dict[tuple[int, Any], Any] = {}
    for row in rows:
        for i in prepared:
            if i in each:
                row[i] = fields[i].get_db_prep_save(row[i], connection)
                continue
            key = (i, row[i])
            if key not in done:
                done[key] = fields[i].get_db_prep_save(row[i], connection)
            row[i] = done[key]
    return Statement(sql, rows)


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """`count` new ids of `model`'s table, which nobody else will be given, whether or not rows
    with them are written in this transaction: on PostgreSQL from its sequence; on SQLite past
    the highest ever given, moving the table's AUTOINCREMENT counter past them."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            return [pk for (pk,) in cursor.fetchall()]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT max(seq) FROM (SELECT seq FROM sqlite_sequence WHERE name = %s "  # noqa: S608
            f"UNION ALL SELECT max(id) FROM {connection.ops.quote_name(table)})",
            [table],
        )
        highest = cursor.fetchone()[0] or 0
        cursor.execute("DELETE FROM sqlite_sequence WHERE name = %s", [table])
        cursor.execute(
            "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, highest + count]
        )
    return list(range(highest + 1, highest + 1 + count))
