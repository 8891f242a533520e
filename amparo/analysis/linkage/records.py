"""The table of person records the linkage takes in, checked, and the keys it adds to it.

Callers (the `dedupe` service, a notebook) pass a plain table: a pyarrow.Table, or anything
`pyarrow.table()` accepts (a pandas DataFrame, a dict of lists). Its values are decrypted and stay
in memory. Only `record_id` and `source` are required; a missing optional column counts as
unknown for every record.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

import pyarrow as pa

from amparo.analysis.linkage.names import name_keys, tokens

STRINGS = pa.list_(pa.string())
# Column: (type, required). Lists hold several values ("event_dates": every act's date).
PERSON_COLUMNS: dict[str, tuple[pa.DataType, bool]] = {
    "record_id": (pa.string(), True),
    "source": (pa.string(), True),  # the list (source) the record comes from
    "organisation": (pa.string(), False),  # the owning organisation
    "full_name": (pa.string(), False),
    "other_names": (STRINGS, False),  # aliases, other spellings, names in another script
    "sex": (pa.string(), False),
    "birth_year": (pa.int32(), False),
    "age_group": (pa.string(), False),
    "country": (pa.string(), False),  # ISO 3166-1 alpha-2
    "region": (pa.string(), False),
    "locality": (pa.string(), False),
    "event_dates": (pa.list_(pa.date32()), False),
    "defender_types": (STRINGS, False),
    "act_types": (STRINGS, False),
}
OLDEST_BIRTH_YEAR = 1880


class LinkageInputError(ValueError):
    """A record the linkage cannot use; `row` counts from 1 (None: the whole column)."""

    def __init__(self, reason: str, *, field: str, row: int | None = None) -> None:
        where = f"row {row}, field {field}" if row is not None else f"field {field}"
        super().__init__(f"{where}: {reason}")
        self.reason = reason
        self.field = field
        self.row = row


def as_table(records: Any) -> pa.Table:
    if isinstance(records, pa.Table):
        return records
    try:
        return pa.table(records)
    except (TypeError, ValueError, pa.ArrowException) as error:
        raise LinkageInputError(f"not a table ({error})", field="*") from error


def checked_persons(records: Any) -> pa.Table:
    """`records` with every column of PERSON_COLUMNS in its type, in that order; raises
    LinkageInputError naming the first bad column, or row and field."""
    checked = typed_columns(records, PERSON_COLUMNS)
    _check_rows(checked)
    return checked


def typed_columns(records: Any, spec: Mapping[str, tuple[pa.DataType, bool]]) -> pa.Table:
    """The columns of `spec` (name: (type, required)) cast to their type; a missing optional
    column is all nulls."""
    table = as_table(records)
    columns = {}
    for name, (kind, required) in spec.items():
        if name not in table.column_names:
            if required:
                raise LinkageInputError("this column is required", field=name)
            columns[name] = pa.nulls(table.num_rows, kind)
            continue
        try:
            columns[name] = table.column(name).cast(kind)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
            raise LinkageInputError(f"expected {kind} ({error})", field=name) from error
    return pa.table(columns)


def _check_rows(table: pa.Table) -> None:
    seen: set[str] = set()
    this_year = datetime.date.today().year
    rows = zip(
        table.column("record_id").to_pylist(),
        table.column("source").to_pylist(),
        table.column("birth_year").to_pylist(),
        strict=True,
    )
    for row, (record_id, source, birth_year) in enumerate(rows, start=1):
        if not record_id or not record_id.strip():
            raise LinkageInputError("a record needs an id", field="record_id", row=row)
        if record_id in seen:
            raise LinkageInputError("this id is used twice", field="record_id", row=row)
        seen.add(record_id)
        if not source or not source.strip():
            raise LinkageInputError("a record needs a source", field="source", row=row)
        if birth_year is not None and not OLDEST_BIRTH_YEAR <= birth_year <= this_year:
            raise LinkageInputError(
                f"a birth year between {OLDEST_BIRTH_YEAR} and {this_year}",
                field="birth_year",
                row=row,
            )


def linkage_features(persons: pa.Table) -> pa.Table:
    """The checked records with the columns the comparisons and blocking rules read (see
    `persons.COMPARISONS`): folded names and their keys, folded places, the first event date."""
    features: dict[str, list[Any]] = {name: [] for name in FEATURE_TYPES}
    for record in persons.to_pylist():
        _add_features(features, record)
    return pa.table(
        {name: pa.array(values, FEATURE_TYPES[name]) for name, values in features.items()}
    )


FEATURE_TYPES: dict[str, pa.DataType] = {
    "unique_id": pa.string(),
    "source": pa.string(),
    "organisation": pa.string(),
    "country": pa.string(),
    "name_sorted": pa.string(),
    "name_variants": STRINGS,
    "name_skeletons": STRINGS,
    "name_tokens": STRINGS,
    "key_first": pa.string(),
    "key_last": pa.string(),
    "key_initials": pa.string(),
    "key_skeleton": pa.string(),
    "birth_year": pa.int32(),
    "age_group": pa.string(),
    "sex": pa.string(),
    "region": pa.string(),
    "locality": pa.string(),
    "event_dates": pa.list_(pa.date32()),
    "event_date_texts": STRINGS,  # YYYYMMDD
    "event_date_digits": STRINGS,  # the same digits sorted: dates typed with digits swapped
    "event_first": pa.date32(),
    "event_year": pa.int32(),
    "event_month": pa.int32(),
    "defender_types": STRINGS,
    "act_types": STRINGS,
}


def _add_features(features: dict[str, list[Any]], record: Mapping[str, Any]) -> None:
    main = name_keys(record["full_name"])
    others = [name_keys(name) for name in record["other_names"] or () if name]
    spellings = [keys for keys in (main, *others) if keys.tokens]
    dates = sorted(date for date in record["event_dates"] or () if date is not None)
    first = dates[0] if dates else None
    values = {
        "unique_id": record["record_id"],
        "source": record["source"],
        "organisation": record["organisation"],
        "country": _code(record["country"]),
        "name_sorted": main.sorted_name or None,
        "name_variants": _distinct(keys.sorted_name for keys in spellings),
        "name_skeletons": _distinct(
            key for keys in spellings for key in (keys.sorted_skeleton, keys.joined_skeleton)
        ),
        "name_tokens": list(main.tokens),
        "key_first": main.first_key or None,
        "key_last": main.last_key or None,
        "key_initials": main.initials or None,
        "key_skeleton": main.sorted_skeleton or None,
        "birth_year": record["birth_year"],
        "age_group": _code(record["age_group"]),
        "sex": _code(record["sex"]),
        "region": _place(record["region"]),
        "locality": _place(record["locality"]),
        "event_dates": dates,
        "event_date_texts": [date.strftime("%Y%m%d") for date in dates],
        "event_date_digits": _distinct("".join(sorted(date.strftime("%Y%m%d"))) for date in dates),
        "event_first": first,
        "event_year": first.year if first else None,
        "event_month": first.year * 12 + first.month - 1 if first else None,
        "defender_types": _distinct(_code(value) for value in record["defender_types"] or ()),
        "act_types": _distinct(_code(value) for value in record["act_types"] or ()),
    }
    for name, value in values.items():
        features[name].append(value)


def _code(value: str | None) -> str | None:
    return value.strip().upper() or None if value else None


def _place(value: str | None) -> str | None:
    return " ".join(tokens(value)) or None if value else None


def _distinct(values: Iterable[str | None]) -> list[str]:
    return sorted({value for value in values if value})
