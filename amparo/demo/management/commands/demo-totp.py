from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from amparo.demo import accounts as demo
from amparo.demo.base import DemoError


class Command(BaseCommand):
    help = "Print the current two-factor code of a demo account (demo mode only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO:
            raise CommandError(
                "Refused: this prints login codes and works only in demo mode (AMPARO_DEMO=1)."
            )
        try:
            code = demo.current_totp_code(options["username"])
        except DemoError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(code)
