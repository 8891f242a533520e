"""`amparo audit verify` checks the hash chain; `amparo audit export` writes it as JSON lines."""

from __future__ import annotations

import argparse
import os
from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from amparo.core import audit


def moment(text: str) -> datetime:
    """A date (midnight UTC) or an ISO 8601 date and time (UTC unless it names its offset)."""
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("%(value)r is not a date (YYYY-MM-DD) or an ISO 8601 date and time.")
            % {"value": text}
        ) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def positive(text: str) -> int:
    if not text.isdigit() or int(text) == 0:
        raise argparse.ArgumentTypeError(_("%(value)r is not a positive number.") % {"value": text})
    return int(text)


class Command(BaseCommand):
    help = "Verify or export the hash-chained audit log."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="subcommand", required=True, metavar="verify|export")
        verify = commands.add_parser(
            "verify",
            help="Check every entry and link of the chain; exit 1 at the first broken entry.",
        )
        verify.add_argument("--batch-size", type=positive, default=2000)
        export = commands.add_parser(
            "export", help="Write the entries, with their hashes, as one JSON object per line."
        )
        export.add_argument(
            "--since",
            type=moment,
            help="Only entries from this date (YYYY-MM-DD, UTC) or ISO 8601 date and time on.",
        )
        export.add_argument(
            "--output", help="Write to this file (created readable by its owner only)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "verify":
            self.verify(options["batch_size"])
        else:
            self.export(options["since"], options["output"])

    def verify(self, batch_size: int) -> None:
        result = audit.verify(batch_size=batch_size)
        if not result.ok:
            raise CommandError(result.describe())
        self.stdout.write(self.style.SUCCESS(result.describe()))

    def export(self, since: datetime | None, output: str | None) -> None:
        if output is None:
            count = audit.export(since, self.stdout)
        else:
            try:
                descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            except OSError as error:
                raise CommandError(
                    _("Cannot write %(file)s: %(reason)s")
                    % {"file": output, "reason": error.strerror}
                ) from error
            with open(descriptor, "w", encoding="utf-8", newline="\n") as out:
                count = audit.export(since, out)
            self.stderr.write(
                _("Exported %(count)d entries to %(file)s.") % {"count": count, "file": output},
                style_func=str,
            )
        audit.record(
            None,
            "audit.export",
            changes={"since": since, "entries": count, "to_file": output is not None},
        )
