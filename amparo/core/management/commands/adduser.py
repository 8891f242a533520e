from __future__ import annotations

import getpass
import os
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from amparo.core import services
from amparo.core.management.messages import validation_message
from amparo.core.models import Clearance, Organisation, Role


class Command(BaseCommand):
    help = (
        "Create a user and give them a role in an organisation. The password is asked for, or "
        "read from the AMPARO_NEW_PASSWORD environment variable (for scripts). The user sets up "
        "two-factor authentication at first login."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--organisation", required=True, help="Short code of the organisation.")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument(
            "--clearance",
            default="public",
            choices=[c.name.lower() for c in Clearance],
            help="Highest confidentiality level the user may see (default: public).",
        )
        parser.add_argument("--email", default="")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument(
            "--superuser",
            action="store_true",
            help="Deployment administrator: sees every organisation's audit log.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = Organisation.objects.filter(short_code=options["organisation"]).first()
        if organisation is None:
            raise CommandError(
                f"No organisation has the short code {options['organisation']!r}. "
                "Create it first with `amparo createorg`."
            )
        password = os.environ.get("AMPARO_NEW_PASSWORD") or self._ask_password()
        try:
            user = services.create_staff_account(
                None,
                username=options["username"],
                password=password,
                organisation=organisation,
                role=options["role"],
                clearance=Clearance[options["clearance"].upper()],
                email=options["email"],
                first_name=options["first_name"],
                last_name=options["last_name"],
                is_superuser=options["superuser"],
            )
        except ValidationError as error:
            raise CommandError(validation_message(error)) from error
        except services.DomainError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {user.username} ({options['role']}, {options['clearance']}) in "
                f"{organisation.name}. They set up two-factor authentication at first login."
            )
        )

    def _ask_password(self) -> str:
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("The two passwords differ.")
        return first
