"""The statistics facts table: one row per act, and nothing that identifies anyone.

Statistics never read the case records. The `stats` app keeps a denormalised facts table current
from the case services (one row per act) and hands it here as an Arrow table; cross-tabs, trends
and maps are computed from it alone. What a row holds is fixed by `FACTS_SCHEMA`, and
`validate_facts` refuses any table with another column, so a name, a place finer than the
first-level region, a free text or a contact can never travel with the counts: term, country,
region and key columns accept codes only (letters, digits and `_ . : -`), never prose.

Columns (see `FACTS_SCHEMA` for the types):

* ``act_id``, ``event_id``: the case records' ids, to count acts and events.
* ``victim_id``: a pseudonym of the victim (`victim_pseudonym`: a keyed hash of the person's id,
  never the id itself), to count distinct victims. After de-duplication it names the surviving
  person, so a victim documented twice is counted once.
* ``victim_kind``: individual or organisation (an NHRI or a defenders' group can be the target).
* ``organisation_id``: the owning organisation, which decides small-cell suppression.
* ``confidentiality``: the event's level (0 public … 3 strictly confidential).
* ``event_status`` (draft, submitted, verified, closed) and ``verified`` (the event was verified,
  even if it was closed since).
* ``act_date`` and ``date_precision`` (day, month, year, unknown; a month-precise date is the 1st
  of its month, a year-precise one 1 January), and the periods derived from them: ``year``,
  ``quarter`` ("2024-Q1") and ``month`` ("2024-03"), each null when the date is too vague for it.
* ``country`` (ISO 3166-1 alpha-2) and ``region`` (ISO 3166-2 first-level, e.g. KE-30).
* Term codes: ``type_of_act``, ``sex``, ``age_group`` (one each) and the lists ``consequences``,
  ``defender_types``, ``perpetrator_types``, ``source_kinds``. Each hierarchical one has a
  ``<column>_with_ancestors`` list: its value(s) and all their broader terms, so that a filter on
  "threats" finds death threats too.
* ``source_ids``: the event's sources (Source ids), for estimates that need to know who documented
  what.
* ``law`` and ``law_provision``: the keys of the law and provision used, for judicial harassment.

`facts_table` builds the table from plain records (what the `stats` app reads from its own
table), deriving the periods and the ancestors; `validate_facts` checks a table built any other
way (a Parquet snapshot, a test) and returns it in the schema's column order and types.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

CODES = pa.list_(pa.string())

FACTS_SCHEMA = pa.schema(
    [
        pa.field("act_id", pa.int64(), nullable=False),
        pa.field("event_id", pa.int64(), nullable=False),
        pa.field("victim_id", pa.int64(), nullable=False),
        pa.field("victim_kind", pa.string(), nullable=False),
        pa.field("organisation_id", pa.int64(), nullable=False),
        pa.field("confidentiality", pa.int8(), nullable=False),
        pa.field("event_status", pa.string(), nullable=False),
        pa.field("verified", pa.bool_(), nullable=False),
        pa.field("act_date", pa.date32()),
        pa.field("date_precision", pa.string(), nullable=False),
        pa.field("year", pa.int16()),
        pa.field("quarter", pa.string()),
        pa.field("month", pa.string()),
        pa.field("country", pa.string()),
        pa.field("region", pa.string()),
        pa.field("type_of_act", pa.string(), nullable=False),
        pa.field("type_of_act_with_ancestors", CODES, nullable=False),
        pa.field("consequences", CODES, nullable=False),
        pa.field("consequences_with_ancestors", CODES, nullable=False),
        pa.field("defender_types", CODES, nullable=False),
        pa.field("defender_types_with_ancestors", CODES, nullable=False),
        pa.field("sex", pa.string()),
        pa.field("sex_with_ancestors", CODES, nullable=False),
        pa.field("age_group", pa.string()),
        pa.field("perpetrator_types", CODES, nullable=False),
        pa.field("perpetrator_types_with_ancestors", CODES, nullable=False),
        pa.field("source_ids", pa.list_(pa.int64()), nullable=False),
        pa.field("source_kinds", CODES, nullable=False),
        pa.field("law", pa.string()),
        pa.field("law_provision", pa.string()),
    ]
)

ANCESTORS_SUFFIX = "_with_ancestors"
# The term columns whose broader terms the table carries, and the columns holding them.
HIERARCHICAL_COLUMNS = tuple(
    name.removesuffix(ANCESTORS_SUFFIX)
    for name in FACTS_SCHEMA.names
    if name.endswith(ANCESTORS_SUFFIX)
)
DERIVED_COLUMNS = frozenset(
    {"year", "quarter", "month"} | {f"{c}{ANCESTORS_SUFFIX}" for c in HIERARCHICAL_COLUMNS}
)
# What a record given to `facts_table` holds: everything but what is derived from it.
RECORD_COLUMNS = tuple(name for name in FACTS_SCHEMA.names if name not in DERIVED_COLUMNS)

CODE_COLUMNS = ("type_of_act", "sex", "age_group", "law", "law_provision")
CODE_LIST_COLUMNS = tuple(
    name for name in FACTS_SCHEMA.names if FACTS_SCHEMA.field(name).type == CODES
)
ID_COLUMNS = ("act_id", "event_id", "victim_id", "organisation_id")
ENUMERATIONS: Mapping[str, tuple[str, ...]] = {
    "victim_kind": ("individual", "organisation"),
    "event_status": ("draft", "submitted", "verified", "closed"),
    "date_precision": ("day", "month", "year", "unknown"),
}
CONFIDENTIALITY_LEVELS = range(4)
# A code: a term code, a law's key. Never prose: no spaces, at most 64 characters.
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}$"
COUNTRY_PATTERN = r"^[A-Z]{2}$"
REGION_PATTERN = r"^[A-Z]{2}-[A-Z0-9]{1,3}$"
# How many problems an error lists before it says "and N more".
PROBLEMS_SHOWN = 20


@dataclass(frozen=True)
class FactsProblem:
    """One thing wrong with an incoming facts table: where (row, column) and why."""

    row: int | None
    column: str
    reason: str

    def __str__(self) -> str:
        where = f"row {self.row}, " if self.row is not None else ""
        return f"{where}{self.column}: {self.reason}"


class FactsError(ValueError):
    """A facts table that does not fit the schema; nothing was computed from it."""

    def __init__(self, problems: Sequence[FactsProblem]) -> None:
        self.problems = list(problems)
        shown = "; ".join(str(p) for p in self.problems[:PROBLEMS_SHOWN])
        more = len(self.problems) - PROBLEMS_SHOWN
        super().__init__(shown + (f"; and {more} more" if more > 0 else ""))


def victim_pseudonym(key: bytes, person_id: int) -> int:
    """The victim's integer pseudonym in the facts: stable for one key, and without the key it
    cannot be turned back into the person's id (so facts cannot be joined to the case records).

    The first 63 bits of HMAC-SHA-256 over the id: two victims share a pseudonym with odds of
    about n²/2⁶⁴, far below one in a million for any register this tool will hold.
    """
    digest = hmac.new(key, f"amparo.facts.victim:{person_id}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def periods(
    value: datetime.date | None, precision: str
) -> tuple[int | None, str | None, str | None]:
    """The (year, quarter, month) a date known to `precision` falls in: as far as it is known."""
    if value is None or precision == "unknown":
        return None, None, None
    if precision == "year":
        return value.year, None, None
    quarter = (value.month - 1) // 3 + 1
    return value.year, f"{value.year}-Q{quarter}", f"{value.year}-{value.month:02d}"


class TermTree:
    """The broader term of each term, per facts column: {column: {code: parent code or None}}.

    Built by the caller from the vocabularies (the `stats` app reads them from the Term table).
    Codes are unique within a column's vocabularies (`type_of_act` draws on Amparo's list and
    HURIDOCS list 04, whose codes do not overlap); a cycle is refused.
    """

    def __init__(self, parents: Mapping[str, Mapping[str, str | None]]) -> None:
        self._parents = {column: dict(codes) for column, codes in parents.items()}
        for column, codes in self._parents.items():
            for code in codes:
                self.ancestry(column, code)  # raises on a cycle

    def ancestry(self, column: str, code: str) -> list[str]:
        """`code` and its broader terms, nearest first."""
        parents = self._parents.get(column, {})
        chain = [code]
        parent = parents.get(code)
        while parent is not None:
            if parent in chain:
                raise ValueError(f"{column}: the terms {', '.join(chain)} form a cycle.")
            chain.append(parent)
            parent = parents.get(parent)
        return chain

    def descendants(self, column: str, codes: Iterable[str]) -> set[str]:
        """`codes` and every narrower term of them, at any depth."""
        wanted = set(codes)
        parents = self._parents.get(column, {})
        found = set(wanted)
        for code in parents:
            if wanted.intersection(self.ancestry(column, code)):
                found.add(code)
        return found


def facts_table(records: Iterable[Mapping[str, Any]], tree: TermTree) -> pa.Table:
    """The facts table of `records` (one mapping per act holding `RECORD_COLUMNS`), with the
    periods and the broader terms derived, validated."""
    columns: dict[str, list[Any]] = {name: [] for name in FACTS_SCHEMA.names}
    for number, record in enumerate(records):
        missing = [name for name in RECORD_COLUMNS if name not in record]
        extra = sorted(set(record) - set(RECORD_COLUMNS))
        if missing or extra:
            problems = [FactsProblem(number, name, "missing") for name in missing]
            problems += [
                FactsProblem(
                    number,
                    name,
                    "derived from the other columns: leave it out"
                    if name in DERIVED_COLUMNS
                    else _NOT_A_COLUMN,
                )
                for name in extra
            ]
            raise FactsError(problems)
        for name in RECORD_COLUMNS:
            columns[name].append(record[name])
        year, quarter, month = periods(record["act_date"], record["date_precision"])
        columns["year"].append(year)
        columns["quarter"].append(quarter)
        columns["month"].append(month)
        for column in HIERARCHICAL_COLUMNS:
            value = record[column]
            values = [] if value is None else [value] if isinstance(value, str) else value
            with_ancestors = dict.fromkeys(a for v in values for a in tree.ancestry(column, v))
            columns[f"{column}{ANCESTORS_SUFFIX}"].append(list(with_ancestors))
    arrays = []
    for field in FACTS_SCHEMA:
        try:
            arrays.append(pa.array(columns[field.name], type=field.type))
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError) as error:
            raise FactsError([FactsProblem(None, field.name, f"wrong type: {error}")]) from None
    return validate_facts(pa.Table.from_arrays(arrays, schema=FACTS_SCHEMA))


_NOT_A_COLUMN = "not a column of the facts table, which holds nothing else"


def validate_facts(table: pa.Table) -> pa.Table:
    """`table` in the schema's column order and types, or a FactsError listing every problem
    (row, column, reason). Types are converted where no value changes (int32 ids, large strings,
    dictionary-encoded strings); anything else is refused."""
    problems = [
        FactsProblem(None, name, _NOT_A_COLUMN)
        for name in table.column_names
        if name not in FACTS_SCHEMA.names
    ]
    problems += [
        FactsProblem(None, name, "missing")
        for name in FACTS_SCHEMA.names
        if name not in table.column_names
    ]
    if len(set(table.column_names)) != len(table.column_names):
        problems.append(FactsProblem(None, "(columns)", "a column name appears twice"))
    if problems:
        raise FactsError(problems)
    arrays = []
    for field in FACTS_SCHEMA:
        column = table.column(field.name)
        try:
            arrays.append(column if column.type == field.type else pc.cast(column, field.type))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
            problems.append(
                FactsProblem(
                    None,
                    field.name,
                    f"cannot be read as {field.type}: {str(error).splitlines()[0]}",
                )
            )
    if problems:
        raise FactsError(problems)
    conformed = pa.Table.from_arrays(arrays, schema=FACTS_SCHEMA)
    problems = _row_problems(conformed)
    if problems:
        raise FactsError(problems)
    return conformed


def _rules() -> list[tuple[str, str, str]]:
    """(column, SQL condition true on a bad row, reason): the checks a table must pass."""
    rules = [
        (field.name, f"{field.name} IS NULL", "empty, but every act has one")
        for field in FACTS_SCHEMA
        if not field.nullable
    ]
    for name in (*CODE_LIST_COLUMNS, "source_ids"):
        rules.append((name, f"list_count({name}) <> len({name})", "holds an empty value"))
        # A value listed twice would count its act twice. (Broader terms are only filtered on.)
        if not name.endswith(ANCESTORS_SUFFIX):
            rules.append(
                (name, f"list_unique({name}) <> list_count({name})", "holds a value twice")
            )
    for name, allowed in ENUMERATIONS.items():
        listed = ", ".join(f"'{value}'" for value in allowed)
        rules.append((name, f"{name} NOT IN ({listed})", f"not one of {', '.join(allowed)}"))
    rules += [
        ("confidentiality", "confidentiality NOT BETWEEN 0 AND 3", "not a level from 0 to 3"),
        (
            "region",
            "region IS NOT NULL AND (country IS NULL OR NOT starts_with(region, country || '-'))",
            "not a region of the row's country",
        ),
        (
            "verified",
            "verified AND event_status NOT IN ('verified', 'closed')",
            "a verified event is verified or closed",
        ),
        (
            "verified",
            "NOT verified AND event_status = 'verified'",
            "the event's status is verified",
        ),
        (
            "act_date",
            "(act_date IS NULL) <> (date_precision = 'unknown')",
            "a date is given exactly when its precision is not unknown",
        ),
        (
            "act_date",
            "date_precision = 'month' AND day(act_date) <> 1",
            "a month-precise date is the 1st of its month",
        ),
        (
            "act_date",
            "date_precision = 'year' AND (month(act_date) <> 1 OR day(act_date) <> 1)",
            "a year-precise date is 1 January",
        ),
        ("year", "year IS DISTINCT FROM year(act_date)", "not the year of act_date"),
        (
            "quarter",
            "quarter IS DISTINCT FROM CASE WHEN date_precision IN ('day', 'month') "
            "THEN strftime(act_date, '%Y') || '-Q' || quarter(act_date) END",
            "not the quarter of act_date as far as it is known",
        ),
        (
            "month",
            "month IS DISTINCT FROM CASE WHEN date_precision IN ('day', 'month') "
            "THEN strftime(act_date, '%Y-%m') END",
            "not the month of act_date as far as it is known",
        ),
        (
            "law_provision",
            "law_provision IS NOT NULL AND law IS NULL",
            "a provision belongs to a law",
        ),
    ]
    for column in HIERARCHICAL_COLUMNS:
        ancestors = f"{column}{ANCESTORS_SUFFIX}"
        values = (
            column
            if FACTS_SCHEMA.field(column).type == CODES
            else f"CASE WHEN {column} IS NULL THEN [] ELSE [{column}] END"
        )
        rules += [
            (
                ancestors,
                f"NOT list_has_all({ancestors}, {values})",
                f"does not hold the value(s) of {column}",
            ),
            (
                ancestors,
                f"len({values}) = 0 AND len({ancestors}) > 0",
                f"holds broader terms, but {column} is empty",
            ),
        ]
    return rules


RULES = _rules()


# Columns whose values must match a pattern: checked on their distinct values, which are few.
PATTERNS = (
    *((name, CODE_PATTERN, "not a code") for name in CODE_COLUMNS),
    *((name, CODE_PATTERN, "holds something that is not a code") for name in CODE_LIST_COLUMNS),
    ("country", COUNTRY_PATTERN, "not an ISO 3166-1 alpha-2 code"),
    ("region", REGION_PATTERN, "not an ISO 3166-2 code"),
)
REPEATED_ACT = "act_id IN (SELECT act_id FROM facts GROUP BY act_id HAVING count(*) > 1)"


def _row_problems(table: pa.Table) -> list[FactsProblem]:
    """Every rule checked in one pass over the table, then the first rows breaking each rule
    that failed."""
    numbered = table.append_column("row_number", pa.array(range(table.num_rows), pa.int64()))
    failing: list[tuple[str, str, str, dict[str, Any]]] = []
    with connect() as connection:
        connection.register("facts", numbered)
        counts = connection.sql(
            "SELECT "  # noqa: S608 (our own rules, no outside value)
            + ", ".join(f"count_if({condition})" for _, condition, _ in RULES)
            + ", count(*) - count(DISTINCT act_id) FROM facts"
        ).fetchall()[0]
        failing += [
            (column, condition, reason, {})
            for (column, condition, reason), count in zip(RULES, counts, strict=False)
            if count
        ]
        if counts[-1]:
            failing.append(("act_id", REPEATED_ACT, "another row has it", {}))
        for column, pattern, reason in PATTERNS:
            is_list = FACTS_SCHEMA.field(column).type == CODES
            selected = f"unnest({column})" if is_list else column
            values = connection.sql(f"SELECT DISTINCT {selected} FROM facts").fetchall()  # noqa: S608
            bad = [v for (v,) in values if v is not None and not re.fullmatch(pattern, v)]
            if bad:
                condition = f"list_has_any({column}, $bad)" if is_list else f"{column} = ANY($bad)"
                failing.append((column, condition, reason, {"bad": bad}))
        problems = []
        for column, condition, reason, params in failing:
            rows = connection.sql(
                f"SELECT row_number FROM facts WHERE {condition} "  # noqa: S608
                f"ORDER BY row_number LIMIT {PROBLEMS_SHOWN}",
                params=params or None,
            ).fetchall()
            problems += [FactsProblem(row, column, reason) for (row,) in rows]
    problems.sort(key=lambda p: (p.row if p.row is not None else -1, p.column))
    return problems


def connect() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that reads only the tables registered with it: no files, no network,
    no extensions (it could not download them here anyway), settings locked."""
    return duckdb.connect(
        ":memory:",
        config={
            "enable_external_access": False,
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "lock_configuration": True,
        },
    )
