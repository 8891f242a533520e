"""The list-overlap table: how many de-duplicated victims each combination of lists documented.

A victim documented by lists A and C but not B has the capture pattern (1, 0, 1). With k lists there
are 2^k - 1 observable patterns; the pattern of zeros (documented by no list) is the unknown that
multiple systems estimation estimates, so it is never part of the input.

Counts are kept in a tuple indexed by the pattern read as a binary number whose bit j is list j
(list 0 is the least significant bit): index 0 is the unobserved cell, index 2^k - 1 the victims
documented by every list.

Two ways in: `OverlapTable.from_membership` (one row per victim, one 0/1 column per list: only the
counts leave it) and `read_overlaps_csv` (the table itself, as `amparo estimate --overlaps` reads
it). Problems with a file are reported all at once, each with its line and column, and each with a
stable `code` so that the caller can translate the message (this package cannot import Django).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

COUNT_COLUMN = "count"
# Past these the file is hostile or a mistake: 15 lists already make 32,767 patterns.
MAX_LISTS = 15
MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_COUNT = 10**9
# A file with this many problems is not worth reading to the end.
MAX_PROBLEMS = 50

_WHOLE_NUMBER = re.compile(r"[0-9]+")

# Records one problem: (code, line, column, message).
Report = Callable[[str, int, str | None, str], None]


@dataclass(frozen=True)
class OverlapTable:
    """Documented victims per capture pattern (the module docstring describes the layout)."""

    lists: tuple[str, ...]
    counts: tuple[int, ...]

    def __post_init__(self) -> None:
        if len(set(self.lists)) != len(self.lists):
            raise ValueError(f"Two lists have the same name: {self.lists}.")
        if len(self.counts) != 2 ** len(self.lists):
            raise ValueError(f"{len(self.lists)} lists need {2 ** len(self.lists)} counts.")
        if self.counts and self.counts[0] != 0:
            raise ValueError("The count of victims on no list is the unknown; it must be 0.")
        if any(count < 0 for count in self.counts):
            raise ValueError("Counts cannot be negative.")

    @classmethod
    def from_patterns(
        cls, lists: Iterable[str], patterns: Mapping[tuple[int, ...], int]
    ) -> OverlapTable:
        """The table from {capture pattern: count}; absent patterns count 0."""
        names = tuple(lists)
        counts = [0] * 2 ** len(names)
        for pattern, count in patterns.items():
            if len(pattern) != len(names) or any(bit not in (0, 1) for bit in pattern):
                raise ValueError(f"{pattern} is not a capture pattern over {len(names)} lists.")
            counts[pattern_index(pattern)] += count
        return cls(names, tuple(counts))

    @classmethod
    def from_membership(cls, columns: Mapping[str, Iterable[object]]) -> OverlapTable:
        """The table from per-victim membership: one column per list, one 0/1 (or bool) per victim.

        Every victim must be on at least one list: a victim on none was not documented.
        """
        names = tuple(columns)
        values = [list(columns[name]) for name in names]
        lengths = {len(column) for column in values}
        if len(lengths) > 1:
            raise ValueError("Every list column must have one value per victim.")
        counts = [0] * 2 ** len(names)
        for row, memberships in enumerate(zip(*values, strict=True)):
            index = 0
            for bit, value in enumerate(memberships):
                if value not in (0, 1):  # True and False compare equal to 1 and 0
                    raise ValueError(f"Victim {row}, list {names[bit]!r}: {value!r} is not 0 or 1.")
                index |= int(bool(value)) << bit
            if index == 0:
                raise ValueError(f"Victim {row} is on no list.")
            counts[index] += 1
        return cls(names, tuple(counts))

    @property
    def observed(self) -> int:
        """Documented victims: the sum over every observed pattern."""
        return sum(self.counts)

    def pattern(self, index: int) -> tuple[int, ...]:
        return tuple((index >> bit) & 1 for bit in range(len(self.lists)))

    def list_total(self, j: int) -> int:
        """Victims documented by list j."""
        return sum(count for index, count in enumerate(self.counts) if index >> j & 1)

    def overlap(self, i: int, j: int) -> int:
        """Victims documented by both list i and list j (and perhaps others)."""
        both = 1 << i | 1 << j
        return sum(count for index, count in enumerate(self.counts) if index & both == both)

    def pairs(self) -> list[tuple[int, int]]:
        return list(combinations(range(len(self.lists)), 2))

    def without(self, j: int) -> OverlapTable:
        """The table without list j (its victims documented by no other list disappear)."""
        names = self.lists[:j] + self.lists[j + 1 :]
        counts = [0] * 2 ** len(names)
        low = (1 << j) - 1
        for index, count in enumerate(self.counts):
            counts[(index & low) | (index >> (j + 1) << j)] += count
        counts[0] = 0
        return OverlapTable(names, tuple(counts))


def pattern_index(pattern: Iterable[int]) -> int:
    return sum(bit << position for position, bit in enumerate(pattern))


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an overlap file: where (line 1 is the header) and why."""

    code: str
    line: int
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column!r}" if self.column else "")
        return f"{where}: {self.message}"


