"""`amparo stats rebuild`: write the statistics facts again from the case records."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from amparo.stats.services import facts


class Command(BaseCommand):
    help = (
        "Statistics. `rebuild` writes the facts table (one row per act, nothing identifying) "
        "again from the case records: after restoring a backup, changing vocabularies, or "
        "editing the database behind the application's back."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="subcommand", required=True, metavar="rebuild")
        commands.add_parser("rebuild", help="Write the facts table again.")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        rows = facts.rebuild_and_record(None)
        self.stdout.write(
            self.style.SUCCESS(
                _("%(rows)d facts written in %(seconds).1f s.")
                % {"rows": rows, "seconds": time.perf_counter() - started}
            )
        )
