from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from amparo.core import demo


class Command(BaseCommand):
    help = (
        "Create the synthetic demo world (organisations, one account per role). Idempotent: "
        "what exists is kept. Demo mode only (AMPARO_DEMO=1)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quiet-logins", action="store_true", help="Do not print the logins.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            accounts = demo.build_accounts()
        except demo.DemoError as error:
            raise CommandError(str(error)) from error
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
