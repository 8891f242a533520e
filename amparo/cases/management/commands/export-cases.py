from __future__ import annotations

import sys
from pathlib import Path
from typing import IO, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from amparo.cases.exchange import exports, huridocs
from amparo.core.models import User

FORMATS = (*exports.FORMATS, huridocs.FORMAT)


class Command(BaseCommand):
    help = (
        "Export the events USER may export (their organisation's, within their clearance), "
        "persons pseudonymised where USER may not see who they are. Formats: csv and xlsx (the "
        "import table, one row per act), json (nested, with sources and interventions), "
        "huridocs (HURIDOCS Events Standard Formats, JSON). Audited."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", required=True)
        parser.add_argument("--format", choices=FORMATS, default="csv")
        parser.add_argument("--organisation", help="Only this organisation's events (short code).")
        parser.add_argument(
            "--output", "-o", type=Path, help="File to write (default: standard output)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(f"No active user is called {options['user']!r}.")
        fmt = options["format"]
        output: Path | None = options["output"]
        if fmt == "xlsx" and output is None:
            raise CommandError("An XLSX export needs --output FILE.")
        out: IO[Any]
        if output is None:
            out = sys.stdout
        elif fmt == "xlsx":
            out = output.open("wb")
        else:
            out = output.open("w", encoding="utf-8", newline="")
        try:
            if fmt == huridocs.FORMAT:
                count = huridocs.export(user, out, options["organisation"])
            else:
                count = exports.export(user, fmt, out, options["organisation"])
        finally:
            if output is not None:
                out.close()
        self.stderr.write(f"Exported {count} event(s).")
