from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper

from amparo.cases.exchange import huridocs, imports, tabular
from amparo.cases.models import ImportJob
from amparo.core import on_behalf
from amparo.core.models import Organisation, User
from amparo.core.services import DomainError


class ProgressBar:
    """`stage [#####.....] 50% 500/1000` on the error stream: redrawn in place on a terminal,
    a line every tenth otherwise (a log keeps them)."""

    WIDTH = 30

    def __init__(self, out: OutputWrapper) -> None:
        self.out = out
        self.terminal = out.isatty()
        self.shown: tuple[str, int] | None = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        tenth = done * 10 // max(total, 1)
        if not self.terminal and self.shown == (stage, tenth):
            return
        self.shown = (stage, tenth)
        filled = done * self.WIDTH // max(total, 1)
        bar = "#" * filled + "." * (self.WIDTH - filled)
        label = ImportJob.Status(stage).label
        line = f"{label} [{bar}] {done * 100 // max(total, 1):3d}% {done}/{total}"
        if self.terminal:
            self.out.write("\r" + line, ending="\n" if done >= total else "")
        else:
            self.out.write(line)


class Command(BaseCommand):
    help = (
        "Import events with their acts, victims and perpetrators from a CSV or XLSX file (one "
        "row per act; columns in docs/import-format.md) or a HURIDOCS exchange document (.json), "
        "on behalf of a person (--as USERNAME or --token: their permissions apply, and their "
        "keys open the identities of the persons it updates) for an organisation. All or "
        "nothing: one bad row and nothing is written; every problem is listed with its row and "
        "column. Re-importing the same file changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--organisation", required=True, help="Short code of the organisation.")
        on_behalf.add_arguments(parser)
        parser.add_argument(
            "--dry-run", action="store_true", help="Check everything and write nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = Organisation.objects.filter(short_code=options["organisation"]).first()
        if organisation is None:
            raise CommandError(f"No organisation has the short code {options['organisation']!r}.")
        path: Path = options["file"]
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}") from error
        with on_behalf.keys_of(options) as user:
            self._import(user, organisation, path, data, dry_run=options["dry_run"])

    def _import(
        self, user: User, organisation: Organisation, path: Path, data: bytes, *, dry_run: bool
    ) -> None:
        progress = ProgressBar(self.stderr)
        try:
            if path.suffix.lower() == ".json":
                result = huridocs.import_document(
                    user, organisation, data, dry_run=dry_run, progress=progress
                )
            else:
                result = imports.import_file(
                    user,
                    organisation,
                    data,
                    path.name,
                    dry_run=dry_run,
                    progress=progress,
                )
        except PermissionDenied as error:
            raise CommandError(str(error) or "Permission denied.") from error
        except (tabular.TableError, DomainError) as error:
            raise CommandError(str(error)) from error
        if not result.ok:
            for problem in result.errors:
                self.stderr.write(str(problem))
            raise CommandError(
                f"{len(result.errors)} problem(s) in {path.name}; nothing was imported."
            )
        counts = (
            f"{result.count('create')} new, {result.count('update')} changed, "
            f"{result.count('unchanged')} unchanged event(s) from {result.rows} row(s)"
        )
        if result.dry_run:
            self.stdout.write(f"Dry run, nothing written: the import would make {counts}.")
        else:
            self.stdout.write(self.style.SUCCESS(f"Imported {counts}."))
