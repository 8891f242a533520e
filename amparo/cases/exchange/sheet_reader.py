"""The first sheet of an XLSX workbook as rows of text, read in a process of its own.

`python -m amparo.cases.exchange.sheet_reader` reads the workbook's bytes on its standard input
and writes its rows on its standard output (JSON: a list of lists of str, each row's trailing
empty cells left out), from cell A1. JSON and not pickle or marshal: the process reads what
anyone sent, and the server must not unpack from it anything that could be more than text.

Why a process: the reader (calamine, in Rust) is much faster than openpyxl (a 100,000-row
workbook in 6.0 s instead of 30.3 s, this process and the checks of its answer included), but
it sizes the sheet from the cells' addresses. A 5 kB workbook with one value in A1 and one in
XFD1048576 makes it ask for 512 GiB at once, and Rust ends the process when an allocation
fails. So the reading process limits its own memory and CPU time before it reads anything: such
a file ends it, never the server that asked. (openpyxl read that file in bounded memory, but
walked every empty cell in between: 34 s of CPU for a value in row 100,000.)

Nothing here imports Django: the process starts in a tenth of a second.
"""

from __future__ import annotations

import datetime
import io
import json
import resource
import sys
from decimal import Decimal
from typing import Any

# What the reading process may use. A 100,000-row workbook (255 MB unpacked; an import takes
# up to 200,000 rows and 512 MB) took 561 MB at its peak and 3.8 s of CPU.
MEMORY_BYTES = 4 * 1024**3
CPU_SECONDS = 300

# How the process ends when the workbook cannot be read at all (calamine's errors: not a zip,
# broken XML, no sheet…); any other failure (a limit reached) means it is too large to read.
UNREADABLE = 3
TOO_LARGE = 4


def cell_text(value: Any) -> str:
    """A cell's value as the import reads it: dates in ISO form, whole numbers without ".0"."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(Decimal(str(value)))
    return str(value).strip()


def sheet_rows(data: bytes) -> list[list[str]]:
    """The first sheet's rows from A1, each without its trailing empty cells."""
    from python_calamine import load_workbook

    workbook = load_workbook(io.BytesIO(data))
    try:
        sheet = workbook.get_sheet_by_index(0)
        rows = []
        for values in sheet.to_python(skip_empty_area=False):
            row = [cell_text(value) for value in values]
            while row and not row[-1]:
                row.pop()
            rows.append(row)
        return rows
    finally:
        workbook.close()


def _lower(limit: int, value: int) -> None:
    """Limit this process to `value`, or to less where the system already allows less (raising
    a hard limit would fail, and every workbook with it)."""
    _soft, hard = resource.getrlimit(limit)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(limit, (value, value))


def main() -> int:
    _lower(resource.RLIMIT_AS, MEMORY_BYTES)
    _lower(resource.RLIMIT_CPU, CPU_SECONDS)
    data = sys.stdin.buffer.read()
    try:
        rows = sheet_rows(data)
    except MemoryError:
        return TOO_LARGE
    except Exception:  # calamine's errors have no common base beyond this
        return UNREADABLE
    sys.stdout.write(json.dumps(rows, ensure_ascii=False, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
