from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from amparo.core import services
from amparo.core.management.messages import validation_message
from amparo.core.models import Organisation


class Command(BaseCommand):
    help = "Create an organisation (the first step of a real deployment)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True)
        parser.add_argument(
            "--short-code", required=True, help="Used in reference codes, e.g. NHRI-KE."
        )
        parser.add_argument("--kind", required=True, choices=Organisation.Kind.values)
        parser.add_argument("--country", default="", help="ISO 3166-1 alpha-2, e.g. KE.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            organisation = services.create_organisation(
                None,
                name=options["name"],
                short_code=options["short_code"],
                kind=options["kind"],
                country=options["country"],
            )
        except ValidationError as error:
            raise CommandError(validation_message(error)) from error
        self.stdout.write(
            self.style.SUCCESS(f"Created organisation {organisation.name} (id {organisation.pk}).")
        )
