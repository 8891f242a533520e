"""`amparo recommendations SUBCOMMAND`: reference lists, import, theme suggestion, export.

    amparo recommendations load-reference [--dry-run]
    amparo recommendations import FILE [--dry-run] [--user NAME]
    amparo recommendations train [--user NAME]
    amparo recommendations classify [--retrain] [--user NAME]
    amparo recommendations export --format csv|xlsx|json FILE [--state CC]
    amparo recommendations import-ratifications FILE [--dry-run] [--user NAME]

Without --user a command acts as the deployment's operator (recorded as such in the audit log);
with it, that member's permissions apply.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, TextIO

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from amparo.cases.exchange.tabular import TableError
from amparo.core import vocabulary
from amparo.core.models import User
from amparo.core.services import DomainError
from amparo.recommendations import queries, services
from amparo.recommendations.services import exports

BAR_WIDTH = 30


class ProgressBar:
    """A one-line bar on the terminal: `label [#####.....]  45%  7,532/16,741`."""

    def __init__(self, out: TextIO, label: str) -> None:
        self.out = out
        self.label = label
        self.shown = -1

    def __call__(self, done: int, total: int) -> None:
        percent = 100 * done // total if total else 100
        if percent == self.shown and done != total:
            return
        self.shown = percent
        filled = BAR_WIDTH * percent // 100
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        self.out.write(f"\r{self.label} [{bar}] {percent:3d}%  {done:,}/{total:,}")
        if done >= total:
            self.out.write("\n")
        self.out.flush()


class Command(BaseCommand):
    help = "Recommendations: load the reference lists, import, suggest themes, export."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="SUBCOMMAND")
        reference = actions.add_parser(
            "load-reference",
            help="Validate and load the mechanisms, themes, SDGs and instruments (data/).",
        )
        reference.add_argument("--dry-run", action="store_true")
        imports = actions.add_parser(
            "import",
            help=(
                "Import a UHRI export, a UPR Info style CSV or Amparo's template (CSV or XLSX). "
                "All or nothing; re-importing changes nothing."
            ),
        )
        imports.add_argument("file", type=Path)
        imports.add_argument("--dry-run", action="store_true", help="Check, write nothing.")
        self._user_argument(imports)
        train = actions.add_parser("train", help="Train theme suggestion on the confirmed themes.")
        self._user_argument(train)
        classify = actions.add_parser(
            "classify",
            help="Suggest themes for every recommendation without a confirmed theme.",
        )
        classify.add_argument(
            "--retrain", action="store_true", help="Train again first (also when no model exists)."
        )
        self._user_argument(classify)
        export = actions.add_parser(
            "export",
            help="Write one row per recommendation with its confirmed and suggested themes.",
        )
        export.add_argument("--format", choices=exports.FORMATS, required=True)
        export.add_argument("file", type=Path)
        export.add_argument("--state", default="", help="Only this State (ISO code).")
        self._user_argument(export)
        ratifications = actions.add_parser(
            "import-ratifications",
            help="Import ratification statuses (columns state, instrument, status, date, note).",
        )
        ratifications.add_argument("file", type=Path)
        ratifications.add_argument("--dry-run", action="store_true")
        self._user_argument(ratifications)

    @staticmethod
    def _user_argument(parser: CommandParser) -> None:
        parser.add_argument(
            "--user", default="", help="Act as this member (their permissions apply)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        actor = self._actor(options.get("user", ""))
        handler = {
            "load-reference": self.load_reference,
            "import": self.import_file,
            "train": self.train,
            "classify": self.classify,
            "export": self.export,
            "import-ratifications": self.import_ratifications,
        }[options["action"]]
        try:
            handler(actor, options)
        except PermissionDenied as error:
            raise CommandError(str(error) or _("You may not do this.")) from error
        except vocabulary.VocabularyError as error:
            raise CommandError(
                "\n  ".join(
                    [
                        _("The reference files have problems; nothing was loaded:"),
                        *map(str, error.problems),
                    ]
                )
            ) from error
        except (TableError, DomainError) as error:
            raise CommandError(str(error)) from error

    @staticmethod
    def _actor(username: str) -> User | None:
        if not username:
            return None
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(_("No active user is called %(name)s.") % {"name": username})
        return user

    @staticmethod
    def _read(path: Path) -> bytes:
        try:
            return path.read_bytes()
        except OSError as error:
            raise CommandError(
                _("Cannot read %(path)s: %(error)s") % {"path": path, "error": error.strerror}
            ) from error

    def load_reference(self, actor: User | None, options: dict[str, Any]) -> None:
        report = services.load_reference(actor, dry_run=options["dry_run"])
        for item in report.lists:
            self.stdout.write(
                f"{item.name:<24} "
                + _("%(added)d added, %(changed)d changed, %(deactivated)d deactivated")
                % {"added": item.added, "changed": item.changed, "deactivated": item.deactivated}
            )
        if report.dry_run:
            self.stdout.write(self.style.WARNING(_("Dry run: nothing was written.")))
        else:
            self.stdout.write(self.style.SUCCESS(_("Reference lists loaded.")))

    def import_file(self, actor: User | None, options: dict[str, Any]) -> None:
        path: Path = options["file"]
        result = services.import_recommendations(
            actor,
            self._read(path),
            path.name,
            dry_run=options["dry_run"],
            progress=ProgressBar(sys.stderr, _("read ")),
            write_progress=ProgressBar(sys.stderr, _("write")),
        )
        if not result.ok:
            for problem in result.errors[:200]:
                self.stderr.write(str(problem))
            if len(result.errors) > 200:
                self.stderr.write(_("… and %(count)d more.") % {"count": len(result.errors) - 200})
            raise CommandError(
                ngettext(
                    "%(count)d problem in %(file)s; nothing was imported.",
                    "%(count)d problems in %(file)s; nothing was imported.",
                    len(result.errors),
                )
                % {"count": len(result.errors), "file": path.name}
            )
        rate = result.rows / result.seconds if result.seconds else 0
        summary = _(
            "%(format)s file: %(rows)d rows, %(created)d new, %(updated)d changed, "
            "%(unchanged)d unchanged recommendations (%(rate)d rows/s)."
        ) % {
            "format": services.imports.FORMAT_LABELS[result.format],
            "rows": result.rows,
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "rate": rate,
        }
        if result.imported_themes:
            summary += "\n" + _("Themes added to the list as imported terms: %(names)s") % {
                "names": ", ".join(result.imported_themes)
            }
        if result.imported_groups:
            summary += "\n" + _("Affected groups added as imported terms: %(names)s") % {
                "names": ", ".join(result.imported_groups)
            }
        if result.sdg_targets_as_goals:
            summary += "\n" + _(
                "SDG targets not in the list, counted under their goal: %(codes)s"
            ) % {"codes": ", ".join(result.sdg_targets_as_goals)}
        if result.dry_run:
            self.stdout.write(self.style.WARNING(_("Dry run, nothing written.")) + " " + summary)
        else:
            self.stdout.write(self.style.SUCCESS(summary))

    def train(self, actor: User | None, options: dict[str, Any]) -> None:
        record = services.train(actor)
        self.stdout.write(
            self.style.SUCCESS(
                _("Theme suggestion trained on %(examples)d recommendations, %(themes)d themes.")
                % {"examples": record.examples, "themes": record.themes}
            )
        )

    def classify(self, actor: User | None, options: dict[str, Any]) -> None:
        from amparo.recommendations.models import ThemeModelFile

        if options["retrain"] or not ThemeModelFile.objects.exists():
            self.train(actor, options)
        report = services.classify_all(actor, progress=ProgressBar(sys.stderr, _("classify")))
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "%(suggestions)d themes suggested for %(count)d recommendations without a "
                    "confirmed theme."
                )
                % {"suggestions": report.suggestions, "count": report.recommendations}
            )
        )

    def export(self, actor: User | None, options: dict[str, Any]) -> None:
        path: Path = options["file"]
        filters = queries.RecommendationFilters(state=options["state"])
        chosen = queries.filtered(actor, filters)
        try:
            with path.open("wb") as out:
                count = services.export_themes(actor, chosen, options["format"], out)
        except OSError as error:
            raise CommandError(
                _("Cannot write %(path)s: %(error)s") % {"path": path, "error": error.strerror}
            ) from error
        self.stdout.write(
            self.style.SUCCESS(
                ngettext(
                    "%(count)d recommendation written to %(path)s.",
                    "%(count)d recommendations written to %(path)s.",
                    count,
                )
                % {"count": count, "path": path}
            )
        )

    def import_ratifications(self, actor: User | None, options: dict[str, Any]) -> None:
        path: Path = options["file"]
        result = services.import_ratifications(
            actor, self._read(path), path.name, dry_run=options["dry_run"]
        )
        if not result.ok:
            for problem in result.errors:
                self.stderr.write(str(problem))
            raise CommandError(
                ngettext(
                    "%(count)d problem in %(file)s; nothing was imported.",
                    "%(count)d problems in %(file)s; nothing was imported.",
                    len(result.errors),
                )
                % {"count": len(result.errors), "file": path.name}
            )
        summary = _("%(created)d new, %(updated)d changed, %(unchanged)d unchanged statuses.") % {
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
        }
        if result.dry_run:
            self.stdout.write(self.style.WARNING(_("Dry run, nothing written.")) + " " + summary)
        else:
            self.stdout.write(self.style.SUCCESS(summary))
