"""The flat table of events (docs/import-format.md): one row per act, shared by import and export.

Each row repeats its event's columns; rows with the same `event_id` make one event, rows with
the same `event_id` and `act_id` one act (each adds a perpetrator). Victims and perpetrators use
the same person columns under their own prefix.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO

from django.utils.translation import gettext as _

from amparo.cases.exchange import files, sheet_reader
from amparo.cases.models import PERSON_ATTRIBUTES
from amparo.core.services import DomainError

MULTI_SEPARATOR = "|"
MAX_ROWS = 200_000

EVENT_COLUMNS = (
    "event_id",
    "event_reference",
    "event_title",
    "event_description",
    "event_start_date",
    "event_end_date",
    "event_country",
    "event_region",
    "event_locality",
    "event_latitude",
    "event_longitude",
    "event_coordinate_precision",
    "event_confidentiality",
    "event_status",  # written for people to read; an import ignores it
    "event_monitoring_status",
    "event_notes",
)
ACT_COLUMNS = (
    "act_id",
    "act_type",
    "act_method",
    "act_date",
    "act_consequences",
    "act_targeted_activity",
    "act_country",
    "act_region",
    "act_locality",
    "act_remarks",
)
PERSON_SUFFIXES = (
    "id",
    "identified",
    "kind",
    "name",
    "other_names",
    "contact",
    "id_numbers",
    "address",
    "notes",
    *PERSON_ATTRIBUTES,
    "confidentiality",
)
VICTIM = "victim"
PERPETRATOR = "perpetrator"
INVOLVEMENT_COLUMNS = ("perpetrator_type", "perpetrator_involvement")
COLUMNS = (
    *EVENT_COLUMNS,
    *ACT_COLUMNS,
    *(f"{VICTIM}_{suffix}" for suffix in PERSON_SUFFIXES),
    *(f"{PERPETRATOR}_{suffix}" for suffix in PERSON_SUFFIXES),
    *INVOLVEMENT_COLUMNS,
)
REQUIRED = ("event_id", "event_title")
# Room for a few columns the import does not know (each is reported), not for thousands.
MAX_COLUMNS = len(COLUMNS) + 50


class Cells(dict[str, str]):
    """A row's non-empty cells by column; any other column reads as empty."""

    def __missing__(self, column: str) -> str:
        return ""


@dataclass(frozen=True)
class Table:
    columns: list[str]
    rows: list[tuple[int, dict[str, str]]]  # (line number in the file, column → text)


class TableError(DomainError):
    """The file cannot be read as a table at all."""


# A spreadsheet runs a cell starting with one of these as a formula ("CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except ArithmeticError:
        return False
    return True


def defuse(text: str) -> str:
    """The text as a spreadsheet shows it without running it: a quote before a formula."""
    if text.startswith(_FORMULA_START) and not _is_number(text):
        return "'" + text
    return text


def undefuse(text: str) -> str:
    if text.startswith("'") and text[1:].startswith(_FORMULA_START):
        return text[1:]
    return text


def _rows(header: list[str], records: Iterable[tuple[int, list[str]]]) -> Table:
    """The table, keeping of each row only its non-empty cells (an absent column reads as "").
    The rows are read one at a time, so a file holds at most one row in memory as text."""
    columns = [name.strip().lower() for name in header]
    while columns and not columns[-1]:
        columns.pop()
    if not columns:
        raise TableError(_("The file is empty: the first row must name the columns."))
    if len(columns) > MAX_COLUMNS:
        raise TableError(
            _("The file has more than %(max)d columns: see docs/import-format.md.")
            % {"max": MAX_COLUMNS}
        )
    rows: list[tuple[int, dict[str, str]]] = []
    for number, cells in records:
        values = Cells()
        for name, cell in zip(columns, cells, strict=False):
            text = cell.strip()
            if text:
                values[name] = undefuse(text)
        if not values:
            continue
        if len(rows) >= MAX_ROWS:
            raise TableError(
                _("The file has more than %(max)d rows: split it.") % {"max": MAX_ROWS}
            )
        rows.append((number, values))
    return Table(columns=columns, rows=rows)


