"""`amparo warning evaluate` (nightly: every rule and every subject's risk, then escalation of
overdue alerts), `amparo warning escalate`, `amparo warning backtest --from D --to D [--json]`
and `amparo warning routing [--check FILE]`."""

from __future__ import annotations

import argparse
import datetime
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from amparo.core.services import DomainError
from amparo.warning.routing import DefinitionError, load_routing
from amparo.warning.services import alerts, evaluation, subscriptions
from amparo.warning.services import backtest as backtests


def day(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("%(value)r is not a date (YYYY-MM-DD).") % {"value": text}
        ) from None


class Command(BaseCommand):
    help = "Early warning: evaluate the rules and risk, escalate alerts, backtest, check routing."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(
            dest="subcommand",
            required=True,
            metavar="evaluate|escalate|backtest|subscriptions|routing",
        )
        evaluate = commands.add_parser(
            "evaluate", help="Evaluate everyone (run nightly), then escalate overdue alerts."
        )
        evaluate.add_argument("--as-of", type=day, help="The day to evaluate for (default: today).")
        evaluate.add_argument("--json", action="store_true", help="Print the figures as JSON.")
        commands.add_parser("escalate", help="Escalate the alerts left unacknowledged.")
        backtest = commands.add_parser(
            "backtest", help="Replay the recorded history: recall, lead time, alert burden."
        )
        backtest.add_argument("--from", dest="start", type=day, required=True)
        backtest.add_argument("--to", dest="end", type=day, required=True)
        backtest.add_argument("--json", action="store_true", help="One JSON object.")
        commands.add_parser(
            "subscriptions", help="Tell subscribers of new cases matching their saved searches."
        )
        routing = commands.add_parser("routing", help="Check a routing file (default: shipped).")
        routing.add_argument("--check", type=Path, help="The file to check.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, options["subcommand"])(options)
        except (DomainError, DefinitionError) as error:
            raise CommandError(str(error)) from error

    def evaluate(self, options: dict[str, Any]) -> None:
        outcome = evaluation.evaluate_all(today=options["as_of"])
        if options["json"]:
            self.stdout.write(json.dumps(outcome.__dict__))
            return
        self.stdout.write(
            _(
                "%(subjects)d subjects, %(signals)d facts: %(written)d assessments written, "
                "%(raised)d alerts raised, %(escalated)d escalated, in %(seconds).1f s."
            )
            % {
                "subjects": outcome.subjects,
                "signals": outcome.signals,
                "written": outcome.assessments_written,
                "raised": outcome.alerts_raised,
                "escalated": outcome.alerts_escalated,
                "seconds": outcome.seconds,
            }
        )

    def escalate(self, options: dict[str, Any]) -> None:
        escalated = alerts.escalate_overdue()
        self.stdout.write(
            ngettext("%(count)d alert escalated.", "%(count)d alerts escalated.", len(escalated))
            % {"count": len(escalated)}
        )

    def backtest(self, options: dict[str, Any]) -> None:
        report = backtests.backtest(options["start"], options["end"])
        if options["json"]:
            self.stdout.write(json.dumps(report, ensure_ascii=False, indent=2))
        else:
            self.stdout.write(backtests.format_report(report, get_language() or "en"))

    def subscriptions(self, options: dict[str, Any]) -> None:
        news = subscriptions.check_case_subscriptions()
        self.stdout.write(
            ngettext(
                "%(count)d saved search has new cases.",
                "%(count)d saved searches have new cases.",
                len(news),
            )
            % {"count": len(news)}
        )

    def routing(self, options: dict[str, Any]) -> None:
        routing = load_routing(options["check"])
        self.stdout.write(
            _("%(file)s: %(count)d routes, correct.")
            % {"file": routing.file, "count": len(routing.routes)}
        )
