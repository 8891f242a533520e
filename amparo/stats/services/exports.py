"""Tables as files: CSV, XLSX and JSON of exactly what the page shows (suppressed cells as "<5").

Every export is recorded in the audit log (what was counted, by what, filtered how: codes, never
a value that could identify anyone). Cells are written so that no spreadsheet runs them: a text
starting with = + - @ gets a leading apostrophe in CSV, and XLSX cells are typed (numbers as
numbers, everything else as text, never a formula).
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.analysis.crosstab import CrossTab
from amparo.core import audit
from amparo.core.audit_actions import AuditAction
from amparo.core.models import User
from amparo.stats import access

FORMATS = ("csv", "xlsx", "json")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "pdf": "application/pdf",
}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"-?\d+")


@dataclass(frozen=True)
class Sheet:
    """A table as it is printed: a title, a header row, rows of text, and notes below."""

    title: str
    header: Sequence[str]
    rows: Sequence[Sequence[str]]
    notes: Sequence[str] = ()
    right_to_left: bool = False
    data: dict[str, Any] = field(default_factory=dict)  # what JSON adds: codes, query


def crosstab_sheet(table: CrossTab, title: str) -> Sheet:
    wide = table.wide()
    columns = [wide.column(i).to_pylist() for i in range(wide.num_columns)]
    rows = [list(row) for row in zip(*columns, strict=True)] if columns else []
    query = table.query
    return Sheet(
        title=title,
        header=wide.column_names,
        rows=rows,
        notes=table.notes,
        right_to_left=table.right_to_left,
        data={
            "measure": query.measure,
            "rows": list(query.rows),
            "columns": list(query.columns),
            "filters": [
                {"dimension": f.dimension, "values": list(f.values), "narrower": f.include_narrower}
                for f in query.filters
            ],
            "period": None
            if query.period is None
            else {
                "start": _iso(query.period.start),
                "end": _iso(query.period.end),
            },
            "language": table.language,
            "cells": table.cells.to_pylist(),
        },
    )


def _iso(value: datetime.date | None) -> str | None:
    return None if value is None else value.isoformat()


def _safe(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_START) and not NUMBER.fullmatch(text) else text


def to_csv(sheet: Sheet) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_safe(h) for h in sheet.header])
    for row in sheet.rows:
        writer.writerow([_safe(str(v)) for v in row])
    for note in sheet.notes:
        writer.writerow([_safe(note)])
    # With a byte order mark, spreadsheets open it as UTF-8 (Arabic, accents).
    return out.getvalue().encode("utf-8-sig")


def to_xlsx(sheet: Sheet) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(re.sub(r"[\[\]:*?/\\]", " ", sheet.title)[:31] or "Table")
    if sheet.right_to_left:
        worksheet.sheet_view.rightToLeft = True

    def cell(value: str) -> Any:
        if NUMBER.fullmatch(value):
            return WriteOnlyCell(worksheet, value=int(value))
        written = WriteOnlyCell(worksheet, value=value)
        written.data_type = "s"  # text, never a formula
        return written

    worksheet.append([cell(h) for h in sheet.header])
    for row in sheet.rows:
        worksheet.append([cell(str(v)) for v in row])
    for note in sheet.notes:
        worksheet.append([cell(note)])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def to_json(sheet: Sheet) -> bytes:
    document = {
        "title": sheet.title,
        "generated_at": timezone.now().isoformat(timespec="seconds"),
        "header": list(sheet.header),
        "rows": [list(row) for row in sheet.rows],
        "notes": list(sheet.notes),
        **sheet.data,
    }
    return json.dumps(document, ensure_ascii=False, indent=2, default=str).encode("utf-8")


WRITERS = {"csv": to_csv, "xlsx": to_xlsx, "json": to_json}


def export(user: User | None, sheet: Sheet, fmt: str, *, what: str) -> bytes:
    """The file of `sheet` in `fmt`, for `user` who may export, recorded in the audit log."""
    if fmt not in WRITERS:
        raise ValueError(_("Exports are CSV, XLSX or JSON."))
    access.require(user, access.EXPORT)
    content = WRITERS[fmt](sheet)
    record_export(user, fmt, what, sheet)
    return content


def record_export(user: User | None, fmt: str, what: str, sheet: Sheet) -> None:
    described = {k: v for k, v in sheet.data.items() if k not in ("cells", "table")}
    audit.record(
        user,
        AuditAction.STATS_EXPORT,
        None,
        changes={"what": what, "format": fmt, "rows": len(sheet.rows), **described},
    )


def filename(what: str, fmt: str) -> str:
    return f"amparo-{what}-{timezone.localdate().isoformat()}.{fmt}"
