"""`amparo network scorecard [--json]`: every member's signals and flag, the figures the
scorecard page shows (one computation serves both). `amparo network export TABLE --as U`:
a table of the network as CSV, as that user may see it, opened with their keys."""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from amparo.core import on_behalf
from amparo.core.models import User
from amparo.core.services import DomainError
from amparo.network import queries
from amparo.network.scorecard import compute
from amparo.network.services import exports


def day(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("%(value)r is not a date (YYYY-MM-DD).") % {"value": text}
        ) from None


class Command(BaseCommand):
    help = "The Global Network of focal points: the backsliding scorecard, exports."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(
            dest="subcommand", required=True, metavar="scorecard|export"
        )
        scorecard = commands.add_parser(
            "scorecard",
            help="Print every member's signals and flag (the scorecard page's figures).",
        )
        scorecard.add_argument("--json", action="store_true", help="As JSON, for checking.")
        scorecard.add_argument("--as-of", type=day, help="The day to compute for (default: today).")
        export = commands.add_parser("export", help="Write a table of the network as CSV.")
        export.add_argument("table", choices=sorted(exports.TABLES))
        on_behalf.add_arguments(export)
        export.add_argument("--output", help="Write to this file instead of standard output.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "scorecard":
            self.scorecard(options["as_of"], as_json=options["json"])
        else:
            with on_behalf.keys_of(options) as user:
                self.export(options["table"], user, options["output"])

    def scorecard(self, as_of: datetime.date | None, *, as_json: bool) -> None:
        cards = compute.compute(as_of=as_of)
        if as_json:
            data = {
                "as_of": (as_of or queries.today()).isoformat(),
                "members": [compute.card_data(card) for card in cards],
            }
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
            return
        for card in cards:
            flag = _("FLAGGED") if card.flagged else _("no flag")
            self.stdout.write(
                f"{card.country}  {card.country_name}  {card.status_label}  {flag}  "
                f"({compute.summary(card)})"
            )
            for signal in card.signals:
                mark = _("FLAGGED") if signal.flagged else ""
                self.stdout.write(
                    f"  {signal.id:<22} {signal.display:>7}  {signal.trend_label:<14} {mark}"
                )
                self.stdout.write(f"      {signal.explanation}")
        self.stdout.write(_("The scorecard flags; people decide."))

    def export(self, table: str, user: User, output: str | None) -> None:
        try:
            text = exports.export(user, table)
        except PermissionDenied as error:
            raise CommandError(
                str(error) or _("This account may not export this table.")
            ) from error
        except DomainError as error:  # a value the account's keys do not open
            raise CommandError(str(error)) from error
        if output:
            with open(output, "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
        else:
            sys.stdout.write(text)
