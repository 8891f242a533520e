"""`amparo vocab load [--path DIR] [--dry-run]` and `amparo vocab list`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from amparo.core import vocabulary
from amparo.core.services import DomainError


class Command(BaseCommand):
    help = "Load the controlled vocabularies from their CSV files, or list the loaded ones."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{load,list}")
        load = actions.add_parser(
            "load",
            help="Validate the vocabulary files and load them (added, changed, deactivated).",
        )
        load.add_argument(
            "--path",
            type=Path,
            default=None,
            help=(
                "Directory laid out like amparo/core/vocabularies (lists.csv, one CSV per list, "
                "huridocs/); default: the lists shipped with Amparo."
            ),
        )
        load.add_argument(
            "--dry-run",
            action="store_true",
            help="Validate and report what would change, without writing anything.",
        )
        actions.add_parser("list", help="List the loaded vocabularies with their term counts.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "load":
            self.load(options["path"], dry_run=options["dry_run"])
        else:
            self.list()

    def load(self, path: Path | None, *, dry_run: bool) -> None:
        try:
            report = vocabulary.load(path, dry_run=dry_run)
        except vocabulary.VocabularyError as error:
            count = len(error.problems)
            heading = ngettext(
                "The vocabulary files have %(count)d problem; nothing was loaded:",
                "The vocabulary files have %(count)d problems; nothing was loaded:",
                count,
            ) % {"count": count}
            raise CommandError("\n  ".join([heading, *map(str, error.problems)])) from error
        except DomainError as error:
            raise CommandError(str(error)) from error
        columns = (_("added"), _("changed"), _("deactivated"), _("unchanged"))
        self.stdout.write(self._row(_("list"), columns))
        for item in report.lists:
            name = item.code if item.slug == item.code else f"{item.code} {item.slug}"
            mark = " *" if item.created else ""
            counts = (item.added, item.changed, item.deactivated, item.unchanged)
            self.stdout.write(self._row(name + mark, counts))
        totals = report.totals()
        self.stdout.write(
            self._row(
                _("total"),
                tuple(totals[key] for key in ("added", "changed", "deactivated", "unchanged")),
            )
        )
        self.stdout.write(
            _("Lists: %(added)d new (marked *), %(changed)d renamed or redescribed.")
            % {"added": totals["lists_added"], "changed": totals["lists_changed"]}
        )
        if report.dry_run:
            self.stdout.write(self.style.WARNING(_("Dry run: nothing was written.")))
        else:
            self.stdout.write(self.style.SUCCESS(_("Vocabularies loaded.")))

    def list(self) -> None:
        thesauri = vocabulary.thesauri_with_counts()
        if not thesauri:
            self.stdout.write(_("No vocabulary is loaded; run `amparo vocab load`."))
            return
        code, slug, terms, inactive, name = (
            _("code"),
            _("slug"),
            _("terms"),
            _("inactive"),
            _("name"),
        )
        self.stdout.write(f"{code:<18} {slug:<36} {terms:>6} {inactive:>8}  {name}")
        for item in thesauri:
            self.stdout.write(
                f"{item.thesaurus.code:<18} {item.thesaurus.slug:<36} {item.active_terms:>6} "
                f"{item.inactive_terms:>8}  {item.thesaurus.label_en}"
            )

    @staticmethod
    def _row(name: str, counts: tuple[object, ...]) -> str:
        return f"{name:<44}" + "".join(f"{count!s:>12}" for count in counts)
