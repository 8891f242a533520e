"""`amparo dedupe --user U`: search for duplicate persons and events, on behalf of U."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from amparo.core.services import DomainError
from amparo.stats import access
from amparo.stats.management.commands._users import acting_user
from amparo.stats.services import dedupe


class Command(BaseCommand):
    help = (
        "Search the records of the organisations where USER may de-duplicate for persons and "
        "events recorded more than once (from different sources). Runs with USER's rights: "
        "names are read, in this process's memory only, for the persons USER may see. Pairs go "
        "to the review queue (Statistics → Duplicates) for a person to merge or reject."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", required=True, help="The account the search acts for.")
        parser.add_argument("--organisation", help="Only this organisation (its short code).")

    def handle(self, *args: Any, **options: Any) -> None:
        user = acting_user(options["user"])
        assert user is not None
        organisations = access.dedupe_organisations(user)
        if options["organisation"]:
            organisations = organisations.filter(short_code=options["organisation"])
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
