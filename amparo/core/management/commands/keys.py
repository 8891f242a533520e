"""`amparo keys generate | status | add | promote | rotate | retire | migrate`: the server's key
ring, and the move of sealed records from it to organisation keys."""

from __future__ import annotations

import textwrap
from argparse import RawDescriptionHelpFormatter
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from amparo.core import crypto, keys, on_behalf
from amparo.core.crypto import Purpose


def paragraphs(*texts: str) -> str:
    """Help text that keeps its paragraphs (argparse would run them together)."""
    return "\n\n".join(textwrap.fill(text, width=78) for text in texts)


def purpose_option(parser: CommandParser) -> None:
    parser.add_argument(
        "--purpose",
        choices=[purpose.value for purpose in keys.CHANGEABLE],
        default=Purpose.DATA.value,
        help=_(
            "data: the key that encrypts fields; index: the key of the blind indexes (exact-"
            "match searches); audit: the key that chains the audit log (default: %(default)s)."
        ),
    )


def batch_size_option(parser: CommandParser) -> None:
    parser.add_argument(
        "--batch-size",
        type=int,
        default=keys.DEFAULT_BATCH_SIZE,
        help=_("Rows rewritten per transaction (default: %(default)s)."),
    )


class Command(BaseCommand):
    help = (
        "Manage the key ring (field encryption, blind indexes, the audit chain): generate, "
        "status, add, promote, rotate, retire."
    )

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
            help=_("Show the keys and how many stored values each one made."),
        )

        add = actions.add_parser(
            "add",
            help=_("Write a new key into the key file without using it (step 1 of 2)."),
            description=paragraphs(
                _(
                    "Write a new key into the key file, not primary: nothing is encrypted or "
                    "indexed with it yet."
                ),
                _(
                    "With several servers, copy the key file to every one of them now, then run "
                    "`amparo keys promote KEY_ID` on one: no server will then meet a value made "
                    "with a key it does not hold."
                ),
            ),
            formatter_class=RawDescriptionHelpFormatter,
        )
        purpose_option(add)

        promote = actions.add_parser(
            "promote",
            help=_("Make a key primary and move everything to it (step 2 of 2; resumable)."),
            description=paragraphs(
                _(
                    "Make KEY_ID the primary key of its purpose, then move every value to it: a "
                    "data key re-encrypts every encrypted value, an index key recomputes every "
                    "blind index from the decrypted values (searches find every row throughout). "
                    "An audit key needs no moving: each entry names its key."
                ),
                _(
                    "Work is done in batches, one transaction each. If the run stops, run the "
                    "same command again to finish it. Then copy the key file to every server: "
                    "until a server has it, it keeps writing with the old key, and running this "
                    "command once more moves what it wrote."
                ),
            ),
            formatter_class=RawDescriptionHelpFormatter,
        )
        promote.add_argument("key_id", metavar="KEY_ID")
        batch_size_option(promote)

        rotate = actions.add_parser(
            "rotate",
            help=_("Add a new primary key and move everything to it, in one step."),
            description=paragraphs(
                _(
                    "`amparo keys add` and `amparo keys promote` in one step, for a single "
                    "server: add a new primary key, then move every value to it."
                ),
                _(
                    "The old keys stay in the file, so values not yet moved remain readable "
                    "throughout, and running web processes pick up the new file within seconds. "
                    "Progress is printed after every batch."
                ),
                _(
                    "If the run is interrupted, committed batches are kept: run `amparo keys "
                    "rotate --resume` to finish without adding yet another key (a plain `rotate` "
                    "refuses while an earlier rotation is unfinished)."
                ),
                _(
                    "Back up the key file after rotating: new data can only be read with the new "
                    "key. If several servers share the database, use add and promote instead."
                ),
            ),
            formatter_class=RawDescriptionHelpFormatter,
        )
        purpose_option(rotate)
        batch_size_option(rotate)
        rotate.add_argument(
            "--resume",
            action="store_true",
            help=_("Finish an interrupted rotation with the current primary key; add no key."),
        )

        retire = actions.add_parser(
            "retire",
            help=_("Remove a key that no stored value uses any more."),
            description=paragraphs(
                _(
                    "Remove KEY_ID from the key file. Refused, with the count in each column, "
                    "while any stored value was made with it, and for a primary key."
                ),
                _(
                    "Intake access links and import previews (each at most an hour old) are "
                    "encrypted with the primary data key but not stored in a column: retire an "
                    "old data key an hour or more after promoting its successor."
                ),
            ),
            formatter_class=RawDescriptionHelpFormatter,
        )
        retire.add_argument("key_id", metavar="KEY_ID")

        migrate = actions.add_parser(
            "migrate",
            help=_("Move sealed records from the key ring to organisation keys (issue 16)."),
            description=paragraphs(
                _(
                    "Give each record whose identifying content is still encrypted with the key "
                    "ring its own data key, sealed to its organisations' public keys, and "
                    "encrypt that content again under it. No person's key is needed. Then "
                    "retire the ring's data keys that nothing uses any more."
                ),
                _(
                    "One transaction per batch: a run that stops keeps what it moved, and "
                    "running the command again finishes the job."
                ),
                _(
                    "Persons' name indexes move from the key ring to their organisation's index "
                    "key, made by the run where the organisation has none. Those the run cannot "
                    "compute (the index key was made by an earlier run, or the name is already "
                    "sealed) are left empty, so that the key ring tells nothing about names: run "
                    "the command again --as a member of that organisation to index them."
                ),
            ),
            formatter_class=RawDescriptionHelpFormatter,
        )
        batch_size_option(migrate)
        on_behalf.add_arguments(migrate)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            if action == "generate":
                self.generate(options["output"], if_missing=options["if_missing"])
            elif action == "status":
                self.status()
            elif action == "add":
                self.add(Purpose(options["purpose"]))
            elif action == "promote":
                self.report(keys.promote(options["key_id"], **self.moving(options)))
            elif action == "rotate":
                rotation = keys.rotate(
                    purpose=Purpose(options["purpose"]),
                    resume=options["resume"],
                    **self.moving(options),
                )
                self.report(rotation)
            elif action == "migrate":
                if options["as_user"] or options["token"]:
                    with on_behalf.keys_of(options):
                        self.migrate(options["batch_size"])
                else:
                    self.migrate(options["batch_size"])
            else:
                self.retire(options["key_id"])
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
        self.stdout.write(
            _("Key file: %(path)s (%(format)s)") % {"path": report.path, "format": report.format}
        )
        self.stdout.write(
            f"  {_('key'):<14} {_('purpose'):<11} {_('created'):<25} {_('values'):>10}"
        )
        for usage in report.keys:
            marker = f"  {_('primary')}" if usage.primary else ""
            uses = "-" if usage.uses is None else str(usage.uses)
            self.stdout.write(
                f"  {usage.key_id:<14} {usage.purpose.value:<11} {usage.created_at:<25} "
                f"{uses:>10}{marker}"
            )
        if report.unknown:
            self.stdout.write(
                self.style.ERROR(
                    ngettext(
                        "%(count)d value was made with a key that is not in this key file.",
                        "%(count)d values were made with keys that are not in this key file.",
                        report.unknown,
                    )
                    % {"count": report.unknown}
                )
            )
        self.stdout.write(_("Stored values per column and key:"))
        for by_column in report.columns.values():
            for label, counts in by_column.items():
                parts = ", ".join(f"{key_id} {count}" for key_id, count in counts.items() if count)
                self.stdout.write(f"  {label}: {parts or '0'}")

    def add(self, purpose: Purpose) -> None:
        key = keys.add(purpose)
        self.stdout.write(
            self.style.SUCCESS(
                _("Added %(purpose)s key %(key_id)s (not primary yet).")
                % {"purpose": purpose.value, "key_id": key.id}
            )
        )
        self.stdout.write(
            self.style.WARNING(
                _(
                    "Copy the key file to every server now, then run `amparo keys promote "
                    "%(key_id)s`. Back it up too."
                )
                % {"key_id": key.id}
            )
        )

    def migrate(self, batch_size: int) -> None:
        def show(step: keys.MigrationStep) -> None:
            self.stdout.write(
                _("%(name)s: %(count)d records moved") % {"name": step.name, "count": step.records}
            )

        result = keys.migrate(batch_size, progress=show)
        for name, count in result.moved.items():
            self.stdout.write(
                self.style.SUCCESS(
                    _("%(name)s: %(count)d records now sealed with data keys.")
                    % {"name": name, "count": count}
                )
            )
        for label, count in result.unindexed.items():
            if count:
                self.stdout.write(
                    self.style.WARNING(
                        ngettext(
                            "%(column)s: %(count)d row left without an index: run the command "
                            "again --as a member of its organisation.",
                            "%(column)s: %(count)d rows left without an index: run the command "
                            "again --as a member of their organisations.",
                            count,
                        )
                        % {"column": label, "count": count}
                    )
                )
        for key_id in result.retired:
            self.stdout.write(_("Retired data key %(key_id)s.") % {"key_id": key_id})

    def retire(self, key_id: str) -> None:
        key = keys.retire(key_id)
        self.stdout.write(
            self.style.SUCCESS(
                _("Retired %(purpose)s key %(key_id)s. Copy the key file to every server.")
                % {"purpose": key.purpose.value, "key_id": key.id}
            )
        )

    def moving(self, options: dict[str, Any]) -> dict[str, Any]:
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

        return {"batch_size": options["batch_size"], "progress": show}

    def report(self, rotation: keys.Rotation) -> None:
        values = {
            "count": rotation.total,
            "key_id": rotation.primary_key_id,
            "purpose": rotation.purpose.value,
        }
        if rotation.new_key_id:
            self.stdout.write(_("Key %(key_id)s is now the primary %(purpose)s key.") % values)
        if rotation.purpose is Purpose.DATA:
            message = ngettext(
                "Re-encrypted %(count)d value under key %(key_id)s.",
                "Re-encrypted %(count)d values under key %(key_id)s.",
                rotation.total,
            )
        elif rotation.purpose is Purpose.INDEX:
            message = ngettext(
                "Recomputed %(count)d blind index under key %(key_id)s.",
                "Recomputed %(count)d blind indexes under key %(key_id)s.",
                rotation.total,
            )
        else:
            message = _("New audit entries are chained with key %(key_id)s.")
        self.stdout.write(self.style.SUCCESS(message % values))
        if rotation.remaining:
            self.stdout.write(
                self.style.WARNING(
                    ngettext(
                        "%(count)d value is still under an older key (written meanwhile by a "
                        "process that did not have the new key file yet). Run `amparo keys "
                        "promote %(key_id)s` again.",
                        "%(count)d values are still under older keys (written meanwhile by "
                        "processes that did not have the new key file yet). Run `amparo keys "
                        "promote %(key_id)s` again.",
                        rotation.remaining,
                    )
                    % {**values, "count": rotation.remaining}
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