class OverlapFileError(ValueError):
    """The overlap file cannot be used; `problems` says every place and reason found."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = problems
        super().__init__("\n".join(f"{source}, {problem}" for problem in problems))


def load_overlaps_csv(path: Path) -> OverlapTable:
    """`read_overlaps_csv` on a file, refusing one too large to be an overlap table."""
    with path.open("rb") as handle:
        data = handle.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        problem = Problem("too-large", 0, None, f"larger than {MAX_FILE_BYTES} bytes")
        raise OverlapFileError(path.name, [problem])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        problem = Problem("not-utf8", 0, None, f"not UTF-8 text ({error.reason})")
        raise OverlapFileError(path.name, [problem]) from None
    return read_overlaps_csv(text, source=path.name)


def read_overlaps_csv(text: str, source: str = "overlaps.csv") -> OverlapTable:
    """Parse an overlap table: one 0/1 column per list and a `count` column, one row per pattern.

    Patterns left out count 0. Raises OverlapFileError listing every problem found.
    """
    problems: list[Problem] = []

    def problem(code: str, line: int, column: str | None, message: str) -> None:
        if len(problems) >= MAX_PROBLEMS:
            raise OverlapFileError(source, problems)
        problems.append(Problem(code, line, column, message))

    rows = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    try:
        header = [name.strip() for name in next(rows)]
    except StopIteration:
        raise OverlapFileError(source, [Problem("empty", 1, None, "the file is empty")]) from None
    except csv.Error as error:
        raise OverlapFileError(source, [Problem("not-csv", 1, None, str(error))]) from None
    lists = _read_header(header, problem)
    if problems:
        raise OverlapFileError(source, problems)
    count_at = [name.lower() for name in header].index(COUNT_COLUMN)
    list_at = [position for position in range(len(header)) if position != count_at]

    counts: dict[int, int] = {}
    first_line: dict[int, int] = {}
    line = 1
    try:
        for row in rows:
            line = rows.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                problem("width", line, None, f"{len(row)} cells where the header has {len(header)}")
                continue
            pattern = _read_pattern(row, header, list_at, line, problem)
            count = _read_count(row[count_at].strip(), line, problem)
            if pattern is None or count is None:
                continue
            index = pattern_index(pattern)
            if index == 0:
                problem(
                    "unobserved-pattern",
                    line,
                    None,
                    "a row with every list at 0 counts victims that no list documented, which is "
                    "what is being estimated: remove this row",
                )
            elif index in counts:
                problem(
                    "duplicate-pattern",
                    line,
                    None,
                    f"the same pattern as line {first_line[index]}: give each pattern one row",
                )
            else:
                counts[index] = count
                first_line[index] = line
    except csv.Error as error:
        problem("not-csv", line + 1, None, str(error))
    if problems:
        raise OverlapFileError(source, problems)
    table = [0] * 2 ** len(lists)
    for index, count in counts.items():
        table[index] = count
    return OverlapTable(lists, tuple(table))


def _read_header(header: list[str], problem: Report) -> tuple[str, ...]:
    lowered = [name.lower() for name in header]
    if COUNT_COLUMN not in lowered:
        problem("no-count-column", 1, None, f"no {COUNT_COLUMN!r} column")
    elif lowered.count(COUNT_COLUMN) > 1:
        problem("duplicate-column", 1, COUNT_COLUMN, "appears more than once")
    lists = tuple(name for name in header if name.lower() != COUNT_COLUMN)
    for position, name in enumerate(header):
        if not name:
            problem("blank-column", 1, None, f"column {position + 1} has no name")
        elif name.lower() != COUNT_COLUMN and header.index(name) != position:
            problem("duplicate-column", 1, name, "two lists have this name")
    if len(lists) < 2:
        problem(
            "too-few-lists",
            1,
            None,
            f"{len(lists)} list column(s): estimation needs at least 2 lists, and 3 or more to "
            "allow for dependence between lists",
        )
    elif len(lists) > MAX_LISTS:
        problem("too-many-lists", 1, None, f"{len(lists)} lists; at most {MAX_LISTS} are accepted")
    return lists


def _read_pattern(
    row: list[str], header: list[str], list_at: list[int], line: int, problem: Report
) -> tuple[int, ...] | None:
    bits: list[int] = []
    for position in list_at:
        cell = row[position].strip()
        if cell not in ("0", "1"):
            problem("not-binary", line, header[position], f"{_shown(cell)} is not 0 or 1")
        else:
            bits.append(int(cell))
    return tuple(bits) if len(bits) == len(list_at) else None


def _read_count(cell: str, line: int, problem: Report) -> int | None:
    if cell.startswith("-") and _WHOLE_NUMBER.fullmatch(cell[1:]):
        problem("negative-count", line, COUNT_COLUMN, f"{_shown(cell)} is negative")
        return None
    if not _WHOLE_NUMBER.fullmatch(cell):
        problem("not-whole-number", line, COUNT_COLUMN, f"{_shown(cell)} is not a whole number")
        return None
    # Compare digits before converting: int() of a hostile 5,000-digit cell would raise.
    if len(cell.lstrip("0")) > len(str(MAX_COUNT)) or int(cell) > MAX_COUNT:
        problem("count-too-large", line, COUNT_COLUMN, f"{_shown(cell)} is more than {MAX_COUNT}")
        return None
    return int(cell)


def _shown(cell: str) -> str:
    """A cell quoted in a message, cut short: a hostile file should not flood the report."""
    return repr(cell if len(cell) <= 20 else cell[:20] + "…")
