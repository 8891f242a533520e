"""The facts as an Arrow table in memory, kept in step with the database.

DuckDB cannot read SQLite or PostgreSQL here (its scanner extensions cannot be downloaded), so
the facts travel as Arrow. Reading a million rows from the database takes seconds, far longer
than the cross-tab itself, so each process keeps the table it read and, before each use, asks the
change log (`FactChange`) what changed since: nothing (one indexed query, the usual case), a few
events (their rows are read again and replace the old ones), or too much to patch (the whole
table is read again). The facts identify nobody, so the copy in memory needs no protection beyond
the process's own; nothing is written to disk.

The table read here holds what `Fact` stores; the columns derived from it (verified, year,
quarter, month, and each term's broader terms from the vocabularies' hierarchy) are computed
with Arrow, then the whole is checked by `analysis.facts.validate_facts` (a full read) or, for a
patch, the new rows are.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.db import connection

from amparo.analysis.facts import (
    ANCESTORS_SUFFIX,
    FACTS_SCHEMA,
    HIERARCHICAL_COLUMNS,
    TermTree,
    validate_facts,
)
from amparo.cases.models import Vocab
from amparo.core.models import Term
from amparo.stats.models import Fact, FactChange

# A patch rereads the facts of the changed events; past this many, the whole table is read.
MAX_PATCHED_EVENTS = 20_000
STORED = (
    "act_id",
    "event_id",
    "victim_id",
    "victim_kind",
    "organisation_id",
    "confidentiality",
    "event_status",
    "act_date",
    "date_precision",
    "country",
    "region",
    "type_of_act",
    "consequences",
    "defender_types",
    "sex",
    "age_group",
    "perpetrator_types",
    "source_ids",
    "source_kinds",
    "law",
    "law_provision",
)
LIST_COLUMNS = ("consequences", "defender_types", "perpetrator_types", "source_ids", "source_kinds")
# The vocabularies of each hierarchical column of the facts.
TERM_LISTS: dict[str, tuple[str, ...]] = {
    "type_of_act": Vocab.TYPE_OF_ACT,
    "consequences": Vocab.CONSEQUENCE,
    "defender_types": Vocab.DEFENDER_TYPE,
    "sex": Vocab.SEX,
    "perpetrator_types": Vocab.PERPETRATOR_TYPE,
}
Head = tuple[int, str | None]


# The tail of patched rows is sorted into the rest once it holds this share of the facts.
RESORT_SHARE = 0.1


@dataclass(frozen=True)
class Facts:
    """The facts in memory: `main` sorted by organisation and confidentiality (so that one
    organisation's facts up to a clearance are one zero-copy slice), and `tail`, the rows read
    again since (patches), in no order."""

    main: pa.Table
    tail: pa.Table
    keys: np.ndarray  # organisation_id * 4 + confidentiality of each row of `main`, ascending

    @classmethod
    def sorted_from(cls, table: pa.Table) -> Facts:
        order = pc.sort_indices(
            table,
            sort_keys=[
                ("organisation_id", "ascending"),
                ("confidentiality", "ascending"),
                ("act_id", "ascending"),
            ],
        )
        main = table.take(order).combine_chunks()
        return cls(main, main.slice(0, 0), _keys(main))

    @property
    def table(self) -> pa.Table:
        """Every fact (one zero-copy table of both parts)."""
        return pa.concat_tables([self.main, self.tail]) if self.tail.num_rows else self.main

    def organisation_rows(self, organisation_id: int, clearance: int) -> pa.Table:
        """The facts of `main` of one organisation's events up to `clearance`, without copying."""
        low = int(np.searchsorted(self.keys, organisation_id * 4, side="left"))
        high = int(np.searchsorted(self.keys, organisation_id * 4 + clearance, side="right"))
        return self.main.slice(low, max(0, high - low))


def _keys(table: pa.Table) -> np.ndarray:
    organisation = table.column("organisation_id").to_numpy()
    confidentiality = table.column("confidentiality").to_numpy().astype(np.int64)
    keys: np.ndarray = organisation.astype(np.int64) * 4 + confidentiality
    return keys


@dataclass(frozen=True)
class Snapshot:
    facts: Facts
    head: Head  # the last change it includes: (FactChange id, token)


_lock = threading.Lock()
_current: Snapshot | None = None


def term_tree() -> TermTree:
    """The broader term of each term, per hierarchical facts column, from the vocabularies."""
    assert set(TERM_LISTS) == set(HIERARCHICAL_COLUMNS)
    parents: dict[str, dict[str, str | None]] = {}
    for column, thesauri in TERM_LISTS.items():
        parents[column] = dict(
            Term.objects.filter(thesaurus__code__in=thesauri).values_list("code", "parent__code")
        )
    return TermTree(parents)


def facts_head() -> Head:
    """The last change to the facts: equal heads, equal facts."""
    return _head()


def _head() -> Head:
    row = FactChange.objects.order_by("-id").values_list("id", "token").first()
    return (0, None) if row is None else (row[0], row[1])


def current() -> Facts:
    """The facts as the database holds them now (in this transaction)."""
    global _current
    head = _head()
    with _lock:
        snapshot = _current
        if snapshot is not None and snapshot.head == head:
            return snapshot.facts
        patched = _patched(snapshot, head) if snapshot is not None else None
        _current = Snapshot(patched or Facts.sorted_from(read_all()), head)
        return _current.facts


def facts() -> pa.Table:
    """Every fact, as one table."""
    return current().table


def forget() -> None:
    """Drop the copy in memory (tests, benchmarks)."""
    global _current
    with _lock:
        _current = None


def _patched(snapshot: Snapshot, head: Head) -> Facts | None:
    """The snapshot with the events changed since it was read replaced; None when it cannot be
    patched (a rebuild, too many changes, or a log that does not continue it)."""
    since, token = snapshot.head
    if since > head[0]:
        return None
    if since and FactChange.objects.filter(id=since, token=token).count() != 1:
        return None  # the log it followed is gone (pruned, or rolled back and rewritten)
    changed = list(
        FactChange.objects.filter(id__gt=since).values_list("event_id", flat=True).distinct()
    )
    old = snapshot.facts
    if not since and (old.main.num_rows or old.tail.num_rows):
        return None
    if None in changed or len(changed) > MAX_PATCHED_EVENTS:
        return None
    event_ids = pa.array([pk for pk in changed if pk is not None], pa.int64())

    def kept(part: pa.Table) -> pa.Table:
        return part.filter(pc.invert(pc.is_in(part.column("event_id"), value_set=event_ids)))

    main = kept(old.main)
    tail = pa.concat_tables([kept(old.tail), read(event_ids.to_pylist())])
    if tail.num_rows > RESORT_SHARE * max(main.num_rows, 1):
        return Facts.sorted_from(pa.concat_tables([main, tail]))
    keys = old.keys if main.num_rows == old.main.num_rows else _keys(main)
    return Facts(main, tail.combine_chunks(), keys)


def read_all() -> pa.Table:
    return _arrow(_fetch(None), term_tree())


def read(event_ids: Sequence[int]) -> pa.Table:
    """The facts of these events only (checked on their own)."""
    rows: list[tuple[Any, ...]] = []
    for start in range(0, len(event_ids), 2000):
        rows += _fetch(event_ids[start : start + 2000])
    return _arrow(rows, term_tree())


def _fetch(event_ids: Sequence[int] | None) -> list[tuple[Any, ...]]:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(name) for name in STORED)  # each field's column is its name
    sql = f"SELECT {columns} FROM {quote(Fact._meta.db_table)}"  # noqa: S608 (our own names)
    params: list[int] = []
    if event_ids is not None:
        if not event_ids:
            return []
        sql += f" WHERE {quote('event_id')} IN ({', '.join(['%s'] * len(event_ids))})"
        params = list(event_ids)
    sql += f" ORDER BY {quote('act_id')}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _code_lists(texts: pa.Array) -> pa.Array:
    """ "a b c" → ["a", "b", "c"]; "" → []."""
    texts = pc.fill_null(texts, "")
    split = pc.split_pattern(texts, " ")
    lengths = pc.if_else(pc.equal(texts, ""), 0, pc.list_value_length(split))
    offsets = np.concatenate([[0], np.cumsum(lengths.to_numpy(zero_copy_only=False))])
    values = split.flatten()
    values = values.filter(pc.not_equal(values, ""))
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), values)


