"""`amparo estimate`: the total number of victims of a violation, documented or not."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from amparo.analysis import mse
from amparo.core.services import DomainError
from amparo.stats import catalogue
from amparo.stats.management.commands._users import acting_user
from amparo.stats.services import estimates


class Command(BaseCommand):
    help = (
        "Estimate how many victims of a violation in a country went undocumented, from which "
        "sources documented each de-duplicated victim (multiple systems estimation; see "
        "docs/estimation.md), or from an overlap table given as a CSV file. Without --user, "
        "every event counts (the operator at the command line)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--violation", help="killing, kidnapping, enforced_disappearance, …")
        parser.add_argument("--country", help="ISO 3166-1 alpha-2 code, e.g. KE.")
        parser.add_argument("--from", dest="first_year", type=int, help="First year counted.")
        parser.add_argument("--to", dest="last_year", type=int, help="Last year counted.")
        parser.add_argument("--method", choices=("loglinear", "lcmcr"), default="loglinear")
        parser.add_argument("--overlaps", type=Path, help="An overlap table (CSV) instead.")
        parser.add_argument("--user", help="Count only what this account may see.")
        parser.add_argument("--json", action="store_true", help="Print the result as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        method: mse.Method = options["method"]
        if options["overlaps"] is not None:
            try:
                table = mse.load_overlaps_csv(options["overlaps"])
            except (OSError, mse.OverlapFileError) as error:
                raise CommandError(str(error)) from error
            result = estimates.from_overlaps(table, method)
        else:
            if not options["violation"] or not options["country"]:
                raise CommandError(
                    _("Give --violation and --country, or an overlap table with --overlaps.")
                )
            if options["violation"] not in catalogue.violations():
                raise CommandError(
                    _("%(name)s is not a kind of violation; there are %(known)s.")
                    % {"name": options["violation"], "known": ", ".join(catalogue.violations())}
                )
            request = estimates.EstimateRequest(
                violation=options["violation"],
                country=options["country"].upper(),
                first_year=options["first_year"],
                last_year=options["last_year"],
                method=method,
            )
            try:
                result = estimates.estimate(acting_user(options["user"]), request)
            except DomainError as error:
                raise CommandError(str(error)) from error
        if options["json"]:
            self.stdout.write(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
            return
        self.stdout.write(estimates.describe(result))
        for info in result.lists:
            self.stdout.write(f"  {info.label}: {info.victims}")
        for warning in result.warnings:
            self.stdout.write(self.style.WARNING(f"! {warning}"))
