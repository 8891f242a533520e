"""`amparo keys generate | status | rotate`: the key ring for field encryption."""

from __future__ import annotations

import textwrap
from argparse import RawDescriptionHelpFormatter
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from amparo.core import crypto, keys


def paragraphs(*texts: str) -> str:
    """Help text that keeps its paragraphs (argparse would run them together)."""
    return "\n\n".join(textwrap.fill(text, width=78) for text in texts)


class Command(BaseCommand):
    help = "Manage the key ring that encrypts confidential fields: generate, status, rotate."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

        generate = actions.add_parser(
            "generate",
            help=_("Create a new key ring file (mode 0600)."),
            description=_(
                "Create a new key ring. An existing file is never overwritten: it may hold the "
                "only copy of the keys to existing data."
            ),
        )
        generate.add_argument(
            "--output",
            type=Path,
            help=_("Where to write it (default: the AMPARO_KEY_FILE setting)."),
        )
        generate.add_argument(
            "--if-missing",
            action="store_true",
            help=_("Do nothing, successfully, if the file already exists."),
        )

        actions.add_parser(
            "status",
            help=_("Show the keys and how many encrypted values each one protects."),
        )

        rotate = actions.add_parser(
            "rotate",
            help=_("Add a new primary key and re-encrypt everything under it."),
            description=paragraphs(
                _(
                    "Add a new primary key to the key file, then re-encrypt every encrypted "
                    "value under it."
                ),
                _(
                    "The old keys stay in the file, so values not yet re-encrypted remain "
                    "readable throughout, and running web processes pick up the new file within "
                    "seconds. Work is done in batches, one transaction each, with progress "
                    "printed after every batch."
                ),
                _(
                    "If the run is interrupted, committed batches are kept: run `amparo keys "
                    "rotate --resume` to finish re-encrypting without adding yet another key (a "
                    "plain `rotate` refuses while an earlier rotation is unfinished)."
                ),
                _(
                    "Back up the key file after rotating: new data can only be read with the new "
                    "key. If several servers share the database, copy the new key file to each "
                    "of them straight away."
                ),
            ),
            formatter_class=RawDescriptionHelpFormatter,
        )
        rotate.add_argument(
            "--batch-size",
            type=int,
            default=keys.DEFAULT_BATCH_SIZE,
            help=_("Rows re-encrypted per transaction (default: %(default)s)."),
        )
        rotate.add_argument(
            "--resume",
            action="store_true",
            help=_("Finish an interrupted rotation with the current primary key; add no key."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            if action == "generate":
                self.generate(options["output"], if_missing=options["if_missing"])
            elif action == "status":
                self.status()
            else:
                self.rotate(resume=options["resume"], batch_size=options["batch_size"])
        except (keys.KeysError, crypto.CryptoError) as error:
            raise CommandError(str(error)) from error

    def generate(self, output: Path | None, *, if_missing: bool) -> None:
        generated = keys.generate(output, if_missing=if_missing)
        if not generated.created:
            self.stdout.write(
                _("%(path)s already exists; left unchanged.") % {"path": generated.path}
            )
            return
        self.stdout.write(
            self.style.SUCCESS(_("Wrote a new key ring to %(path)s.") % {"path": generated.path})
        )
        self.stdout.write(self.style.WARNING(self.backup_warning()))

    def status(self) -> None:
        report = keys.status()
        self.stdout.write(_("Key file: %(path)s") % {"path": report.path})
        self.stdout.write(f"  {_('key'):<10} {_('created'):<25} {_('values'):>10}")
        for usage in report.keys:
            marker = f"  {_('primary')}" if usage.primary else ""
            self.stdout.write(
                f"  {usage.key_id:<10} {usage.created_at:<25} {usage.ciphertexts:>10}{marker}"
            )
        if report.unknown:
            self.stdout.write(
                self.style.ERROR(
                    ngettext(
                        "%(count)d value is encrypted under a key that is not in this key file.",
                        "%(count)d values are encrypted under keys that are not in this key file.",
                        report.unknown,
                    )
                    % {"count": report.unknown}
                )
            )
        self.stdout.write(_("Encrypted values per column and key:"))
        for label, counts in report.columns.items():
            parts = ", ".join(f"{key_id} {count}" for key_id, count in counts.items() if count)
            self.stdout.write(f"  {label}: {parts or '0'}")

    def rotate(self, *, resume: bool, batch_size: int) -> None:
        def show(progress: keys.Progress) -> None:
            self.stdout.write(
                _(
                    "%(column)s batch %(batch)d: %(column_done)d/%(column_total)d "
                    "(all columns: %(done)d/%(total)d)"
                )
                % {
                    "column": progress.column,
                    "batch": progress.batch,
                    "column_done": progress.column_done,
                    "column_total": progress.column_total,
                    "done": progress.done,
                    "total": progress.total,
                }
            )

        rotation = keys.rotate(resume=resume, batch_size=batch_size, progress=show)
        if rotation.new_key_id:
            self.stdout.write(
                _("Added key %(key_id)s as the primary key.") % {"key_id": rotation.new_key_id}
            )
        self.stdout.write(
            self.style.SUCCESS(
                ngettext(
                    "Re-encrypted %(count)d value under key %(key_id)s.",
                    "Re-encrypted %(count)d values under key %(key_id)s.",
                    sum(rotation.reencrypted.values()),
                )
                % {"count": sum(rotation.reencrypted.values()), "key_id": rotation.primary_key_id}
            )
        )
        if rotation.remaining:
            self.stdout.write(
                self.style.WARNING(
                    ngettext(
                        "%(count)d value is still under an older key (edited during the rotation "
                        "by a process that had not yet loaded the new key). Run `amparo keys "
                        "rotate --resume` again.",
                        "%(count)d values are still under older keys (edited during the rotation "
                        "by a process that had not yet loaded the new key). Run `amparo keys "
                        "rotate --resume` again.",
                        rotation.remaining,
                    )
                    % {"count": rotation.remaining}
                )
            )
        if rotation.new_key_id:
            self.stdout.write(self.style.WARNING(self.backup_warning()))

    @staticmethod
    def backup_warning() -> str:
        return _(
            "Back up this key file now, somewhere other than this server: without it the "
            "encrypted data cannot be read, and it is not in the database backups."
        )
