from __future__ import annotations

import sys
from pathlib import Path
from typing import IO, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from amparo.cases.exchange import exports, huridocs
from amparo.core import on_behalf
from amparo.core.models import User

FORMATS = (*exports.FORMATS, huridocs.FORMAT)


class Command(BaseCommand):
    help = (
        "Export the events a person may export (their organisation's, within their clearance), "
        "on behalf of that person (--as USERNAME or --token: identities open only with their "
        "keys), persons pseudonymised where they may not see who they are. Formats: csv and "
        "xlsx (the import table, one row per act), json (nested, with sources and interventions), "
        "huridocs (HURIDOCS Events Standard Formats, JSON). Audited."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        on_behalf.add_arguments(parser)
        parser.add_argument("--format", choices=FORMATS, default="csv")
        parser.add_argument("--organisation", help="Only this organisation's events (short code).")
        parser.add_argument(
            "--output", "-o", type=Path, help="File to write (default: standard output)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        fmt = options["format"]
        output: Path | None = options["output"]
        if fmt == "xlsx" and output is None:
            raise CommandError("An XLSX export needs --output FILE.")
        with on_behalf.keys_of(options) as user:
            count = self._export(user, fmt, output, options["organisation"])
        self.stderr.write(f"Exported {count} event(s).")

    def _export(self, user: User, fmt: str, output: Path | None, organisation: str | None) -> int:
        out: IO[Any]
        if output is None:
            out = sys.stdout
        elif fmt == "xlsx":
            out = output.open("wb")
        else:
            out = output.open("w", encoding="utf-8", newline="")
        try:
            if fmt == huridocs.FORMAT:
                return huridocs.export(user, out, organisation)
            return exports.export(user, fmt, out, organisation)
        finally:
            if output is not None:
                out.close()
