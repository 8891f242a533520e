"""Cross-tabulation of the facts: counts of acts, victims or events by up to three dimensions.

`crosstab(facts, query, ...)` runs one DuckDB query, in memory, over the facts Arrow table (read in
place, not copied) and returns a `CrossTab`: the cells in long form (one row per cell, margins
included) with every value's code and label in the reader's language, and `wide()` for the table
a page or a report prints.

How it counts:

* A cell counts distinct acts, victims (pseudonyms) or events among the facts that pass the
  filters. A value never recorded (no sex given, no consequence listed) is a value of its own,
  "Not recorded", so every act is in the table.
* A multi-valued dimension (consequences, types of defender, types of perpetrator, types of
  source) counts an act once under each of its values: an act against a journalist who is also a
  trade unionist is in both columns. Totals count each act, victim or event once, so **the cells
  of a multi-valued dimension add up to more than their total**; a table that uses one says so.
* A filter keeps the acts whose value is one of those listed; with `include_narrower`, also the
  acts whose value is a narrower term of one of them (a filter on threats keeps death threats).
  On a multi-valued dimension the act is kept when any of its values matches; when that
  dimension is also a row or column, only the matching values are shown.
* A period keeps the acts whose date, as far as it is known, lies within it: an act known only
  to have happened in 2024 is in the year 2024 but not in March 2024; an undated act is in no
  period.

Small cells: counts about other organisations' records are shown to a viewer only when they are
not small. A cell is suppressed ("<5") when the part of its count that comes from records of
organisations other than the viewer's is between 1 and the threshold minus one: the viewer knows
their own records, so a cell of 12 made of 11 of theirs and 1 of someone else's would otherwise
reveal that one. Then, so that no suppressed cell can be recovered from its row's or column's
total, a line (row or column, total included) with exactly one suppressed cell has its next
smallest cell suppressed too (among those holding others' records: hiding a count made only of
the viewer's own records protects nothing), until no line has exactly one. A suppressed cell's count
does not leave this module.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from amparo.analysis.dimensions import (
    LANGUAGES,
    RIGHT_TO_LEFT,
    Catalogue,
    Dimension,
    ValueNames,
    catalogue,
)
from amparo.analysis.facts import FACTS_SCHEMA, FactsError, FactsProblem, TermTree, connect

MAX_DIMENSIONS = 3
DEFAULT_THRESHOLD = 5


class QueryError(ValueError):
    """A cross-tab that cannot be computed as asked (unknown dimension, too many, bad value)."""


@dataclass(frozen=True)
class Filter:
    """Keep the acts whose `dimension` is one of `values` (codes, as strings)."""

    dimension: str
    values: tuple[str, ...]
    include_narrower: bool = False


@dataclass(frozen=True)
class Period:
    """Keep the acts whose date, as far as it is known, lies from `start` to `end` inclusive."""

    start: datetime.date | None = None
    end: datetime.date | None = None


@dataclass(frozen=True)
class Query:
    rows: tuple[str, ...]
    columns: tuple[str, ...] = ()
    measure: str = "acts"
    filters: tuple[Filter, ...] = ()
    period: Period | None = None
    margins: bool = True


@dataclass(frozen=True)
class Suppression:
    """Small-cell suppression for a viewer: counts from records of organisations other than
    `viewer_organisation_id` (all records when None: the public, a partner) below `threshold`
    are hidden."""

    viewer_organisation_id: int | None
    threshold: int = DEFAULT_THRESHOLD


# A cell's key: its row's values and its column's values; TOTAL stands for "all of them".
Key = tuple[str | None, ...]
TOTAL: Key = ("\0total",)


@dataclass(frozen=True)
class Cell:
    row: Key
    column: Key
    value: int
    foreign: int  # the part of `value` from other organisations' records


@dataclass(frozen=True)
class CrossTab:
    """A computed cross-tab. `cells` is the long form: for each dimension its code (null when not
    recorded, or in a total) and `<key>_label`; `all_rows` / `all_columns` mark totals; `value`
    is the count (null when suppressed), `shown` what to print ("12", "<5") and `suppressed`."""

    query: Query
    language: str
    measure_label: str
    rows: tuple[Dimension, ...]
    columns: tuple[Dimension, ...]
    cells: pa.Table
    total_label: str
    suppressed_text: str | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def right_to_left(self) -> bool:
        return self.language in RIGHT_TO_LEFT

    @property
    def sums_exceed_totals(self) -> bool:
        """Whether cells may add up to more than their total (a multi-valued dimension)."""
        return any(d.multi_valued for d in (*self.rows, *self.columns))

    def wide(self) -> pa.Table:
        """The table to print: the row dimensions' labels, then one column of counts per column
        value (and the total), one row per row value (and the total), counts as text."""
        records = self.cells.to_pylist()
        row_keys: dict[Key, list[str]] = {}
        column_keys: dict[Key, str] = {}
        shown: dict[tuple[Key, Key], str] = {}
        for record in records:
            row = TOTAL if record["all_rows"] else tuple(record[d.key] for d in self.rows)
            column = TOTAL if record["all_columns"] else tuple(record[d.key] for d in self.columns)
            if row not in row_keys:
                row_keys[row] = (
                    [self.total_label] + [""] * (len(self.rows) - 1)
                    if row == TOTAL
                    else [record[f"{d.key}_label"] for d in self.rows]
                )
            if column not in column_keys:
                column_keys[column] = (
                    self.total_label
                    if column == TOTAL and self.columns
                    else " / ".join(record[f"{d.key}_label"] for d in self.columns)
                    or self.measure_label
                )
            shown[(row, column)] = record["shown"]
        ordered_rows = sorted(row_keys, key=lambda k: k == TOTAL)
        ordered_columns = sorted(column_keys, key=lambda k: k == TOTAL)
        arrays = [
            pa.array([row_keys[r][i] for r in ordered_rows], pa.string())
            for i in range(len(self.rows))
        ]
        arrays += [
            pa.array([shown.get((r, c), "0") for r in ordered_rows], pa.string())
            for c in ordered_columns
        ]
        names = [d.label(self.language) for d in self.rows]
        names += [column_keys[c] for c in ordered_columns]
        return pa.Table.from_arrays(arrays, names=names)


def crosstab(
    facts: pa.Table,
    query: Query,
    *,
    language: str = "en",
    names: ValueNames | None = None,
    tree: TermTree | None = None,
    suppression: Suppression | None = None,
    dimensions: Catalogue | None = None,
) -> CrossTab:
    """Count `query.measure` in `facts` (a table from `facts_table` or `validate_facts`) by the
    query's rows and columns, in `language`. `names` names the values the catalogue does not;
    `tree` (the vocabularies' hierarchy) is needed to show only the narrower values of a
    multi-valued dimension that is both filtered with `include_narrower` and shown."""
    if not facts.schema.equals(FACTS_SCHEMA):
        raise FactsError([FactsProblem(None, "(schema)", "check the table with validate_facts")])
    if language not in LANGUAGES:
        raise QueryError(f"No labels in {language!r}; there are {', '.join(LANGUAGES)}.")
    book = dimensions or catalogue()
    names = names or ValueNames()
    plan = _Plan(book, query, tree, suppression)
    with connect() as connection:
        connection.register("facts", facts)
        result = connection.sql(plan.sql(), params=plan.params).to_arrow_table()
    return _result(book, plan, result, language, names, suppression)


class _Plan:
    """The SQL of one cross-tab, and how its result rows become cells."""

    def __init__(
        self,
        book: Catalogue,
        query: Query,
        tree: TermTree | None,
        suppression: Suppression | None,
    ) -> None:
        self.query = query
        self.rows = tuple(_dimension(book, key) for key in query.rows)
        self.columns = tuple(_dimension(book, key) for key in query.columns)
        self.shown = (*self.rows, *self.columns)
        if not self.rows:
            raise QueryError("Choose at least one dimension for the rows.")
        if len(self.shown) > MAX_DIMENSIONS:
            raise QueryError(f"A table has at most {MAX_DIMENSIONS} dimensions.")
        if len({d.key for d in self.shown}) < len(self.shown):
            raise QueryError("A dimension can be shown only once.")
        measure = book.measures.get(query.measure)
        if measure is None:
            raise QueryError(f"{query.measure!r} is not something a table can count.")
        # An act is in a cell at most once (lists hold no value twice): counting rows is exact.
        distinct = f"count(DISTINCT {measure.distinct})"
        self.count = "count(*)" if measure.distinct == "act_id" else distinct
        self.distinct_column = measure.distinct
        self.viewer = suppression.viewer_organisation_id if suppression else None
        self.foreign_counted = suppression is not None and self.viewer is not None
        self.params: dict[str, Any] = {"viewer": self.viewer} if self.foreign_counted else {}
        self.conditions = [self._condition(book, f) for f in query.filters]
        self.exploded_conditions: dict[int, list[str]] = {}
        for filter_ in query.filters:
            self._exploded_condition(book, filter_, tree)
        self.conditions += self._period(query.period)

    # --- the SQL

    def sql(self) -> str:
        needed = {self.distinct_column, *(d.column for d in self.shown)}
        if self.foreign_counted:
            needed.add("organisation_id")
        columns = ", ".join(sorted(needed))
        where = " AND ".join(self.conditions) or "true"
        cells, *totals = self.grouping_sets()
        parts = ["SELECT * FROM cells"]
        for number, group in enumerate(totals, start=1):
            summable = self._summable(group)
            parts.append(
                self._sum_of_cells(number, group) if summable else self._grouping(number, group)
            )
        return (
            f"WITH base AS MATERIALIZED (SELECT {columns} FROM facts WHERE {where}), "  # noqa: S608
            f"cells AS MATERIALIZED ({self._grouping(0, cells)}) " + " UNION ALL ".join(parts)
        )

    def _summable(self, group: tuple[int, ...]) -> bool:
        """Whether a total is the sum of the cells: it counts acts, and every dimension it adds
        up over is single-valued (each act is in one cell of the sum). Cheaper than counting
        again."""
        return self.count == "count(*)" and all(
            not self.shown[i].multi_valued for i in range(len(self.shown)) if i not in group
        )

    def _sum_of_cells(self, number: int, group: tuple[int, ...]) -> str:
        selected = [
            f"d{i}" if i in group else f"NULL::VARCHAR AS d{i}" for i in range(len(self.shown))
        ]
        measures = ["coalesce(sum(value), 0)::BIGINT AS value"]
        if self.foreign_counted:
            measures.append("coalesce(sum(foreign_value), 0)::BIGINT AS foreign_value")
        group_by = f" GROUP BY {', '.join(f'd{i}' for i in group)}" if group else ""
        return (
            f"SELECT {', '.join(selected)}, {number} AS grouping_set, "  # noqa: S608
            f"{', '.join(measures)} FROM cells{group_by}"
        )

    def grouping_sets(self) -> list[tuple[int, ...]]:
        """Which shown dimensions (by position) each part of the result is grouped by: the
        cells, then each total."""
        everything = tuple(range(len(self.shown)))
        rows = tuple(range(len(self.rows)))
        columns = tuple(range(len(self.rows), len(self.shown)))
        sets = [everything]
        if self.query.margins:
            if columns:
                sets += [rows, columns]
            sets.append(())
        return sets

    def _grouping(self, number: int, group: tuple[int, ...]) -> str:
        source = "base"
        for i in group:
            dimension = self.shown[i]
            if dimension.multi_valued:
                source = (
                    f"(SELECT *, unnest(CASE WHEN len({dimension.column}) = 0 "  # noqa: S608
                    f"THEN [NULL::VARCHAR] ELSE {dimension.column} END) AS d{i} FROM {source})"
                )
                if i in self.exploded_conditions:
                    condition = " AND ".join(self.exploded_conditions[i])
                    source = f"(SELECT * FROM {source} WHERE {condition})"  # noqa: S608
        keys = [f"d{i}" if self.shown[i].multi_valued else self.shown[i].column for i in group]
        selected = [
            f"CAST({keys[group.index(i)]} AS VARCHAR) AS d{i}"
            if i in group
            else f"NULL::VARCHAR AS d{i}"
            for i in range(len(self.shown))
        ]
        measures = [f"{self.count} AS value"]
        if self.foreign_counted:
            measures.append(
                f"{self.count} FILTER (WHERE organisation_id <> $viewer) AS foreign_value"
            )
        group_by = f" GROUP BY {', '.join(keys)}" if keys else ""
        return (
            f"SELECT {', '.join(selected)}, {number} AS grouping_set, "  # noqa: S608
            f"{', '.join(measures)} FROM {source}{group_by}"
        )

    # --- filters

    def _parameter(self, value: object) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f"${name}"

    def _typed(self, dimension: Dimension, values: Sequence[str]) -> list[Any]:
        kind = FACTS_SCHEMA.field(dimension.column).type
        if not values:
            raise QueryError(f"Choose at least one value to filter {dimension.key} on.")
        typed: list[Any] = []
        for value in values:
            if pa.types.is_integer(kind):
                if not value.lstrip("-").isdigit():
                    raise QueryError(f"{value!r} is not a value of {dimension.key}.")
                typed.append(int(value))
            elif pa.types.is_boolean(kind):
                if value not in ("true", "false"):
                    raise QueryError(f"{value!r} is not a value of {dimension.key}.")
                typed.append(value == "true")
            else:
                typed.append(str(value))
        return typed

    def _condition(self, book: Catalogue, filter_: Filter) -> str:
        dimension = _dimension(book, filter_.dimension)
        values = self._typed(dimension, filter_.values)
        if filter_.include_narrower and not dimension.hierarchical:
            raise QueryError(f"{dimension.key} has no narrower values.")
        if filter_.include_narrower:
            return f"list_has_any({dimension.ancestors_column}, {self._parameter(values)})"
        if dimension.multi_valued:
            return f"list_has_any({dimension.column}, {self._parameter(values)})"
        listed = ", ".join(self._parameter(v) for v in values)
        return f"{dimension.column} IN ({listed})"

    def _exploded_condition(self, book: Catalogue, filter_: Filter, tree: TermTree | None) -> None:
        """A filter on a multi-valued dimension that is shown keeps only matching values."""
        dimension = _dimension(book, filter_.dimension)
        if not dimension.multi_valued or dimension not in self.shown:
            return
        values = set(filter_.values)
        if filter_.include_narrower:
            if tree is None:
                raise QueryError(f"Showing narrower values of {dimension.key} needs the terms.")
            values = tree.descendants(dimension.column, values)
        listed = ", ".join(self._parameter(v) for v in sorted(values))
        position = self.shown.index(dimension)
        self.exploded_conditions.setdefault(position, []).append(f"d{position} IN ({listed})")

    def _period(self, period: Period | None) -> list[str]:
        if period is None:
            return []
        if period.start and period.end and period.end < period.start:
            raise QueryError("The period ends before it starts.")
        conditions = []
        if period.start:
            conditions.append(f"act_date >= {self._parameter(period.start)}")
        if period.end:
            last_day_known = (
                "CASE date_precision WHEN 'day' THEN act_date "
                "WHEN 'month' THEN last_day(act_date) "
                "ELSE make_date(year(act_date), 12, 31) END"
            )
            conditions.append(f"{last_day_known} <= {self._parameter(period.end)}")
        return conditions

    # --- the result


def _dimension(book: Catalogue, key: str) -> Dimension:
    dimension = book.dimensions.get(key)
    if dimension is None:
        raise QueryError(f"{key!r} is not a dimension.")
    return dimension


def _suppressed(cells: list[Cell], threshold: int) -> set[tuple[Key, Key]]:
    """The cells to hide: small counts about other organisations' records, then enough others
    that none of them can be recovered from a total."""
    values = {(c.row, c.column): c.value for c in cells}
    foreign = {(c.row, c.column): c.foreign for c in cells}
    hidden = {(c.row, c.column) for c in cells if 0 < c.foreign < threshold}
    rows = sorted({c.row for c in cells}, key=_order)
    columns = sorted({c.column for c in cells}, key=_order)
    lines = [[(r, c) for c in columns if (r, c) in values] for r in rows]
    lines += [[(r, c) for r in rows if (r, c) in values] for c in columns]
    changed = bool(hidden)
    while changed:
        changed = False
        for line in lines:
            if sum(1 for key in line if key in hidden) != 1:
                continue
            # A complement must hold others' records: the viewer knows their own counts.
            candidates = [key for key in line if key not in hidden and foreign[key] > 0]
            if candidates:
                hidden.add(min(candidates, key=lambda key: values[key]))
                changed = True
    return hidden


def _order(key: Key) -> tuple[str, ...]:
    return tuple("" if v is None else v for v in key)


def _result(
    book: Catalogue,
    plan: _Plan,
    result: pa.Table,
    language: str,
    names: ValueNames,
    suppression: Suppression | None,
) -> CrossTab:
    """The query's result, ordered, named and (for a viewer outside) suppressed."""
    shown = plan.shown
    split = len(plan.rows)
    sets = plan.grouping_sets()
    group = result.column("grouping_set")
    all_rows = pc.take(pa.array([0 not in g for g in sets]), group)
    all_columns = pc.take(pa.array([bool(plan.columns) and split not in g for g in sets]), group)
    # Each dimension has few distinct values: order and name them once, then look them up.
    ranks, labels = [], []
    total = book.text("total", language)
    for i, dimension in enumerate(shown):
        codes = result.column(f"d{i}")
        distinct = sorted(pc.unique(codes).to_pylist(), key=partial(_value_order, dimension, names))
        position = pc.index_in(codes, value_set=pa.array(distinct, pa.string()), skip_nulls=False)
        named = pa.array([book.value_label(dimension, v, language, names) for v in distinct])
        in_total = all_rows if i < split else all_columns
        ranks.append(position)
        labels.append(pc.if_else(in_total, total, pc.take(named, position)))
    order = pa.table(
        {"all_rows": all_rows, "all_columns": all_columns}
        | {f"r{i}": rank for i, rank in enumerate(ranks)}
    )
    sort_keys = (
        [("all_rows", "ascending")]
        + [(f"r{i}", "ascending") for i in range(split)]
        + [("all_columns", "ascending")]
        + [(f"r{i}", "ascending") for i in range(split, len(shown))]
    )
    indices = pc.sort_indices(order, sort_keys=sort_keys)
    values = pc.take(result.column("value"), indices)
    hidden = pc.take(_hidden(plan, result, all_rows, all_columns, suppression), indices)
    threshold = suppression.threshold if suppression else 0
    columns: dict[str, Any] = {}
    for i, dimension in enumerate(shown):
        codes = pc.take(result.column(f"d{i}"), indices)
        in_total = pc.take(all_rows if i < split else all_columns, indices)
        columns[dimension.key] = pc.if_else(in_total, pa.scalar(None, pa.string()), codes)
        columns[f"{dimension.key}_label"] = pc.take(labels[i], indices)
    columns["all_rows"] = pc.take(all_rows, indices)
    columns["all_columns"] = pc.take(all_columns, indices)
    columns["value"] = pc.if_else(hidden, pa.scalar(None, pa.int64()), values)
    columns["shown"] = pc.if_else(hidden, f"<{threshold}", pc.cast(values, pa.string()))
    columns["suppressed"] = hidden
    notes = []
    if any(d.multi_valued for d in shown):
        notes.append(book.text("multi_valued_note", language))
    if pc.any(hidden).as_py():
        notes.append(book.text("suppressed_note", language).format(threshold=threshold))
    return CrossTab(
        query=plan.query,
        language=language,
        measure_label=book.measures[plan.query.measure].label(language),
        rows=plan.rows,
        columns=plan.columns,
        cells=pa.table(columns, schema=_cells_schema(shown)),
        total_label=total,
        suppressed_text=f"<{threshold}" if suppression else None,
        notes=tuple(notes),
    )


def _value_order(
    dimension: Dimension, names: ValueNames, value: str | None
) -> tuple[int, float, str]:
    """Where a value goes among its dimension's: in the order its names are given (or the
    catalogue lists it), numbers by number, others by code; "not recorded" last."""
    if value is None:
        return (1, 0, "")
    position: int | None = None
    if dimension.values == "supplied":
        position = names.position(dimension.key, value)
    elif dimension.values != "as_is" and value in dimension.values:
        position = list(dimension.values).index(value)
    if position is None and value.lstrip("-").isdigit():
        return (0, int(value), value)
    return (0, position if position is not None else math.inf, value)


def _hidden(
    plan: _Plan,
    result: pa.Table,
    all_rows: pa.Array,
    all_columns: pa.Array,
    suppression: Suppression | None,
) -> pa.Array:
    """Which result rows are suppressed (in the result's order)."""
    # Typed: an empty result (a filter that keeps nothing) must still be an array of booleans.
    if suppression is None:
        return pa.array([False] * result.num_rows, pa.bool_())
    split = len(plan.rows)
    width = len(plan.shown)
    keys = [result.column(f"d{i}").to_pylist() for i in range(width)]
    value = result.column("value").to_pylist()
    foreign = result.column("foreign_value").to_pylist() if plan.foreign_counted else value
    cells = [
        Cell(
            TOTAL if whole_column else tuple(k[n] for k in keys[:split]),
            TOTAL if whole_row else tuple(k[n] for k in keys[split:]),
            value[n],
            foreign[n],
        )
        for n, (whole_column, whole_row) in enumerate(
            zip(all_rows.to_pylist(), all_columns.to_pylist(), strict=True)
        )
    ]
    hidden = _suppressed(cells, suppression.threshold)
    return pa.array([(c.row, c.column) in hidden for c in cells], pa.bool_())


def _cells_schema(shown: Sequence[Dimension]) -> pa.Schema:
    fields = []
    for dimension in shown:
        fields += [
            pa.field(dimension.key, pa.string()),
            pa.field(f"{dimension.key}_label", pa.string(), nullable=False),
        ]
    return pa.schema(
        [
            *fields,
            pa.field("all_rows", pa.bool_(), nullable=False),
            pa.field("all_columns", pa.bool_(), nullable=False),
            pa.field("value", pa.int64()),
            pa.field("shown", pa.string(), nullable=False),
            pa.field("suppressed", pa.bool_(), nullable=False),
        ]
    )
