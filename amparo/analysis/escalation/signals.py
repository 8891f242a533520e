"""The signals table: what the escalation engine knows, one row per act or intake signal.

The Django side builds it (acts of case records, intake reports not yet cases, status rows when a
protective measure is granted) as a pandas DataFrame with the columns of `SIGNAL_COLUMNS`;
`Facts.from_frame` checks it and turns it into arrays sorted by subject, date and signal, which the
risk assessment, the rules and the backtest read. Nothing here identifies anyone: subjects and
signals are integers that only the caller can map back to persons and records.

Time. `date` is when the act happened, stored as the first day of its period when only the month
or year is known; rule windows are measured on it. `known_on` is when the act became known (the
first source's date, the intake report's date): a fact counts, in any evaluation "as of" a day,
only from the day it was known — so a threat reported three weeks late cannot have warned anyone
earlier. Without `known_on`, a fact is taken as known at the end of its date's period.

Subject attributes (defender types, sex, flags, capacities) are repeated on each row as they were
known at that row; an assessment as of a day reads them from the subject's latest known row. A row
with an empty `act` is such a status row only (e.g. protective measures granted on that day).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from amparo.analysis.escalation.vocabulary import Vocabularies

IntArray = npt.NDArray[np.int64]
SmallArray = npt.NDArray[np.int32]
BoolArray = npt.NDArray[np.bool_]

SUBJECT_KINDS = ("individual", "organisation")
ORIGINS = ("act", "intake")
PRECISIONS = ("day", "month", "year")
# Subject attributes that are plain true/false, and capacities.
FLAGS = ("indigenous_land_environment", "protective_measures", "network_support", "legal_support")
MAX_LISTED_PROBLEMS = 20


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # int, code, choice, date, bool, optional_bool, codes
    required: bool
    meaning: str
    default: Any = None


SIGNAL_COLUMNS: tuple[Column, ...] = (
    Column("signal_id", "int", True, "Unique per row: the act's id, or a number the caller maps."),
    Column("subject_id", "int", True, "The person or organisation at risk (pseudonymous)."),
    Column("subject_kind", "choice", True, "individual or organisation."),
    Column("date", "date", True, "When it happened (first day of its period if imprecise)."),
    Column("act", "code", True, "Type of act (hrd_violations code); empty for a status row."),
    Column("date_precision", "choice", False, "day, month or year.", "day"),
    Column("known_on", "date", False, "When it became known; empty: end of the date's period."),
    Column("incident_id", "int", False, "Acts of one event share it: counted once.", None),
    Column("origin", "choice", False, "act (case record) or intake (report).", "act"),
    Column("unverified", "bool", False, "From an intake report or event not yet verified.", False),
    Column("consequences", "codes", False, "Consequence codes (HURIDOCS list 25)."),
    Column("perpetrator_types", "codes", False, "Types of perpetrator of the act."),
    Column("country", "str", False, "ISO 3166-1 alpha-2 code of where it happened.", ""),
    Column("region", "str", False, "ISO 3166-2 first-level region of where it happened.", ""),
    Column("defender_types", "codes", False, "The subject's types of defender."),
    Column("sex", "code", False, "The subject's sex/gender (gender list code).", ""),
    Column("indigenous_land_environment", "bool", False, "Indigenous, land or environment.", False),
    Column("rural", "optional_bool", False, "Rural or isolated; empty when unknown.", None),
    Column("protective_measures", "bool", False, "Protective measures granted.", False),
    Column("network_support", "bool", False, "Supported by a defenders' network.", False),
    Column("legal_support", "bool", False, "Has legal support or representation.", False),
)
COLUMNS_BY_NAME = {column.name: column for column in SIGNAL_COLUMNS}
CHOICES = {"subject_kind": SUBJECT_KINDS, "date_precision": PRECISIONS, "origin": ORIGINS}


@dataclass(frozen=True)
class SignalProblem:
    row: object  # the frame's index label
    column: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.column}: {self.reason}"


class SignalsError(ValueError):
    """A signals table that cannot be evaluated; `problems` says where (row, column) and why."""

    def __init__(self, problems: Sequence[SignalProblem], total: int | None = None) -> None:
        self.problems = tuple(problems)
        count = total if total is not None else len(self.problems)
        listed = "\n".join(f"  {p}" for p in self.problems[:MAX_LISTED_PROBLEMS])
        more = count - min(len(self.problems), MAX_LISTED_PROBLEMS)
        tail = f"\n  ... and {more} more" if more > 0 else ""
        super().__init__(f"The signals table has {count} problem(s):\n{listed}{tail}")


@dataclass(frozen=True)
class Multi:
    """A many-valued column: pairs (row, code index), sorted by row."""

    row: IntArray
    code: SmallArray

    def rows_with(self, wanted: BoolArray, rows: int) -> BoolArray:
        """Rows that have at least one code whose index is marked in `wanted`."""
        mask = np.zeros(rows, dtype=bool)
        mask[self.row[wanted[self.code]]] = True
        return mask

    def take(self, keep: BoolArray) -> Multi:
        position = np.cumsum(keep) - 1
        kept = keep[self.row]
        return Multi(position[self.row[kept]], self.code[kept])


@dataclass(frozen=True)
class Facts:
    """The signals table as arrays, rows sorted by (subject, date, signal).

    Codes are indices into `codebooks[name]` (-1 where empty); days count from 1970-01-01.
    `subject` is the rank of `subject_id` among `subjects` (sorted), so that one subject's rows are
    contiguous and comparable as numbers.
    """

    signal_id: IntArray
    subject_id: IntArray
    subject: IntArray
    subjects: IntArray
    incident: IntArray
    day: IntArray
    available: IntArray
    act: SmallArray
    organisation: BoolArray
    unverified: BoolArray
    intake: BoolArray
    country: SmallArray
    region: SmallArray
    sex: SmallArray
    rural: npt.NDArray[np.int8]
    flags: Mapping[str, BoolArray]
    defender_types: Multi
    consequences: Multi
    perpetrator_types: Multi
    codebooks: Mapping[str, tuple[str, ...]]
    vocabularies: Vocabularies = field(repr=False)

    def __len__(self) -> int:
        return len(self.signal_id)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, vocabularies: Vocabularies) -> Facts:
        """Check a signals table (see SIGNAL_COLUMNS) and index it; SignalsError if wrong."""
        return _Reader(frame, vocabularies).facts()

    @classmethod
    def from_records(
        cls, records: Iterable[Mapping[str, Any]], vocabularies: Vocabularies
    ) -> Facts:
        """The same from rows as dictionaries (the incremental path's few rows)."""
        rows = list(records)
        frame = pd.DataFrame.from_records(rows) if rows else empty_signals()
        return cls.from_frame(frame, vocabularies)

    def take(self, keep: BoolArray) -> Facts:
        """The rows marked in `keep`, in the same order."""
        subject_id = self.subject_id[keep]
        subjects, subject = np.unique(subject_id, return_inverse=True)
        return replace(
            self,
            signal_id=self.signal_id[keep],
            subject_id=subject_id,
            subject=subject.astype(np.int64),
            subjects=subjects,
            incident=self.incident[keep],
            day=self.day[keep],
            available=self.available[keep],
            act=self.act[keep],
            organisation=self.organisation[keep],
            unverified=self.unverified[keep],
            intake=self.intake[keep],
            country=self.country[keep],
            region=self.region[keep],
            sex=self.sex[keep],
            rural=self.rural[keep],
            flags={name: values[keep] for name, values in self.flags.items()},
            defender_types=self.defender_types.take(keep),
            consequences=self.consequences.take(keep),
            perpetrator_types=self.perpetrator_types.take(keep),
        )

    def known_by(self, day: int) -> Facts:
        """Only what was known on `day`: the facts an evaluation as of that day may use."""
        return self.take(self.available <= day)

    def code_mask(self, name: str, codes: Iterable[str]) -> BoolArray:
        """Which entries of codebook `name` are among `codes`."""
        wanted = set(codes)
        return np.array([code in wanted for code in self.codebooks[name]], dtype=bool)

    def subject_rank(self, subject_ids: IntArray) -> IntArray:
        """Ranks of the given subject ids among `subjects` (-1 for an unknown subject)."""
        if not len(self.subjects):
            return np.full(len(subject_ids), -1, dtype=np.int64)
        position = np.minimum(np.searchsorted(self.subjects, subject_ids), len(self.subjects) - 1)
        return np.where(self.subjects[position] == subject_ids, position, -1).astype(np.int64)


def empty_signals() -> pd.DataFrame:
    """A signals table with the required columns and no row."""
    return pd.DataFrame({column.name: [] for column in SIGNAL_COLUMNS if column.required})


def to_day(values: pd.Series[Any] | Sequence[Any]) -> IntArray:
    """Dates (date objects, strings or datetime64) as days since 1970-01-01."""
    parsed = pd.to_datetime(pd.Series(values), errors="raise")
    return parsed.to_numpy(dtype="datetime64[D]").astype(np.int64)


def from_day(day: int) -> str:
    return str(np.datetime64(int(day), "D"))


class _Reader:
    """Checks a signals frame column by column and builds Facts from it."""

    def __init__(self, frame: pd.DataFrame, vocabularies: Vocabularies) -> None:
        self.frame = frame.reset_index(drop=True)
        self.labels = list(frame.index)
        self.vocabularies = vocabularies
        self.problems: list[SignalProblem] = []
        self.total = 0

    def fail(self, positions: Iterable[int], column: str, reason: str) -> None:
        for position in positions:
            self.total += 1
            if len(self.problems) < MAX_LISTED_PROBLEMS:
                self.problems.append(SignalProblem(self.labels[position], column, reason))

    def column(self, name: str) -> pd.Series[Any]:
        if name in self.frame.columns:
            return self.frame[name]
        spec = COLUMNS_BY_NAME[name]
        rows = len(self.frame)
        if spec.kind == "codes":
            return pd.Series([()] * rows, dtype=object)
        if spec.kind == "bool":
            return pd.Series(np.full(rows, bool(spec.default)))
        return pd.Series([spec.default] * rows, dtype=object)

    def facts(self) -> Facts:
        frame = self.frame
        missing = [c.name for c in SIGNAL_COLUMNS if c.required and c.name not in frame.columns]
        unknown = [c for c in frame.columns if c not in COLUMNS_BY_NAME]
        if missing or unknown:
            problems = [SignalProblem("-", c, "required column is missing") for c in missing]
            problems += [SignalProblem("-", str(c), "is not a signals column") for c in unknown]
            raise SignalsError(problems)
        signal_id = self.integers("signal_id")
        subject_id = self.integers("subject_id")
        incident_given = self.integers("incident_id", optional=True)
        day = self.dates("date")
        known = self.dates("known_on", optional=True)
        choices = {name: self.choice(name) for name in CHOICES}
        act = self.codes_of("act", self.vocabularies.acts.parents, allow_empty=True)
        sex = self.codes_of("sex", self.vocabularies.sexes.parents, allow_empty=True)
        country = self.strings("country")
        region = self.strings("region")
        flags = {name: self.booleans(name) for name in (*FLAGS, "unverified")}
        rural = self.optional_booleans("rural")
        defender_types = self.lists("defender_types", self.vocabularies.defender_types.parents)
        consequences = self.lists("consequences")
        perpetrators = self.lists("perpetrator_types")
        duplicated = pd.Series(signal_id).duplicated(keep=False).to_numpy()
        self.fail(np.flatnonzero(duplicated), "signal_id", "is not unique")
        if self.total:
            raise SignalsError(self.problems, self.total)

        precision = choices["date_precision"]
        month = day.astype("datetime64[D]").astype("datetime64[M]")
        period_end = np.where(
            precision == 1,
            (month + 1).astype("datetime64[D]").astype(np.int64) - 1,
            np.where(
                precision == 2,
                (day.astype("datetime64[D]").astype("datetime64[Y]") + 1)
                .astype("datetime64[D]")
                .astype(np.int64)
                - 1,
                day,
            ),
        )
        available = np.where(known >= 0, np.maximum(known, day), period_end)
        # An act without an event is an incident of its own, numbered after every given one.
        highest = int(incident_given[incident_given >= 0].max(initial=-1))
        incident = np.where(
            incident_given >= 0,
            incident_given,
            highest + 1 + np.arange(len(frame), dtype=np.int64),
        )
        order = np.lexsort((signal_id, day, subject_id))
        subjects, subject = np.unique(subject_id[order], return_inverse=True)
        _, incident_rank = np.unique(incident[order], return_inverse=True)
        new_position = np.empty(len(order), dtype=np.int64)
        new_position[order] = np.arange(len(order))

        def multi(values: tuple[IntArray, SmallArray]) -> Multi:
            rows = new_position[values[0]]
            sort = np.argsort(rows, kind="stable")
            return Multi(rows[sort], values[1][sort])

        return Facts(
            signal_id=signal_id[order],
            subject_id=subject_id[order],
            subject=subject.astype(np.int64),
            subjects=subjects,
            incident=incident_rank.astype(np.int64),
            day=day[order],
            available=available[order],
            act=act[0][order],
            organisation=choices["subject_kind"][order] == 1,
            unverified=flags["unverified"][order],
            intake=choices["origin"][order] == 1,
            country=country[0][order],
            region=region[0][order],
            sex=sex[0][order],
            rural=rural[order],
            flags={name: flags[name][order] for name in FLAGS},
            defender_types=multi(defender_types[:2]),
            consequences=multi(consequences[:2]),
            perpetrator_types=multi(perpetrators[:2]),
            codebooks={
                "acts": act[1],
                "sexes": sex[1],
                "countries": country[1],
                "regions": region[1],
                "defender_types": defender_types[2],
                "consequences": consequences[2],
                "perpetrator_types": perpetrators[2],
            },
            vocabularies=self.vocabularies,
        )

    # One reader per kind of column; each records its problems and returns usable values.

    def integers(self, name: str, optional: bool = False) -> IntArray:
        values = self.column(name)
        missing = values.isna().to_numpy()
        if not optional:
            self.fail(np.flatnonzero(missing), name, "is empty")
        numbers = pd.to_numeric(values, errors="coerce")
        wrong = numbers.isna().to_numpy() & ~missing
        as_float = numbers.to_numpy(dtype=float, na_value=np.nan)
        wrong |= ~missing & ~wrong & (np.mod(np.nan_to_num(as_float), 1) != 0)
        if optional:
            wrong |= ~missing & ~wrong & (np.nan_to_num(as_float) < 0)
        self.fail(np.flatnonzero(wrong), name, "should be a whole number" + (" ≥ 0" * optional))
        return np.where(np.isnan(as_float) | wrong, -1, np.nan_to_num(as_float)).astype(np.int64)

    def dates(self, name: str, optional: bool = False) -> IntArray:
        values = self.column(name)
        missing = values.isna().to_numpy()
        if not optional:
            self.fail(
                np.flatnonzero(missing), name, "is empty (an act without a date cannot be placed)"
            )
        parsed = pd.to_datetime(values, errors="coerce", format="mixed")
        wrong = parsed.isna().to_numpy() & ~missing
        self.fail(np.flatnonzero(wrong), name, "is not a date")
        days = parsed.to_numpy(dtype="datetime64[D]")
        return np.where(np.isnat(days), -1, days.astype(np.int64)).astype(np.int64)

    def choice(self, name: str) -> npt.NDArray[np.int8]:
        options = CHOICES[name]
        # An empty cell takes the column's default (none for a required column: then it is wrong).
        values = _filled(self.column(name), COLUMNS_BY_NAME[name].default)
        index = pd.Index(options).get_indexer(pd.Index(values))
        self.fail(np.flatnonzero(index < 0), name, f"should be one of {', '.join(options)}")
        return index.astype(np.int8)

    def strings(self, name: str) -> tuple[SmallArray, tuple[str, ...]]:
        values = _filled(self.column(name), "")
        if not set(map(type, values)) <= {str}:
            wrong = np.fromiter((not isinstance(v, str) for v in values), bool, len(values))
            self.fail(np.flatnonzero(wrong), name, "should be a text")
            values[wrong] = ""
        return _encode(values)

    def codes_of(
        self, name: str, known: Mapping[str, object], allow_empty: bool
    ) -> tuple[SmallArray, tuple[str, ...]]:
        encoded, book = self.strings(name)
        bad = {index for index, code in enumerate(book) if code not in known}
        for index in sorted(bad):
            self.fail(np.flatnonzero(encoded == index), name, f"{book[index]} is not a known code")
        if not allow_empty:
            self.fail(np.flatnonzero(encoded < 0), name, "is empty")
        return encoded, book

    def booleans(self, name: str) -> BoolArray:
        values = self.column(name)
        if values.dtype == bool:
            return values.to_numpy(dtype=bool)
        # An optional column left empty on some rows: its default there.
        objects = _filled(values, COLUMNS_BY_NAME[name].default)
        wrong = np.zeros(len(objects), dtype=bool)
        if not set(map(type, objects)) <= {bool, np.bool_}:
            wrong = np.fromiter(
                (not isinstance(v, bool | np.bool_) for v in objects), bool, len(objects)
            )
            self.fail(np.flatnonzero(wrong), name, "should be true or false")
        return np.where(wrong, False, objects).astype(bool)

    def optional_booleans(self, name: str) -> npt.NDArray[np.int8]:
        values = self.column(name)
        if values.dtype == bool:
            return values.to_numpy(dtype=np.int8)
        missing = values.isna().to_numpy()
        objects = values.to_numpy(dtype=object)
        wrong = np.zeros(len(objects), dtype=bool)
        if not set(map(type, objects[~missing])) <= {bool, np.bool_}:
            wrong = ~missing & np.fromiter(
                (not isinstance(v, bool | np.bool_) for v in objects), bool, len(objects)
            )
            self.fail(np.flatnonzero(wrong), name, "should be true, false or empty")
        return np.where(missing | wrong, -1, objects).astype(np.int8)

    def lists(
        self, name: str, known: Mapping[str, object] | None = None
    ) -> tuple[IntArray, SmallArray, tuple[str, ...]]:
        values = self.column(name).to_numpy(dtype=object)
        if set(map(type, values)) <= {list, tuple, np.ndarray}:
            lengths = np.fromiter(map(len, values), np.int64, len(values))
            listed: Any = values
        else:
            lengths = np.zeros(len(values), dtype=np.int64)
            for position, value in enumerate(values):
                if isinstance(value, list | tuple | np.ndarray):
                    lengths[position] = len(value)
                elif value is not None and not (isinstance(value, float) and np.isnan(value)):
                    self.fail([position], name, "should be a list of codes")
            listed = [v if lengths[i] else () for i, v in enumerate(values)]
        flat = np.fromiter(itertools.chain.from_iterable(listed), object, int(lengths.sum()))
        rows = np.repeat(np.arange(len(values), dtype=np.int64), lengths)
        if not set(map(type, flat)) <= {str}:
            wrong = np.fromiter((not isinstance(v, str) for v in flat), bool, len(flat))
            for position in np.unique(rows[wrong]):
                self.fail([int(position)], name, "should hold only codes")
            flat[wrong] = ""
        codes, book = _encode(flat)
        self.fail(np.unique(rows[codes < 0]), name, "should hold only non-empty codes")
        if known is not None:
            for index, code in enumerate(book):
                if code not in known:
                    positions = np.unique(rows[codes == index])
                    self.fail(positions, name, f"{code} is not a known code")
        keep = codes >= 0
        return rows[keep], codes[keep], book


def _filled(values: pd.Series[Any], empty: object) -> npt.NDArray[np.object_]:
    """The column as Python objects, its empty cells (None, NaN, NA, NaT) set to `empty`.

    Filling a NumPy copy rather than calling Series.fillna gives the same values on pandas 2 and
    3, whose fillna differ on a None value, on downcasting and on text in a float column.
    """
    objects = values.to_numpy(dtype=object, copy=True)
    objects[pd.isna(objects)] = empty
    return objects


def _encode(values: npt.NDArray[Any]) -> tuple[SmallArray, tuple[str, ...]]:
    """Texts as indices into their sorted distinct values; "" becomes -1."""
    found, uniques = pd.factorize(values, sort=True)
    book = [str(code) for code in uniques]
    codes = found.astype(np.int32)
    if book and book[0] == "":
        codes -= 1
        book = book[1:]
    return codes, tuple(book)
