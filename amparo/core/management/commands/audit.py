"""`amparo audit verify` checks the keyed chain and its anchor; `amparo audit anchor` anchors a
log that has no anchor; `amparo audit export` writes the log as JSON lines."""

from __future__ import annotations

import argparse
import os
from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from amparo.core import audit, audit_anchor, crypto, services


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


def head(text: str) -> tuple[int, str]:
    """ENTRY_ID:HASH, as a sink recorded it."""
    entry_id, _sep, entry_hash = text.partition(":")
    if not entry_id.isdigit() or len(entry_hash) != 64:
        raise argparse.ArgumentTypeError(
            _("%(value)r is not ENTRY_ID:HASH (an entry id, a colon, 64 hex digits).")
            % {"value": text}
        )
    return int(entry_id), entry_hash.lower()


def positive(text: str) -> int:
    if not text.isdigit() or int(text) == 0:
        raise argparse.ArgumentTypeError(_("%(value)r is not a positive number.") % {"value": text})
    return int(text)


class Command(BaseCommand):
    help = "Verify, anchor or export the keyed, hash-chained audit log."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(
            dest="subcommand", required=True, metavar="verify|anchor|export"
        )
        verify = commands.add_parser(
            "verify",
            help="Check every entry and link of the chain, then that the log still ends where "
            "the anchor says; exit 1 at the first problem.",
        )
        verify.add_argument("--batch-size", type=positive, default=2000)
        verify.add_argument(
            "--expect",
            type=head,
            metavar="ENTRY_ID:HASH",
            help="Also check that the log holds this entry with this hash (a head that the "
            "syslog or HTTP sink recorded).",
        )
        commands.add_parser(
            "anchor",
            help="Anchor the current head of an intact log that has no anchor (after an upgrade, "
            "or after moving a broken anchor aside as evidence); records that it did.",
        )
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
        try:
            if options["subcommand"] == "verify":
                self.verify(options["batch_size"], options["expect"])
            elif options["subcommand"] == "anchor":
                self.anchor()
            else:
                self.export(options["since"], options["output"])
        except (crypto.CryptoError, audit.AuditError) as error:
            raise CommandError(str(error)) from error

    def verify(self, batch_size: int, expect: tuple[int, str] | None) -> None:
        result = audit.verify(batch_size=batch_size, expect=expect)
        if not result.ok:
            raise CommandError(result.describe())
        self.stdout.write(self.style.SUCCESS(result.describe()))

    def anchor(self) -> None:
        entry = audit.anchor_current_head()
        self.stdout.write(
            self.style.SUCCESS(
                _("Anchored entry #%(id)s in %(path)s.")
                % {"id": entry.pk, "path": audit_anchor.anchor_file()}
            )
        )

    def export(self, since: datetime | None, output: str | None) -> None:
        if output is None:
            services.export_audit_log(None, since, self.stdout, to_file=False)
        else:
            try:
                descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            except OSError as error:
                raise CommandError(
                    _("Cannot write %(file)s: %(reason)s")
                    % {"file": output, "reason": error.strerror}
                ) from error
            with open(descriptor, "w", encoding="utf-8", newline="\n") as out:
                count = services.export_audit_log(None, since, out, to_file=True)
            self.stderr.write(
                ngettext(
                    "Exported %(count)d entry to %(file)s.",
                    "Exported %(count)d entries to %(file)s.",
                    count,
                )
                % {"count": count, "file": output},
                style_func=str,
            )
