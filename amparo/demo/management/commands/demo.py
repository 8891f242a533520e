from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from amparo.demo import accounts, world
from amparo.demo.base import DEFAULT_EVENTS, DEFAULT_SEED, DemoError, DemoOptions


class Command(BaseCommand):
    help = (
        "Create the synthetic demo world (organisations, one account per role, case records, "
        "intake reports). Idempotent: what exists is kept. Demo mode only (AMPARO_DEMO=1)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quiet-logins", action="store_true", help="Do not print the logins.")
        parser.add_argument(
            "--events",
            type=int,
            default=DEFAULT_EVENTS,
            help=f"How many case events to generate (default {DEFAULT_EVENTS}).",
        )
        parser.add_argument(
            "--seed", type=int, default=DEFAULT_SEED, help="The same seed gives the same world."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            made = world.build(
                DemoOptions(
                    events=options["events"],
                    seed=options["seed"],
                    progress=lambda line: self.stderr.write(f"  {line}"),
                )
            )
        except DemoError as error:
            raise CommandError(str(error)) from error
        for name, summary in made:
            self.stdout.write(f"Demo {name}: {summary}")
        if options["quiet_logins"]:
            return
        self.stdout.write(self.style.SUCCESS("Demo world ready. Demo logins (all synthetic):"))
        self.stdout.write(f"  password for every account: {accounts.DEMO_PASSWORD}")
        width = max(len(a.username) for a in accounts.ACCOUNTS)
        for account in accounts.ACCOUNTS:
            self.stdout.write(
                f"  {account.username:<{width}}  {account.role:<21}"
                f" {account.clearance.name.lower():<22} {account.organisation}"
            )
        self.stdout.write(
            "Two-factor code of an account: make totp ACCOUNT=nhri.admin "
            "(or AMPARO_DEMO=1 .venv/bin/amparo demo-totp nhri.admin)"
        )
