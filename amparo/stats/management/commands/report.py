"""`amparo report --country KE --year 2025 --lang fr`: the PDF report on a country and year."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from amparo.stats.management.commands._users import acting_user
from amparo.stats.services import reports


class Command(BaseCommand):
    help = (
        "Write the PDF report on a country and year (methodology, tables and charts, SDG "
        "16.10.1, laws used against defenders, documented and estimated killings) in English, "
        "French, Spanish or Arabic. Without --user it counts every event, with small counts "
        "hidden as for the public; with --user, what that account may see."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--country", required=True, help="ISO 3166-1 alpha-2, e.g. KE.")
        parser.add_argument("--year", required=True, type=int)
        parser.add_argument("--lang", choices=("en", "fr", "es", "ar"), default="en")
        parser.add_argument("--user", help="Count only what this account may see.")
        parser.add_argument(
            "--output", "-o", type=Path, help="The file to write (default: in this folder)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        country, year, language = options["country"].upper(), options["year"], options["lang"]
        try:
            pdf = reports.country_report(acting_user(options["user"]), country, year, language)
        except reports.ReportUnavailable as error:
            raise CommandError(str(error)) from error
        except PermissionDenied as error:
            raise CommandError(_("This account may not produce reports.")) from error
        output: Path = options["output"] or Path(f"amparo-report-{country}-{year}-{language}.pdf")
        try:
            descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        except OSError as error:
            raise CommandError(
                _("Cannot write %(file)s: %(reason)s") % {"file": output, "reason": error.strerror}
            ) from error
        with open(descriptor, "wb") as out:
            out.write(pdf)
        self.stdout.write(self.style.SUCCESS(_("Report written to %(file)s.") % {"file": output}))