def read_csv(data: bytes) -> Table:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise TableError(
            _(
                "The file is not UTF-8 text (byte %(position)d). Save it as “CSV UTF-8” and "
                "try again."
            )
            % {"position": error.start + 1}
        ) from None
    first_line = text.partition("\n")[0]
    delimiter = max(",;\t", key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader, None)
        if header is None:
            raise TableError(_("The file is empty: the first row must name the columns."))
        return _rows(header, enumerate(reader, start=2))
    except csv.Error as error:
        raise TableError(_("The CSV file is malformed: %(error)s") % {"error": error}) from None


# Where the reading process finds this package, whatever the server's working directory.
_PACKAGE_PATH = str(Path(__file__).resolve().parents[3])


def read_xlsx(data: bytes) -> Table:
    """The workbook's first sheet, read by a process of its own (`sheet_reader`: a workbook that
    would exhaust memory ends that process, not this one)."""
    try:
        files.check_xlsx(data)
    except files.UnsafeFile as error:
        raise TableError(str(error)) from None
    try:
        reading = subprocess.run(  # noqa: S603 (our own module, run by this interpreter)
            # -P: not the working directory's modules, the package's own.
            [sys.executable, "-P", "-m", sheet_reader.__name__],
            # Nothing of this process's environment (its settings, keys) but where Python
            # finds this package: the file it reads is anyone's.
            env={"PYTHONPATH": _PACKAGE_PATH},
            cwd=_PACKAGE_PATH,
            input=data,
            capture_output=True,
            timeout=2 * sheet_reader.CPU_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        reading = None
    if reading is not None and reading.returncode == sheet_reader.UNREADABLE:
        raise TableError(_("The file is not a readable XLSX workbook."))
    if reading is None or reading.returncode != 0:
        raise TableError(
            _(
                "The workbook is too large to read: its first sheet spans too many rows and "
                "columns (look for a value far below or to the right of the table). Remove it "
                "or split the file."
            )
        )
    rows = _text_rows(reading.stdout)
    if not rows:
        raise TableError(_("The file is empty: the first row must name the columns."))
    return _rows(rows[0], enumerate(rows[1:], start=2))


def _text_rows(answer: bytes) -> list[list[str]]:
    """What the reading process wrote, if it is the rows of text it should be: whatever it
    wrote otherwise (it read a hostile file) makes the file unreadable, nothing more."""
    try:
        rows = json.loads(answer)
    except ValueError:
        rows = None
    if not (
        isinstance(rows, list)
        and all(isinstance(row, list) for row in rows)
        and all(isinstance(cell, str) for row in rows for cell in row)
    ):
        raise TableError(_("The file is not a readable XLSX workbook."))
    return rows


def read_table(data: bytes, filename: str) -> Table:
    """A CSV (UTF-8; comma, semicolon or tab) or XLSX (first sheet) file as a Table."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        return read_xlsx(data)
    if name.endswith((".csv", ".txt", ".tsv")):
        return read_csv(data)
    raise TableError(_("Import a .csv or an .xlsx file."))


def write_csv(rows: Iterable[dict[str, str]], out: IO[str]) -> int:
    count = 0

    def counted() -> Iterator[dict[str, str]]:
        nonlocal count
        for row in rows:
            count += 1
            yield row

    for text in csv_lines(counted()):
        out.write(text)
    return count


def csv_lines(rows: Iterable[dict[str, str]]) -> Iterator[str]:
    """The CSV text line by line, for a streamed download."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({name: defuse(value) for name, value in row.items()})
        if buffer.tell() > 64_000:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def write_xlsx(rows: Iterable[dict[str, str]], out: IO[bytes]) -> int:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Events"))
    sheet.append(list(COLUMNS))
    count = 0
    for row in rows:
        cells = []
        for name in COLUMNS:
            cell = WriteOnlyCell(sheet, value=row.get(name, ""))
            # Text cells only: no formula runs, "2024-03" stays text and "0042" keeps its zeros.
            cell.data_type = "s"
            cells.append(cell)
        sheet.append(cells)
        count += 1
    workbook.save(out)
    return count
