"""`amparo sharing expire`: withdraw the keys of the shares that expired.

An expired share opens no page at once, but the partner organisation's copies of the event's
data keys stay in the database until this runs: whoever holds that organisation's keys and a
copy of the database could still open the event's names. Run it every day, from a systemd timer
or cron, as `amparo intake purge` says (`amparo/intake/management/commands/intake.py`):

    23 3 * * *  . /etc/amparo/environment && /srv/amparo/.venv/bin/amparo sharing expire --quiet
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from amparo.cases.services import sharing


class Command(BaseCommand):
    help = "Maintenance of shared events."

    def add_arguments(self, parser: ArgumentParser) -> None:
        commands = parser.add_subparsers(dest="subcommand", required=True)
        expire = commands.add_parser(
            "expire",
            help="Delete the partners' copies of the keys of shares that expired (run daily).",
        )
        expire.add_argument("--quiet", action="store_true", help="Print nothing when all is well.")

    def handle(self, *args: Any, **options: Any) -> None:
        withdrawn = sharing.withdraw_expired()
        if not options["quiet"] or withdrawn:
            self.stdout.write(f"Withdrew the keys of {withdrawn} expired share(s).")
