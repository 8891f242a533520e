"""`amparo dedupe --as U`: search for duplicate persons and events on behalf of U, with U's
keys."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from amparo.core import on_behalf
from amparo.core.models import User
from amparo.core.services import DomainError
from amparo.stats import access
from amparo.stats.services import dedupe


class Command(BaseCommand):
    help = (
        "Search the records of the organisations where USER may de-duplicate for persons and "
        "events recorded more than once (from different sources). Runs on behalf of USER "
        "(--as USER or --token), with their rights and keys: names are read, in this process's "
        "memory only, for the persons USER may see. Pairs go "
        "to the review queue (Statistics → Duplicates) for a person to merge or reject."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        on_behalf.add_arguments(parser)
        parser.add_argument("--organisation", help="Only this organisation (its short code).")

    def handle(self, *args: Any, **options: Any) -> None:
        with on_behalf.keys_of(options) as user:
            self._search(user, options["organisation"])

    def _search(self, user: User, organisation_code: str | None) -> None:
        organisations = access.dedupe_organisations(user)
        if organisation_code:
            organisations = organisations.filter(short_code=organisation_code)
        if not organisations.exists():
            raise CommandError(_("This account may not search for duplicates there."))
        for organisation in organisations:
            try:
                run = dedupe.find_duplicates(user, organisation)
            except (DomainError, PermissionDenied) as error:
                raise CommandError(str(error) or _("Refused.")) from error
            self.stdout.write(
                _(
                    "%(organisation)s: %(persons)d persons and %(events)d events compared, "
                    "%(new)d new pairs to review."
                )
                % {
                    "organisation": organisation.short_code,
                    "persons": run.persons,
                    "events": run.events,
                    "new": run.candidates,
                }
            )
