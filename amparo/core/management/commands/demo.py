from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from amparo.cases import demo as cases_demo
from amparo.core import demo


class Command(BaseCommand):
    help = (
        "Create the synthetic demo world (organisations, one account per role, case records). "
        "Idempotent: "
        "what exists is kept. Demo mode only (AMPARO_DEMO=1)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quiet-logins", action="store_true", help="Do not print the logins.")
        parser.add_argument(
            "--events",
            type=int,
            default=cases_demo.DEFAULT_EVENTS,
            help=f"How many case events to generate (default {cases_demo.DEFAULT_EVENTS}).",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=cases_demo.DEFAULT_SEED,
            help="The same seed gives the same world.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            accounts = demo.build_accounts()
            cases = cases_demo.build_cases(
                events=options["events"], seed=options["seed"], progress=self._progress
            )
        except demo.DemoError as error:
            raise CommandError(str(error)) from error
        if cases.skipped:
            self.stdout.write(f"The demo cases exist already ({cases.events} events): kept.")
        else:
            self.stdout.write(
                f"Demo cases: {cases.events} events, {cases.acts} acts, {cases.persons} persons, "
                f"{cases.sources} sources, {cases.interventions} interventions, "
                f"{cases.consents} consents in {cases.seconds:.1f} s."
            )
        if options["quiet_logins"]:
            return
        self.stdout.write(self.style.SUCCESS("Demo world ready. Demo logins (all synthetic):"))
        self.stdout.write(f"  password for every account: {demo.DEMO_PASSWORD}")
        width = max(len(a.username) for a in accounts)
        for account in accounts:
            self.stdout.write(
                f"  {account.username:<{width}}  {account.role:<21}"
                f" {account.clearance.name.lower():<22} {account.organisation}"
            )
        self.stdout.write(
            "Two-factor code of an account: make totp ACCOUNT=nhri.admin "
            "(or AMPARO_DEMO=1 .venv/bin/amparo demo-totp nhri.admin)"
        )

    def _progress(self, report: cases_demo.DemoReport) -> None:
        if report.events >= 10_000:
            self.stderr.write(f"  {report.events} events…")