def _with_ancestors(column: str, values: pa.Array, tree: TermTree) -> pa.Array:
    """Each row's codes and all their broader terms (a row of one code, or of a list)."""
    lists = (
        values
        if pa.types.is_list(values.type)
        else pc.if_else(
            pc.is_null(values),
            pa.scalar([], pa.list_(pa.string())),
            pa.ListArray.from_arrays(pa.array(range(len(values) + 1), pa.int32()), values),
        )
    )
    flat = pc.list_flatten(lists)
    distinct = pc.unique(flat)
    chains = pa.array(
        [tree.ancestry(column, code) for code in distinct.to_pylist()], pa.list_(pa.string())
    )
    taken = chains.take(pc.index_in(flat, value_set=distinct))
    per_value = pc.list_value_length(taken).to_numpy(zero_copy_only=False)
    cumulative = np.concatenate([[0], np.cumsum(per_value)])
    offsets = lists.offsets.to_numpy() if len(lists) else np.array([0])
    row_offsets = cumulative[offsets - offsets[0]]
    return pa.ListArray.from_arrays(pa.array(row_offsets, pa.int32()), pc.list_flatten(taken))


def _arrow(rows: list[tuple[Any, ...]], tree: TermTree) -> pa.Table:
    stored = dict(zip(STORED, zip(*rows, strict=True), strict=True)) if rows else {}
    columns: dict[str, pa.Array] = {}
    for name in STORED:
        values = list(stored.get(name, ()))
        if name in LIST_COLUMNS:
            lists = _code_lists(pa.array(values, pa.string()))
            columns[name] = lists.cast(pa.list_(pa.int64())) if name == "source_ids" else lists
        elif name == "act_date":
            columns[name] = pa.array(
                [None if v is None else str(v) for v in values], pa.string()
            ).cast(pa.date32())
        else:
            columns[name] = pa.array(values, FACTS_SCHEMA.field(name).type)
    status = columns["event_status"]
    columns["verified"] = pc.fill_null(pc.is_in(status, pa.array(["verified", "closed"])), False)
    date, precision = columns["act_date"], columns["date_precision"]
    known = pc.not_equal(precision, "unknown")
    within_year = pc.is_in(precision, pa.array(["day", "month"]))
    year = pc.cast(pc.year(date), pa.int16())
    columns["year"] = pc.if_else(known, year, pa.scalar(None, pa.int16()))
    quarter = pc.binary_join_element_wise(
        pc.cast(pc.year(date), pa.string()), pc.cast(pc.quarter(date), pa.string()), "-Q"
    )
    columns["quarter"] = pc.if_else(within_year, quarter, pa.scalar(None, pa.string()))
    columns["month"] = pc.if_else(
        within_year, pc.strftime(date, format="%Y-%m"), pa.scalar(None, pa.string())
    )
    for column in HIERARCHICAL_COLUMNS:
        columns[f"{column}{ANCESTORS_SUFFIX}"] = _with_ancestors(column, columns[column], tree)
    table = pa.Table.from_arrays(
        [columns[field.name] for field in FACTS_SCHEMA], schema=FACTS_SCHEMA
    )
    return validate_facts(table)
