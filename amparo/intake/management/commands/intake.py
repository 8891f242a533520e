"""`amparo intake purge`: delete closed intake submissions past their retention period.

Each deleted submission leaves one audit line ("intake.purge") with its id, the date it was
closed and how many messages and files it held; nothing of its content. On SQLite the deleted
rows are also overwritten in the database file (secure_delete); on PostgreSQL they stay in the
table's free space until autovacuum reuses it, so encrypt the disk as well. It also deletes the
load counters and spent form nonces no longer needed (amparo.intake.services.admission).

Run it every day. It is a command, not a task in a queue, because a daily job needs a scheduler
in any case (a task queue runs what is enqueued; it does not wake up on its own), and the host's
own scheduler is the one that keeps running when the application is not. With systemd:

    # /etc/systemd/system/amparo-intake-purge.service
    [Service]
    Type=oneshot
    User=amparo
    EnvironmentFile=/etc/amparo/environment
    ExecStart=/srv/amparo/.venv/bin/amparo intake purge

    # /etc/systemd/system/amparo-intake-purge.timer
    [Timer]
    OnCalendar=daily
    RandomizedDelaySec=1h
    Persistent=true
    [Install]
    WantedBy=timers.target

    systemctl enable --now amparo-intake-purge.timer

or with cron (crontab of the amparo user, with the environment of the web server):

    17 3 * * *  . /etc/amparo/environment && /srv/amparo/.venv/bin/amparo intake purge --quiet
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from amparo.core.services import DomainError
from amparo.intake import conf
from amparo.intake.services import admission, retention


class Command(BaseCommand):
    help = "Maintenance of the secure intake channel."

    def add_arguments(self, parser: ArgumentParser) -> None:
        commands = parser.add_subparsers(dest="subcommand", required=True)
        purge = commands.add_parser(
            "purge",
            help="Delete closed submissions older than the retention period, leaving audit lines.",
        )
        purge.add_argument(
            "--days",
            type=int,
            default=None,
            help="Keep closed submissions this many days (default: the setting "
            f"AMPARO_INTAKE_RETENTION_DAYS, now {conf.retention_days()}).",
        )
        purge.add_argument(
            "--dry-run", action="store_true", help="Only count what would be deleted."
        )
        purge.add_argument("--quiet", action="store_true", help="Print nothing when all is well.")

    def handle(self, *args: Any, **options: Any) -> None:
        days = conf.retention_days() if options["days"] is None else options["days"]
        if days < 0:
            raise CommandError("--days cannot be negative.")
        if options["dry_run"]:
            count = retention.purgeable(days).count()
            self.stdout.write(
                f"{count} closed submission(s) closed more than {days} day(s) ago would be "
                "deleted (dry run: nothing was deleted)."
            )
            return
        admission.sweep()
        try:
            report = retention.purge(days)
        except DomainError as error:
            raise CommandError(str(error)) from None
        if not options["quiet"] or report.purged:
            self.stdout.write(
                f"Deleted {report.purged} closed submission(s) closed before "
                f"{report.cutoff.isoformat()}."
            )
