"""`amparo portal list --user U`: the publications that account may see, with their state.
`amparo portal withdraw SLUG --user U`: take a publication off the portal at once, as that
account (the same service and rules as the page: an editor or reviewer of its organisation)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from amparo.core.models import User
from amparo.core.services import DomainError
from amparo.portal import access, services


class Command(BaseCommand):
    help = "The public portal's publications: list them, withdraw one at once."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="subcommand", required=True, metavar="list|withdraw")
        listing = commands.add_parser("list", help="The publications this account may see.")
        listing.add_argument("--user", required=True, help="As this account.")
        withdraw = commands.add_parser("withdraw", help="Take a publication off the portal.")
        withdraw.add_argument("slug", help="The publication's code (its address /portal/p/CODE/).")
        withdraw.add_argument("--user", required=True, help="As this account.")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(_("No active account %(name)r.") % {"name": options["user"]})
        publications = access.visible_publications(user).select_related("organisation")
        if options["subcommand"] == "list":
            for listed in publications:
                self.stdout.write(
                    f"{listed.slug}\t{listed.state}\t{listed.kind}\t"
                    f"{listed.organisation.short_code}\t{listed.title}"
                )
            return
        publication = publications.filter(slug=options["slug"]).first()
        if publication is None:
            raise CommandError(
                _("No publication %(slug)r that this account may see.") % {"slug": options["slug"]}
            )
        try:
            services.withdraw(user, publication)
        except DomainError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            _("Withdrawn: %(slug)s is no longer public.") % {"slug": publication.slug}
        )
